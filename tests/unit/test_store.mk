# The verifier's state database (src/verifier/store.c, store_migrate.c): a round's
# write, the upgrades from the first and second releases' schemas, V's claim, a newer
# schema refused.
test_store_SRCS := src/verifier/db.c src/verifier/store.c src/verifier/store_migrate.c src/verifier/vkey_file.c \
	src/verifier/ek_trust.c
test_store_LIBS := -lsqlite3 -lpq -lmbedx509 -lcrypto
