test_cpio_newc_SRCS := src/lib/cpio_newc.c
