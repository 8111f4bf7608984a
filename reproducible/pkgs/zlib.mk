# zlib 1.3.1: inflate for the agent's payload zip reader (Keylime payloads are
# zip files, usually deflated). Only the static library is built; the runtime
# links it statically, host unit tests use the same pinned build.
zlib_SRCPKG  := zlib
zlib_VERSION := 1:1.3.dfsg+really1.3.1-1
zlib_ORIG    := zlib_1.3.dfsg+really1.3.1.orig.tar.gz
zlib_SHA256  := 60dd315c07f616887caa029408308a018ace66e3d142726a97db164b3b8f69fb
zlib_DIR     := zlib-1.3.1

# $(1): target name (musl|host), $(2): compiler, $(3): install prefix
define zlib_build
	$(call unpack,zlib)
	rm -rf $(DEPS)/zlib-$(1) && mv $(DEPS)/src/$(zlib_DIR) $(DEPS)/zlib-$(1)
	cd $(DEPS)/zlib-$(1) && CC="$(2)" AR="$(AR)" CFLAGS="$(DEPS_CFLAGS)" ./configure --static \
		--prefix=/ >$(DEPS)/zlib-$(1).log 2>&1 || { tail -20 $(DEPS)/zlib-$(1).log; exit 1; }
	$(MAKE) -C $(DEPS)/zlib-$(1) libz.a ARFLAGS=rcD >>$(DEPS)/zlib-$(1).log 2>&1 \
		|| { tail -20 $(DEPS)/zlib-$(1).log; exit 1; }
	mkdir -p $(3)/lib $(3)/include
	cp $(DEPS)/zlib-$(1)/libz.a $(3)/lib/
	cp $(DEPS)/zlib-$(1)/zlib.h $(DEPS)/zlib-$(1)/zconf.h $(3)/include/
endef

$(DEPS)/zlib-musl.stamp: $(DEPS)/musl.stamp $(TOP)/reproducible/pkgs/zlib.mk
	$(call zlib_build,musl,$(MUSL_GCC),$(SYSROOT))
	touch $@

$(DEPS)/zlib-host.stamp: $(TOP)/reproducible/pkgs/zlib.mk
	$(call zlib_build,host,$(HOSTCC),$(HOSTROOT))
	touch $@
