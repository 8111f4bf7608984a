# SPDX-License-Identifier: GPL-2.0-only
# src/verifier/pending_v.c: sealing a pending V for PostgreSQL (OpenSSL's
# AES-256-GCM), every way an opened row must be refused.
test_pending_v_SRCS := src/verifier/pending_v.c src/verifier/db.c src/verifier/vkey_file.c
test_pending_v_LIBS := -lsqlite3 -lpq -lcrypto
