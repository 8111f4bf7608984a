# kexec-tools 2.0.29: the kexec_load (non-file) fallback, for kernels that
# refuse kexec_file_load of the tenant's image.
kexec-tools_SRCPKG  := kexec-tools
kexec-tools_VERSION := 1:2.0.29-2
kexec-tools_ORIG    := kexec-tools_2.0.29.orig.tar.xz
kexec-tools_SHA256  := 67b1ac503aade45a54db0bc79228a8830a35d5d4f83cee932cff3e7a81a4a9ec
kexec-tools_DIR     := kexec-tools-2.0.29

$(DEPS)/kexec-tools.stamp: $(DEPS)/musl.stamp $(TOP)/reproducible/pkgs/kexec-tools.mk
	$(call unpack,kexec-tools)
	cd $(DEPS)/src/$(kexec-tools_DIR) && ./configure --host=x86_64-linux-musl \
		CC=$(MUSL_GCC) BUILD_CC=$(HOSTCC) CFLAGS="$(DEPS_CFLAGS)" LDFLAGS=-static \
		--without-zlib --without-lzma --without-xen --without-booke \
		>$(DEPS)/kexec-tools.log 2>&1 || { tail -20 $(DEPS)/kexec-tools.log; exit 1; }
	$(MAKE) -j$(NPROC) -C $(DEPS)/src/$(kexec-tools_DIR) BUILD_CC=$(HOSTCC) >>$(DEPS)/kexec-tools.log 2>&1 \
		|| { tail -30 $(DEPS)/kexec-tools.log; exit 1; }
	mkdir -p $(SYSROOT)/sbin
	cp $(DEPS)/src/$(kexec-tools_DIR)/build/sbin/kexec $(SYSROOT)/sbin/kexec
	touch $@
