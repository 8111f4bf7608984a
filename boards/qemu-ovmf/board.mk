# UEFI board: OVMF with a TPM 2.0 measures the EFI-stub kernel into PCR 4
# when iPXE (itself measured) chainloads it. This is the path for UEFI servers
# whose firmware cannot be replaced; it carries the common server NICs.
BOARD_DESCRIPTION := QEMU q35 + OVMF (UEFI, measured boot), iPXE chainloads the EFI-stub image
BOARD_KCONFIG := kernel-config/base.config kernel-config/server-nics.config
# memtest=1: one early pass that leaves all memory memblock has free zeroed,
# including the free parts of pages that later early allocations only partly
# fill and that are never handed to the page allocator (docs/scrub.md).
BOARD_CMDLINE := console=ttyS0,115200 panic=10 memtest=1
BOARD_CMDLINE_OVERRIDE := n
BOARD_FIRMWARE := ovmf
