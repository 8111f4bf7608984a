# Our programs: host build tools, and the runtime's static musl programs.

# Each program names the shared modules it links, so /init does not carry the
# agent's TLS, JSON and zip code.
INIT_SRCS := $(wildcard $(TOP)/src/init/*.c) \
	$(addprefix $(TOP)/src/lib/,digest.c eventlog.c tpm_pcr.c measure.c url.c)
TSS_LIBS := -ltss2-esys -ltss2-sys -ltss2-mu -ltss2-rc -ltss2-tcti-device \
	-ltss2-tcti-swtpm -ltss2-tctildr
MBED_LIBS := -lmbedtls -lmbedx509 -lmbedcrypto

$(HOSTBIN)/mkcpio: $(TOP)/src/tools/mkcpio.c
	mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $<

$(TGT)/init: $(INIT_SRCS) $(wildcard $(TOP)/src/init/*.h $(TOP)/src/lib/*.h) \
		$(DEPS)/tpm2-tss.stamp $(DEPS)/mbedtls-musl.stamp
	mkdir -p $(@D)
	$(MUSL_GCC) $(TARGET_CFLAGS) -I$(TOP)/src/lib -I$(TOP)/src/init -o $@ $(INIT_SRCS) \
		$(TARGET_LDFLAGS) $(TSS_LIBS) $(MBED_LIBS)

# The node agent: Keylime protocol, TLS, JSON (cJSON), zip (zlib), kexec handoff.
AGENT_SRCS := $(wildcard $(TOP)/src/agent/*.c) $(TOP)/src/init/config.c $(TOP)/src/init/log.c \
	$(addprefix $(TOP)/src/lib/,digest.c eventlog.c tpm_pcr.c measure.c cpio_newc.c http.c url.c \
		http_server.c http_client.c keylime_crypto.c zip.c revocation_sig.c ek_uuid.c)
# cJSON.c comes out of cjson.stamp (no rule of its own), so it is named in the
# recipe only: as a prerequisite a fresh output tree has no rule to make it.
CJSON_SRC := $(DEPS)/cjson/cJSON.c

$(TGT)/airlock-agent: $(AGENT_SRCS) $(wildcard $(TOP)/src/agent/*.h $(TOP)/src/lib/*.h) \
		$(DEPS)/tpm2-tss.stamp $(DEPS)/mbedtls-musl.stamp $(DEPS)/zlib-musl.stamp \
		$(DEPS)/cjson.stamp
	mkdir -p $(@D)
	$(MUSL_GCC) $(TARGET_CFLAGS) -I$(TOP)/src/agent -I$(TOP)/src/init -I$(DEPS)/cjson -o $@ \
		$(AGENT_SRCS) $(CJSON_SRC) $(TARGET_LDFLAGS) $(TSS_LIBS) $(MBED_LIBS) -lz

userland: $(TGT)/init $(TGT)/airlock-agent

# The tenant's verifier (registrar, verifier, tenant roles): a host program,
# linked dynamically against SQLite and libcrypto (quote signatures); mbedtls
# and cJSON as the agent uses them.
# src/init/config.c: `predict` derives the configuration event exactly as /init does.
VERIFIER_SRCS := $(wildcard $(TOP)/src/verifier/*.c) $(TOP)/src/init/config.c \
	$(addprefix $(TOP)/src/lib/,digest.c eventlog.c credential.c tpm_public.c keylime_crypto.c \
		quote.c http.c http_server.c http_client.c url.c revocation_sig.c ek_uuid.c)

$(HOSTBIN)/airlock-verifier: $(VERIFIER_SRCS) \
		$(wildcard $(TOP)/src/verifier/*.h $(TOP)/src/lib/*.h $(TOP)/src/init/config.h) \
		$(DEPS)/mbedtls-host.stamp $(DEPS)/cjson.stamp
	mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -pthread -I$(TOP)/src/lib -I$(TOP)/src/verifier -I$(TOP)/src/init \
		-I$(HOSTROOT)/include \
		-I$(DEPS)/cjson -o $@ $(VERIFIER_SRCS) $(CJSON_SRC) -L$(HOSTROOT)/lib \
		-lmbedtls -lmbedx509 -lmbedcrypto -lcrypto -lsqlite3

verifier: $(HOSTBIN)/airlock-verifier
