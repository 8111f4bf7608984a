# QEMU q35 with coreboot: the runtime is coreboot's payload in SPI flash, the
# Heads-style path for servers whose firmware the provider builds. coreboot is
# not packaged in Debian, so the project cannot build it: give the base ROM
# (a coreboot build for this board with TPM measured boot and a payload slot)
# as COREBOOT_ROM and `make` replaces its fallback/payload with this image's
# kernel into build/qemu-coreboot/airlock.rom (docs/coreboot.md).
BOARD_DESCRIPTION := QEMU q35 + coreboot (measured boot into PCR 2), the runtime as coreboot's payload; needs COREBOOT_ROM
# coreboot.config: the kernel reads coreboot's tables, so the agent finds
# coreboot's TPM log in CBMEM (q35's ACPI TPM log is empty under coreboot).
BOARD_KCONFIG := kernel-config/base.config kernel-config/coreboot.config
BOARD_CMDLINE := console=ttyS0,115200 panic=10 memtest=1
BOARD_CMDLINE_OVERRIDE := n
BOARD_FIRMWARE := coreboot
# What this board's coreboot loads from CBFS and so measures into PCR 2, in
# order, after the FMAP area (coreboot 26.06, q35). A real board lists its own
# (microcode, VBT, ... when its coreboot loads them); recorded in buildinfo
# for `airlock-verifier predict`.
BOARD_COREBOOT_MEASURED := bootblock fallback/romstage fallback/postcar fallback/ramstage fallback/payload
