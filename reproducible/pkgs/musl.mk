# musl 1.2.5: the C library every runtime binary links statically. Built from
# the pinned source against the pinned kernel's UAPI headers; the host's musl
# packages are never used.
musl_SRCPKG  := musl
musl_VERSION := 1.2.5-3.1~deb13u1
musl_ORIG    := musl_1.2.5.orig.tar.gz
musl_SHA256  := a9a118bbe84d8764da0ea0d28b3ab3fae8477fc7e4085d90102b8596fc7c75e4
musl_DIR     := musl-1.2.5

MUSL_GCC := $(SYSROOT)/bin/musl-gcc

$(DEPS)/musl.stamp: $(DEPS)/linux-headers.stamp $(TOP)/reproducible/pkgs/musl.mk
	$(call unpack,musl)
	cd $(DEPS)/src/$(musl_DIR) && ./configure --prefix=$(SYSROOT) \
		--disable-shared CC=gcc CFLAGS="$(DEPS_CFLAGS)" >$(DEPS)/musl.log 2>&1 \
		|| { tail -20 $(DEPS)/musl.log; exit 1; }
	$(MAKE) -j$(NPROC) -C $(DEPS)/src/$(musl_DIR) >>$(DEPS)/musl.log 2>&1 || { tail -20 $(DEPS)/musl.log; exit 1; }
	$(MAKE) -C $(DEPS)/src/$(musl_DIR) install >>$(DEPS)/musl.log 2>&1
	touch $@
