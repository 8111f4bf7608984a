# SPDX-License-Identifier: GPL-2.0-only
# src/lib/encoding.c; OpenSSL's libcrypto is the base64 oracle.
test_encoding_SRCS := src/lib/encoding.c
test_encoding_LIBS := -lcrypto
