# SPDX-License-Identifier: GPL-2.0-only
# src/lib/keylime_crypto.c: unit test (OpenSSL's libcrypto is the independent
# oracle there, never linked into the library) and fuzz harness.
test_keylime_crypto_SRCS := src/lib/keylime_crypto.c
test_keylime_crypto_LIBS := -lmbedx509 -lcrypto
fuzz_keylime_crypto_SRCS := src/lib/keylime_crypto.c
fuzz_keylime_crypto_LIBS := -lmbedx509
