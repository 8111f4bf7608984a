# Development board: QEMU q35 with SeaBIOS, direct kernel boot (-kernel).
# SeaBIOS measures nothing here, so this board is NOT a security boundary:
# it exists to develop and test the runtime quickly. Boot it with
# tests/boot/qemu-run (see docs/boards.md).
BOARD_DESCRIPTION := QEMU q35 + SeaBIOS, direct kernel boot (development only, not a security boundary)
BOARD_KCONFIG := kernel-config/base.config
# memtest=1: one early pass that leaves all memory memblock has free zeroed,
# including the free parts of pages that later early allocations only partly
# fill and that are never handed to the page allocator (docs/scrub.md).
BOARD_CMDLINE := console=ttyS0,115200 panic=10 memtest=1
BOARD_CMDLINE_OVERRIDE := n
BOARD_FIRMWARE := seabios
