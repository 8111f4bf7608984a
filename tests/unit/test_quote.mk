# src/lib/quote.c: Keylime quote parsing and verification (tests/vectors/quote/ from swtpm).
test_quote_SRCS := src/lib/quote.c src/lib/tpm_public.c src/lib/digest.c src/lib/keylime_crypto.c
test_quote_LIBS := -lmbedx509 -lcrypto
fuzz_quote_SRCS := src/lib/quote.c src/lib/tpm_public.c src/lib/digest.c src/lib/keylime_crypto.c
fuzz_quote_LIBS := -lmbedx509 -lcrypto
