# src/verifier/policy.c: policy files and the mismatch report (first differing event).
VERIFIER_POLICY_SRCS := src/verifier/policy.c src/lib/quote.c src/lib/tpm_public.c src/lib/digest.c \
	src/lib/keylime_crypto.c src/lib/eventlog.c
test_policy_SRCS := $(VERIFIER_POLICY_SRCS)
test_policy_EXTRA := $(DEPS)/cjson/cJSON.c
test_policy_LIBS := -lmbedx509 -lcrypto
fuzz_policy_SRCS := $(VERIFIER_POLICY_SRCS)
fuzz_policy_EXTRA := $(DEPS)/cjson/cJSON.c
fuzz_policy_LIBS := -lmbedx509 -lcrypto
# src/verifier/pe_hash.c: Authenticode digest (tests/unit/test_predict.sh checks it against
# osslsigncode on the real bzImage).
fuzz_pe_hash_SRCS := src/verifier/pe_hash.c src/lib/digest.c
# src/verifier/payload_build.c: checked by the agent's own zip reader and manifest parser.
test_payload_build_SRCS := src/verifier/payload_build.c src/agent/manifest.c src/lib/zip.c \
	src/lib/url.c src/lib/digest.c src/lib/keylime_crypto.c
test_payload_build_EXTRA := $(DEPS)/cjson/cJSON.c
test_payload_build_LIBS := -lmbedx509 -lz
# src/verifier/cbfs.c: FMAP and CBFS of coreboot ROMs (tests/unit/test_coreboot_rom.sh checks
# predict's PCR 2 against cbfstool).
fuzz_cbfs_SRCS := src/verifier/cbfs.c
