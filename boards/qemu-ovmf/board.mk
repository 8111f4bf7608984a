# UEFI board: OVMF with a TPM 2.0 measures the EFI-stub kernel into PCR 4
# when iPXE (itself measured) chainloads it. This is the path for UEFI servers
# whose firmware cannot be replaced; it carries the common server NICs.
BOARD_DESCRIPTION := QEMU q35 + OVMF (UEFI, measured boot), iPXE chainloads the EFI-stub image
BOARD_KCONFIG := kernel-config/base.config kernel-config/server-nics.config
BOARD_CMDLINE := console=ttyS0,115200 panic=10
BOARD_CMDLINE_OVERRIDE := n
BOARD_FIRMWARE := ovmf
