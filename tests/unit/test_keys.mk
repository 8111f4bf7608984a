test_keys_SRCS := src/agent/keys.c src/lib/keylime_crypto.c
test_keys_LIBS := -lmbedx509
