# src/agent/manifest.c: airlock.json, payload layout version 1 (docs/payload.md). It uses the zip
# name rules (src/lib/zip.c); the end-to-end test unpacks a zip written by /usr/bin/python3.
test_manifest_SRCS := src/agent/manifest.c src/lib/url.c src/lib/zip.c
test_manifest_EXTRA := $(DEPS)/cjson/cJSON.c
test_manifest_LIBS := -lz
fuzz_manifest_SRCS := src/agent/manifest.c src/lib/url.c src/lib/zip.c
fuzz_manifest_EXTRA := $(DEPS)/cjson/cJSON.c
fuzz_manifest_LIBS := -lz
