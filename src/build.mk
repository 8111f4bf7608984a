# Our programs: host build tools, the runtime's static musl programs, and the
# tenant's verifier.
#
# Everything is compiled once per variant into $(O)/obj/<variant>/ with
# dependency files (-MMD -MP), so touching one file rebuilds one object:
#   target  musl, static, -Os: /init, the agent, the TPM host tests
#   host    glibc, -O2: airlock-verifier, the benchmarks
#   asan    ASan+UBSan, -O1 -g: unit tests, kl-peer, the verifier the host suites run
#   tsan    ThreadSanitizer: the verifier of suite-notices-tsan
#   fuzz    clang, libFuzzer instrumentation, ASan+UBSan: the fuzz harnesses
# src/lib is one archive per variant (libairlock.a); a program links its own
# folder's objects and the archive, and the linker takes only the members it
# uses: that is what keeps TLS, JSON and zip out of /init. A program includes
# its own folder and src/lib, never another program's folder.

TSS_LIBS := -ltss2-esys -ltss2-sys -ltss2-mu -ltss2-rc -ltss2-tcti-device \
	-ltss2-tcti-swtpm -ltss2-tctildr
MBED_LIBS := -lmbedtls -lmbedx509 -lmbedcrypto
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

VARIANTS := target host asan tsan fuzz
CC_target = $(MUSL_GCC)
CC_host = $(HOSTCC)
CC_asan = $(HOSTCC)
CC_tsan = $(HOSTCC)
CC_fuzz = clang
CFLAGS_target = $(TARGET_CFLAGS)
# libpq's header (Debian's libpq-dev) for the verifier's PostgreSQL backend.
PQ_INCLUDE := -I/usr/include/postgresql
CFLAGS_host = $(HOST_CFLAGS) -pthread -I$(HOSTROOT)/include $(PQ_INCLUDE)
CFLAGS_asan = -std=gnu11 $(WARN) -O1 -g $(SAN) -pthread $(REPRO_CFLAGS) -I$(HOSTROOT)/include \
	$(PQ_INCLUDE)
CFLAGS_tsan = -std=gnu11 $(WARN) -O1 -g -fsanitize=thread -pthread $(REPRO_CFLAGS) \
	-I$(HOSTROOT)/include $(PQ_INCLUDE)
CFLAGS_fuzz = -std=gnu11 -O1 -g -fsanitize=fuzzer-no-link,address,undefined $(REPRO_CFLAGS) \
	-I$(HOSTROOT)/include $(PQ_INCLUDE)
STAMPS_target := $(DEPS)/musl.stamp $(DEPS)/tpm2-tss.stamp $(DEPS)/mbedtls-musl.stamp \
	$(DEPS)/zlib-musl.stamp $(DEPS)/cjson.stamp
STAMPS_host := $(DEPS)/mbedtls-host.stamp $(DEPS)/zlib-host.stamp $(DEPS)/cjson.stamp
STAMPS_asan := $(STAMPS_host)
STAMPS_tsan := $(STAMPS_host)
STAMPS_fuzz := $(STAMPS_host)

# The archive's members. The TSS is built for the target only; OpenSSL (quote
# signatures, the verifier's) is on the host only.
LIB_NAMES := $(patsubst $(TOP)/src/lib/%.c,%,$(sort $(wildcard $(TOP)/src/lib/*.c)))
LIB_ONLY_target := tpm_pcr measure
LIB_ONLY_host := quote
LIB_NAMES_target := $(filter-out $(LIB_ONLY_host),$(LIB_NAMES))
LIB_NAMES_host := $(filter-out $(LIB_ONLY_target),$(LIB_NAMES))
LIB_NAMES_asan := $(LIB_NAMES_host)
LIB_NAMES_tsan := $(LIB_NAMES_host)
LIB_NAMES_fuzz := $(LIB_NAMES_host)

# $(call objs,variant,folder): the objects of every .c file in src/<folder>, sorted:
# the link order, and so the binary, must not depend on a directory's order.
objs = $(patsubst $(TOP)/src/%.c,$(O)/obj/$(1)/%.o,$(sort $(wildcard $(TOP)/src/$(2)/*.c)))
# $(call lib,variant): the variant's libairlock.a.
lib = $(O)/obj/$(1)/libairlock.a
# cJSON (pinned, third-party) is one more object for the programs that speak JSON.
cjson = $(O)/obj/$(1)/cjson/cJSON.o

define variant_rules
$(O)/obj/$(1)/%.o: $(TOP)/src/%.c $(STAMPS_$(1))
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) -I$(TOP)/src/lib -I$(DEPS)/cjson -MMD -MP -c -o $$@ $$<

# cJSON.c exists once cjson.stamp is made; it has no rule of its own.
$(O)/obj/$(1)/cjson/cJSON.o: $(DEPS)/cjson.stamp $(STAMPS_$(1))
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) -c -o $$@ $(DEPS)/cjson/cJSON.c

# Deterministic archive (D): no timestamps, uids or modes in it.
$(O)/obj/$(1)/libairlock.a: $(patsubst %,$(O)/obj/$(1)/lib/%.o,$(LIB_NAMES_$(1)))
	rm -f $$@ && $(AR) rcsD $$@ $$^

-include $(wildcard $(O)/obj/$(1)/*/*.d)
endef
$(foreach v,$(VARIANTS),$(eval $(call variant_rules,$(v))))

$(HOSTBIN)/mkcpio: $(TOP)/src/tools/mkcpio.c
	mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $<

# /init's command-line parser on the build host: a coreboot ROM's line is
# checked before the ROM is written (reproducible/image.mk).
$(HOSTBIN)/cmdline-check: $(O)/obj/host/tools/cmdline_check.o $(call lib,host)
	mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $^

$(TGT)/init: $(call objs,target,init) $(call lib,target)
	mkdir -p $(@D)
	$(MUSL_GCC) $(TARGET_CFLAGS) -o $@ $^ $(TARGET_LDFLAGS) $(TSS_LIBS) $(MBED_LIBS)

# The node agent: Keylime protocol, TLS, JSON (cJSON), zip (zlib), kexec handoff.
$(TGT)/airlock-agent: $(call objs,target,agent) $(call cjson,target) $(call lib,target)
	mkdir -p $(@D)
	$(MUSL_GCC) $(TARGET_CFLAGS) -o $@ $^ $(TARGET_LDFLAGS) $(TSS_LIBS) $(MBED_LIBS) -lz

userland: $(TGT)/init $(TGT)/airlock-agent

# The tenant's verifier (registrar, verifier, tenant roles): a host program,
# linked dynamically against SQLite, libpq and libcrypto (quote signatures); mbedtls
# and cJSON as the agent uses them. `predict` derives the configuration event
# with the same src/lib/config.c as /init.
VERIFIER_LIBS := -L$(HOSTROOT)/lib -lmbedtls -lmbedx509 -lmbedcrypto -lcrypto -lsqlite3 -lpq
# $(call verifier_link,variant)
verifier_link = $(CC_$(1)) $(CFLAGS_$(1)) -o $@ $^ $(VERIFIER_LIBS)

$(HOSTBIN)/airlock-verifier: $(call objs,host,verifier) $(call cjson,host) $(call lib,host)
	mkdir -p $(@D)
	$(call verifier_link,host)

verifier: $(HOSTBIN)/airlock-verifier
