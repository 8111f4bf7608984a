# src/lib/tpm_public.c and src/lib/credential.c: tests/unit/test_credential.c
# (OpenSSL's libcrypto is the independent oracle) and tests/fuzz/fuzz_tpm_public.c.
test_credential_SRCS := src/lib/tpm_public.c src/lib/credential.c src/lib/digest.c
test_credential_LIBS := -lcrypto
fuzz_tpm_public_SRCS := src/lib/tpm_public.c src/lib/credential.c src/lib/digest.c
