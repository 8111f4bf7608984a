# The board image: initramfs (normalised cpio, xz), kernel with that exact
# initramfs embedded, hashes.txt and buildinfo, with hard size limits.

KOBJ := $(OUT)/kernel
KMAKE := $(MAKE) -C $(KSRC) O=$(KOBJ) ARCH=x86_64 \
	KBUILD_BUILD_TIMESTAMP='@$(SOURCE_DATE_EPOCH)' KBUILD_BUILD_USER=airlock \
	KBUILD_BUILD_HOST=airlock KBUILD_BUILD_VERSION=1 LOCALVERSION=
BOARD_KCONFIG_FILES := $(addprefix $(TOP)/,$(BOARD_KCONFIG))

# Hard limits (issue: bzImage with embedded initramfs <= 8 MiB, initramfs
# compressed <= 2 MiB); goals are reported by the size line.
LIMIT_BZIMAGE := 8388608
LIMIT_INITRAMFS := 2097152

# Runtime userland: our programs plus pinned third-party binaries.
INITRAMFS_FILES := init:$(TGT)/init \
	bin/airlock-agent:$(TGT)/airlock-agent \
	bin/busybox:$(SYSROOT)/bin/busybox \
	sbin/kexec:$(SYSROOT)/sbin/kexec

image: $(OUT)/bzImage $(OUT)/hashes.txt $(OUT)/buildinfo
	@$(TOP)/reproducible/sizes $(OUT) $(LIMIT_BZIMAGE) $(LIMIT_INITRAMFS)
	@echo "image: $(OUT)/bzImage (board $(BOARD))"

initramfs: $(OUT)/initramfs.cpio.xz

