# Linux 6.12 LTS: the runtime kernel (per board, see Makefile) and the UAPI
# headers musl and our programs are built against.
linux_SRCPKG  := linux
linux_VERSION := 6.12.107-1
linux_ORIG    := linux_6.12.107.orig.tar.xz
linux_SHA256  := efc76d3c78a5d65f42724118c437d11db1c9f6309a5f024ee9a8b1978fdc6919
linux_DIR     := linux-6.12.107
KSRC          := $(DEPS)/src/$(linux_DIR)

$(DEPS)/linux-src.stamp: $(TOP)/reproducible/pkgs/linux.mk
	$(call unpack,linux)
	touch $@

# headers_install into a separate object tree: the source tree stays clean
# for the out-of-tree (O=) board kernel builds.
$(DEPS)/linux-headers.stamp: $(DEPS)/linux-src.stamp $(TOP)/reproducible/pkgs/linux.mk
	rm -rf $(DEPS)/linux-headers-obj
	$(MAKE) -s -C $(KSRC) O=$(DEPS)/linux-headers-obj ARCH=x86_64 \
		INSTALL_HDR_PATH=$(SYSROOT) headers_install
	touch $@
