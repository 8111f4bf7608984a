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
