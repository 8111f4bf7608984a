# airlock: build a reproducible LinuxBoot runtime image for one board.
#
#   make                      image for BOARD=qemu-q35 into build/qemu-q35/
#   make BOARD=qemu-ovmf      another board; `make boards` lists them
#   make test                 everything CI runs (see README.md)
#   make reproducible-check   build twice in different settings and compare
#   make bench                benchmarks (figures, not pass/fail)
#
# Third-party sources come only from the Debian archive, pinned in
# reproducible/pkgs/*.mk and cached outside the tree (AIRLOCK_CACHE).

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
SHELL := /bin/sh
TOP := $(CURDIR)

BOARD ?= qemu-q35
BOARDS := $(sort $(notdir $(patsubst %/board.mk,%,$(wildcard $(TOP)/boards/*/board.mk))))

AIRLOCK_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/airlock
export AIRLOCK_CACHE

# Output root; reproducible/check points it elsewhere to build twice.
O ?= $(TOP)/build
DEPS := $(O)/deps
SYSROOT := $(DEPS)/sysroot
HOSTROOT := $(DEPS)/host
OUT := $(O)/$(BOARD)
TGT := $(O)/target
HOSTBIN := $(O)/host

# Everything a build prints or embeds is independent of who, where and when.
export LC_ALL := C
export TZ := UTC
# Third-party trees live inside this checkout: keep their build scripts from
# finding our git repository (the kernel would append "+" to its version).
export GIT_CEILING_DIRECTORIES := $(DEPS)/src
ifeq ($(origin SOURCE_DATE_EPOCH),undefined)
SOURCE_DATE_EPOCH := $(shell git -C '$(TOP)' log -1 --format=%ct 2>/dev/null)
endif
export SOURCE_DATE_EPOCH
GIT_REV := $(shell git -C '$(TOP)' rev-parse HEAD 2>/dev/null || echo unknown)
GIT_DIRTY := $(shell test -z "$$(git -C '$(TOP)' status --porcelain --untracked-files=no 2>/dev/null)" && echo no || echo yes)

HOSTCC ?= gcc
AR ?= ar
NPROC := $(shell nproc 2>/dev/null || echo 1)

# Paths in debug strings and __FILE__ must not depend on the build directory.
REPRO_CFLAGS := -ffile-prefix-map=$(O)=/build -ffile-prefix-map=$(TOP)=/src
DEPS_CFLAGS := -O2 -fstack-protector-strong $(REPRO_CFLAGS)
WARN := -Wall -Wextra -Werror
# musl has no fortify headers; _FORTIFY_SOURCE applies to host builds only.
TARGET_CFLAGS := -std=gnu11 $(WARN) -Os -fstack-protector-strong $(REPRO_CFLAGS) \
	-ffunction-sections -fdata-sections -I$(TOP)/src/lib -I$(SYSROOT)/include
TARGET_LDFLAGS := -static -Wl,--gc-sections -Wl,--build-id=none -s -L$(SYSROOT)/lib
HOST_CFLAGS := -std=gnu11 $(WARN) -O2 -fstack-protector-strong -D_FORTIFY_SOURCE=2 $(REPRO_CFLAGS)

# $(call unpack,pkg): verify the pinned tarball (fetching it once) and unpack
# it fresh, so an interrupted earlier attempt never leaves a half tree behind.
define unpack
	$(TOP)/reproducible/fetch '$($(1)_SRCPKG)' '$($(1)_VERSION)' '$($(1)_ORIG)' '$($(1)_SHA256)'
	rm -rf $(DEPS)/src/$($(1)_DIR) $(DEPS)/src/$(1).tmp
	mkdir -p $(DEPS)/src/$(1).tmp
	tar -C $(DEPS)/src/$(1).tmp -xf $(AIRLOCK_CACHE)/sources/$($(1)_ORIG)
	mv $(DEPS)/src/$(1).tmp/$($(1)_DIR) $(DEPS)/src/$($(1)_DIR)
	rmdir $(DEPS)/src/$(1).tmp
endef

PKGS := linux musl mbedtls tpm2-tss busybox kexec-tools cjson zlib
include $(patsubst %,$(TOP)/reproducible/pkgs/%.mk,$(PKGS))

.PHONY: all boards image verifier initramfs userland deps test unit-tests fuzzers demo \
	boot-test reproducible-check bench clean distclean help

ifneq ($(filter-out boards help clean distclean,$(or $(MAKECMDGOALS),all)),)
ifeq ($(filter $(BOARD),$(BOARDS)),)
$(error unknown board '$(BOARD)'; the boards are: $(BOARDS))
endif
ifeq ($(SOURCE_DATE_EPOCH),)
$(error SOURCE_DATE_EPOCH is unset and this is not a git checkout: set it to the value in the release's buildinfo (reproducible/README.md))
endif
include $(TOP)/boards/$(BOARD)/board.mk
endif

all: image

help:
	@sed -n '2,9s/^# \{0,1\}//p' $(TOP)/Makefile

boards:
	@for b in $(BOARDS); do printf '%-14s %s\n' $$b "$$(sed -n 's/^BOARD_DESCRIPTION := //p' $(TOP)/boards/$$b/board.mk)"; done

deps: $(DEPS)/musl.stamp $(DEPS)/mbedtls-musl.stamp $(DEPS)/tpm2-tss.stamp \
	$(DEPS)/busybox.stamp $(DEPS)/kexec-tools.stamp $(DEPS)/cjson.stamp $(DEPS)/zlib-musl.stamp

include $(TOP)/src/build.mk
include $(TOP)/tests/build.mk
include $(TOP)/reproducible/image.mk

clean:
	rm -rf $(O)/obj $(O)/target $(O)/host $(O)/tests $(foreach b,$(BOARDS),$(O)/$(b))

distclean:
	rm -rf $(O)

reproducible-check:
	$(TOP)/reproducible/check $(if $(QUICK),--quick) $(BOARD)