# Staging tree: rebuilt from scratch each time so a removed file never lingers.
$(OUT)/initramfs.cpio: $(TGT)/init $(TGT)/airlock-agent $(DEPS)/busybox.stamp $(DEPS)/kexec-tools.stamp \
		$(HOSTBIN)/mkcpio $(TOP)/initrd/initramfs.spec $(wildcard $(TOP)/initrd/root/*/*) \
		$(TOP)/reproducible/image.mk
	rm -rf $(OUT)/initramfs-root && mkdir -p $(OUT)/initramfs-root
	cp -R $(TOP)/initrd/root/. $(OUT)/initramfs-root/
	set -e; for f in $(INITRAMFS_FILES); do \
		mkdir -p "$$(dirname $(OUT)/initramfs-root/$${f%%:*})"; \
		cp "$${f#*:}" $(OUT)/initramfs-root/$${f%%:*}; done
	$(TOP)/reproducible/check-static $(OUT)/initramfs-root
	$(HOSTBIN)/mkcpio -t $(SOURCE_DATE_EPOCH) -s $(TOP)/initrd/initramfs.spec \
		-o $@ $(OUT)/initramfs-root

# The kernel embeds this file unchanged (a .cpio.xz source is not recompressed),
# so the separate artifact and the embedded initramfs are the same bytes.
$(OUT)/initramfs.cpio.xz: $(OUT)/initramfs.cpio
	xz --check=crc32 --lzma2=preset=9e,dict=1MiB --threads=1 -c $< >$@.tmp && mv $@.tmp $@

$(OUT)/board.config: $(TOP)/boards/$(BOARD)/board.mk $(TOP)/reproducible/image.mk
	mkdir -p $(OUT)
	{ echo 'CONFIG_CMDLINE_BOOL=y'; \
	  echo 'CONFIG_CMDLINE="$(BOARD_CMDLINE)"'; \
	  echo 'CONFIG_CMDLINE_OVERRIDE=$(BOARD_CMDLINE_OVERRIDE)'; \
	  echo 'CONFIG_INITRAMFS_SOURCE="$(OUT)/initramfs.cpio.xz"'; } >$@.tmp
	sed -i 's/^CONFIG_CMDLINE_OVERRIDE=n$$/# CONFIG_CMDLINE_OVERRIDE is not set/' $@.tmp
	mv $@.tmp $@

$(KOBJ)/.config: $(DEPS)/linux-src.stamp $(BOARD_KCONFIG_FILES) $(OUT)/board.config
	mkdir -p $(KOBJ)
	KCONFIG_ALLCONFIG=/dev/null $(KMAKE) -s allnoconfig
	cd $(KSRC) && scripts/kconfig/merge_config.sh -m -O $(KOBJ) $(KOBJ)/.config \
		$(BOARD_KCONFIG_FILES) $(OUT)/board.config >$(KOBJ)/merge.log 2>&1 \
		|| { cat $(KOBJ)/merge.log; exit 1; }
	$(KMAKE) -s olddefconfig
	$(TOP)/reproducible/check-kconfig $(KOBJ)/.config $(BOARD_KCONFIG_FILES) $(OUT)/board.config

$(OUT)/bzImage: $(KOBJ)/.config $(OUT)/initramfs.cpio.xz
	$(KMAKE) -j$(NPROC) bzImage >$(KOBJ)/build.log 2>&1 || { tail -40 $(KOBJ)/build.log; exit 1; }
	cp $(KOBJ)/arch/x86/boot/bzImage $@.tmp && mv $@.tmp $@

$(OUT)/hashes.txt: $(OUT)/bzImage $(OUT)/initramfs.cpio.xz $(OUT)/initramfs.cpio
	cd $(OUT) && { sha256sum bzImage initramfs.cpio.xz initramfs.cpio; \
		cd initramfs-root && find . -type f | LC_ALL=C sort | sed 's|^\./||' | \
		xargs sha256sum | sed 's|  |  initramfs:/|'; } >$@.tmp && mv $@.tmp $@

$(OUT)/buildinfo: $(OUT)/bzImage $(TOP)/reproducible/buildinfo
	COREBOOT_MEASURED='$(BOARD_COREBOOT_MEASURED)' $(TOP)/reproducible/buildinfo '$(BOARD)' '$(BOARD_FIRMWARE)' '$(GIT_REV)' '$(GIT_DIRTY)' \
		$(foreach p,$(PKGS),'$($(p)_SRCPKG)=$($(p)_VERSION) $($(p)_ORIG) $($(p)_SHA256)') >$@.tmp
	mv $@.tmp $@

# coreboot boards: the flashable ROM, from the base ROM the provider gives
# (coreboot is not in Debian; docs/coreboot.md). Without one the image is
# still built, and the board says what it needs.
ifeq ($(BOARD_FIRMWARE),coreboot)
COREBOOT_ROM ?=
# airlock.* words the provider bakes into the ROM (measured with the payload).
COREBOOT_CMDLINE ?=
# resign: the base ROM's vboot RW slots are signed, and the provider re-signs
# the built ROM (futility sign) before flashing; otherwise such a ROM is refused.
COREBOOT_VBOOT ?=
image: coreboot-rom
.PHONY: coreboot-rom
# /proc/cmdline on the node: the kernel's built-in line, then coreboot's (unless
# the board overrides it), as `airlock-verifier predict` reconstructs it.
ROM_PROC_CMDLINE = $(if $(filter y,$(BOARD_CMDLINE_OVERRIDE)),$(BOARD_CMDLINE),$(BOARD_CMDLINE)$(if $(COREBOOT_CMDLINE), $(COREBOOT_CMDLINE)))
ifneq ($(COREBOOT_ROM),)
# The recipes quote these lines with '...': a quote inside one would end it.
ifneq ($(findstring ',$(BOARD_CMDLINE)$(COREBOOT_CMDLINE)$(COREBOOT_ROM)),)
$(error COREBOOT_CMDLINE, COREBOOT_ROM and the board's command line must not contain a single quote)
endif
coreboot-rom: $(OUT)/airlock.rom $(OUT)/rom-hashes.txt
# The old ROM and its hashes go first: a refused run must not leave them to be
# mistaken for this build's.
$(OUT)/airlock.rom: $(OUT)/bzImage $(TOP)/reproducible/coreboot-rom $(HOSTBIN)/cmdline-check FORCE
	rm -f $@ $(OUT)/rom-hashes.txt
	$(TOP)/reproducible/coreboot-rom --check $(HOSTBIN)/cmdline-check '$(ROM_PROC_CMDLINE)' \
		$(if $(COREBOOT_VBOOT),--vboot '$(COREBOOT_VBOOT)') \
		'$(COREBOOT_ROM)' $(OUT)/bzImage '$(COREBOOT_CMDLINE)' $@
$(OUT)/rom-hashes.txt: $(OUT)/airlock.rom
	{ cd $(OUT) && sha256sum airlock.rom; \
	  echo "$$(sha256sum <'$(COREBOOT_ROM)' | cut -d' ' -f1)  base ROM (COREBOOT_ROM)"; \
	  echo "command line: $(COREBOOT_CMDLINE)"; \
	  $(TOP)/reproducible/coreboot-rom --describe $(OUT)/airlock.rom; } >$@.tmp && mv $@.tmp $@
	@echo "coreboot-rom: $(OUT)/airlock.rom ($$(head -c 64 $@))"
else
coreboot-rom: $(OUT)/bzImage
	@if [ -e $(OUT)/airlock.rom ] && [ $(OUT)/bzImage -nt $(OUT)/airlock.rom ]; then \
		rm -f $(OUT)/airlock.rom $(OUT)/rom-hashes.txt; \
		echo "coreboot-rom: removed $(OUT)/airlock.rom of an earlier build: it holds an older kernel"; fi
	@echo "coreboot-rom: board $(BOARD) makes a flashable ROM from a coreboot base ROM:"
	@echo "coreboot-rom:   make BOARD=$(BOARD) COREBOOT_ROM=path/to/coreboot.rom [COREBOOT_CMDLINE='airlock.registrar=...']"
	@echo "coreboot-rom: no COREBOOT_ROM given, so only the kernel was built; docs/coreboot.md says how to build a base ROM"
endif
endif
.PHONY: FORCE
FORCE:
