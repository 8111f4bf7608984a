# mbedtls 3.6 LTS: TLS for the agent, hashes and crypto for init, the agent
# and tpm2-tss's crypto backend. Built twice: for the runtime (musl) and for
# host-side unit tests (so tests exercise the same pinned version).
mbedtls_SRCPKG  := mbedtls
mbedtls_VERSION := 3.6.6-0.1~deb13u1
mbedtls_ORIG    := mbedtls_3.6.6.orig.tar.bz2
mbedtls_SHA256  := 8fb65fae8dcae5840f793c0a334860a411f884cc537ea290ce1c52bb64ca007a
mbedtls_DIR     := mbedtls-3.6.6

# $(1): target name (musl|host), $(2): compiler, $(3): install prefix
define mbedtls_build
	$(call unpack,mbedtls)
	rm -rf $(DEPS)/mbedtls-$(1) && mv $(DEPS)/src/$(mbedtls_DIR) $(DEPS)/mbedtls-$(1)
	$(MAKE) -j$(NPROC) -C $(DEPS)/mbedtls-$(1) lib CC="$(2)" AR="$(AR)" ARFLAGS=rcD \
		CFLAGS="$(DEPS_CFLAGS) -Wno-error" >$(DEPS)/mbedtls-$(1).log 2>&1 \
		|| { tail -20 $(DEPS)/mbedtls-$(1).log; exit 1; }
	mkdir -p $(3)/lib $(3)/include
	cp $(DEPS)/mbedtls-$(1)/library/libmbedcrypto.a $(DEPS)/mbedtls-$(1)/library/libmbedx509.a \
		$(DEPS)/mbedtls-$(1)/library/libmbedtls.a $(3)/lib/
	cp -r $(DEPS)/mbedtls-$(1)/include/mbedtls $(DEPS)/mbedtls-$(1)/include/psa $(3)/include/
endef

$(DEPS)/mbedtls-musl.stamp: $(DEPS)/musl.stamp $(TOP)/reproducible/pkgs/mbedtls.mk
	$(call mbedtls_build,musl,$(MUSL_GCC),$(SYSROOT))
	touch $@

$(DEPS)/mbedtls-host.stamp: $(TOP)/reproducible/pkgs/mbedtls.mk
	$(call mbedtls_build,host,$(HOSTCC),$(HOSTROOT))
	touch $@
