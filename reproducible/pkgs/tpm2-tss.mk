# tpm2-tss 4.1: ESAPI/SAPI, marshalling (MU), response-code decoding (RC) and
# the device and swtpm transports, statically, with mbedtls as crypto backend.
# No FAPI, no policy library, no dynamic TCTI loading.
tpm2-tss_SRCPKG  := tpm2-tss
tpm2-tss_VERSION := 4.1.3-1.2
tpm2-tss_ORIG    := tpm2-tss_4.1.3.orig.tar.gz
tpm2-tss_SHA256  := 8a389bda64690910e7af7deaf64703a3faed416dc538c9c3e4f893f24893524d
tpm2-tss_DIR     := tpm2-tss-4.1.3

# The orig tarball is a git snapshot without `configure`; its bootstrap asks
# `git describe` for the version, so the version is written down instead and
# that line of bootstrap is dropped.
$(DEPS)/tpm2-tss.stamp: $(DEPS)/mbedtls-musl.stamp $(TOP)/reproducible/pkgs/tpm2-tss.mk
	$(call unpack,tpm2-tss)
	cd $(DEPS)/src/$(tpm2-tss_DIR) && echo 4.1.3 >VERSION && sed -i '/^git describe/d' bootstrap && \
		./bootstrap >$(DEPS)/tpm2-tss.log 2>&1 || { tail -20 $(DEPS)/tpm2-tss.log; exit 1; }
	cd $(DEPS)/src/$(tpm2-tss_DIR) && ./configure --host=x86_64-linux-musl \
		--prefix=$(SYSROOT) CC=$(MUSL_GCC) CFLAGS="$(DEPS_CFLAGS) -I$(SYSROOT)/include" \
		LDFLAGS="-L$(SYSROOT)/lib" PKG_CONFIG_LIBDIR=$(SYSROOT)/lib/pkgconfig \
		--with-crypto=mbed --disable-fapi --disable-policy --enable-static \
		--disable-shared --disable-doxygen-doc --disable-tcti-cmd --disable-tcti-pcap \
		--disable-tcti-libtpms --disable-tcti-spi-helper --disable-tcti-i2c-helper \
		--disable-tcti-spi-ltt2go --disable-tcti-spidev --disable-tcti-i2c-ftdi \
		--disable-tcti-spi-ftdi --disable-defaultflags --disable-log-file \
		--with-maxloglevel=error >>$(DEPS)/tpm2-tss.log 2>&1 \
		|| { tail -20 $(DEPS)/tpm2-tss.log; exit 1; }
	$(MAKE) -j$(NPROC) -C $(DEPS)/src/$(tpm2-tss_DIR) ARFLAGS=crD >>$(DEPS)/tpm2-tss.log 2>&1 \
		|| { tail -30 $(DEPS)/tpm2-tss.log; exit 1; }
	$(MAKE) -C $(DEPS)/src/$(tpm2-tss_DIR) install >>$(DEPS)/tpm2-tss.log 2>&1
	# Every TCTI exports Tss2_Tcti_Info for dlopen; linked statically side by
	# side (device + swtpm) they would clash, and nothing here dlopens them.
	for t in device swtpm mssim; do objcopy -D --localize-symbol=Tss2_Tcti_Info \
		$(SYSROOT)/lib/libtss2-tcti-$$t.a; done
	touch $@
