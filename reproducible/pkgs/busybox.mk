# busybox 1.37: the shell and udhcpc, and the few applets the runtime's
# scripts use. The configuration is checked in (reproducible/busybox.config).
busybox_SRCPKG  := busybox
busybox_VERSION := 1:1.37.0-6
busybox_ORIG    := busybox_1.37.0.orig.tar.bz2
busybox_SHA256  := 3311dff32e746499f4df0d5df04d7eb396382d7e108bb9250e7b519b837043a4
busybox_DIR     := busybox-1.37.0

$(DEPS)/busybox.stamp: $(DEPS)/musl.stamp $(TOP)/reproducible/busybox.config $(TOP)/reproducible/pkgs/busybox.mk
	$(call unpack,busybox)
	cp $(TOP)/reproducible/busybox.config $(DEPS)/src/$(busybox_DIR)/.config
	$(MAKE) -C $(DEPS)/src/$(busybox_DIR) CC=$(MUSL_GCC) HOSTCC=$(HOSTCC) \
		KBUILD_VERBOSE=0 KCONFIG_NOTIMESTAMP=1 oldconfig >$(DEPS)/busybox.log 2>&1 </dev/null
	cmp -s $(TOP)/reproducible/busybox.config $(DEPS)/src/$(busybox_DIR)/.config || \
		{ echo "busybox: reproducible/busybox.config is not a complete config for $(busybox_DIR) (run oldconfig and check it in)"; \
		  diff $(TOP)/reproducible/busybox.config $(DEPS)/src/$(busybox_DIR)/.config | head; exit 1; }
	$(MAKE) -j$(NPROC) -C $(DEPS)/src/$(busybox_DIR) CC=$(MUSL_GCC) HOSTCC=$(HOSTCC) \
		EXTRA_CFLAGS="$(DEPS_CFLAGS)" KCONFIG_NOTIMESTAMP=1 \
		>>$(DEPS)/busybox.log 2>&1 || { tail -30 $(DEPS)/busybox.log; exit 1; }
	mkdir -p $(SYSROOT)/bin
	cp $(DEPS)/src/$(busybox_DIR)/busybox $(SYSROOT)/bin/busybox
	touch $@
