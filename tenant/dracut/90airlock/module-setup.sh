#!/bin/bash
# dracut module (Fedora, RHEL, and dracut elsewhere): open the LUKS volumes
# airlock delivers before the root file system is mounted (docs/tenant.md).
# The same core as the initramfs-tools script: airlock-open.sh.

# Only when asked for: add_dracutmodules+=" airlock " (tenant/install dracut).
check() {
	require_binaries cryptsetup dd wc cp || return 1
	return 255
}

depends() {
	echo dm rootfs-block
}

installkernel() {
	hostonly='' instmods dm_crypt xts aesni_intel aes_generic sha256_generic \
		algif_skcipher algif_hash virtio_pci virtio_blk ext4
}

install() {
	inst_multiple cryptsetup dd wc cp rm mkdir chmod cat sleep
	inst_simple "$moddir/airlock-open.sh" /usr/lib/airlock/airlock-open.sh
	# Runs each time udev settles while dracut waits for the root device.
	inst_hook initqueue/settled 50 "$moddir/airlock-unlock.sh"
}
