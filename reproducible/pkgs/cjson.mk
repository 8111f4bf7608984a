# cJSON 1.7.18: JSON for the agent (Keylime's API) and the verifier. One file;
# compiled into the programs that use it, for the runtime and for the host.
cjson_SRCPKG  := cjson
cjson_VERSION := 1.7.18-3.1+deb13u1
cjson_ORIG    := cjson_1.7.18.orig.tar.gz
cjson_SHA256  := 3aa806844a03442c00769b83e99970be70fbef03735ff898f4811dd03b9f5ee5
cjson_DIR     := cJSON-1.7.18

$(DEPS)/cjson.stamp: $(TOP)/reproducible/pkgs/cjson.mk
	$(call unpack,cjson)
	rm -rf $(DEPS)/cjson && mv $(DEPS)/src/$(cjson_DIR) $(DEPS)/cjson
	touch $@
