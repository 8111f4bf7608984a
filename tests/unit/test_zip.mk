# src/lib/zip.c: payload unpacking (docs/payload.md). The unit test writes its archives with
# /usr/bin/python3 (zipfile) and /usr/bin/zip at run time.
test_zip_SRCS := src/lib/zip.c
test_zip_LIBS := -lz
fuzz_zip_SRCS := src/lib/zip.c
fuzz_zip_LIBS := -lz
