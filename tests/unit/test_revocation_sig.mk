# SPDX-License-Identifier: GPL-2.0-only
# src/lib/revocation_sig.c: unit test (OpenSSL's libcrypto is the oracle, as
# Python's cryptography signs for Keylime) and fuzz harness.
test_revocation_sig_SRCS := src/lib/revocation_sig.c src/lib/keylime_crypto.c src/lib/digest.c
test_revocation_sig_LIBS := -lmbedx509 -lcrypto
fuzz_revocation_sig_SRCS := src/lib/revocation_sig.c src/lib/keylime_crypto.c src/lib/digest.c
fuzz_revocation_sig_LIBS := -lmbedx509
