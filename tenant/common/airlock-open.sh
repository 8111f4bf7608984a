# shellcheck shell=sh
# The tenant side of airlock's handoff (docs/tenant.md), shared by the
# initramfs-tools script and the dracut module, which install it in the
# initramfs as /usr/lib/airlock/airlock-open.sh and source it.
#
# airlock_open HANDOFF RUN ROOT: check the handoff version, open each LUKS
# volume listed in HANDOFF/luks/volumes with its key file (cryptsetup), wipe
# the key files, refuse a ROOT on /dev/mapper/NAME that was not delivered,
# copy IPsec material and the event logs to RUN, remove HANDOFF. Returns 0, or
# 1 with the reason in $airlock_reason (key files wiped all the same); the
# caller stops the boot its distribution's way. AIRLOCK_DELAY: seconds to wait
# for a volume to appear (default 30).

airlock_wipe_keys() {
	for k in "$1"/luks/*.key; do
		[ -f "$k" ] || continue
		# The initramfs is memory-backed: overwrite, then unlink.
		dd if=/dev/zero of="$k" bs="$(wc -c <"$k")" count=1 conv=notrunc 2>/dev/null
		rm -f "$k"
	done
}

# The block device a manifest volume names: /dev/PATH, a LUKS UUID or a label.
airlock_device_of() {
	case "$1" in
	/dev/*) echo "$1" ;;
	*-*-*-*-*) echo "/dev/disk/by-uuid/$1" ;;
	*) echo "/dev/disk/by-label/$1" ;;
	esac
}

airlock_refuse() {
	airlock_reason="airlock: $*"
	return 1
}

airlock_open() {
	_h=$1 _r=$2 _root=$3
	airlock_reason=
	airlock_open_volumes "$_h" "$_r" "$_root"
	_rc=$?
	airlock_wipe_keys "$_h"
	[ "$_rc" -eq 0 ] || return 1
	if [ -d "$_h/ipsec" ]; then
		cp -a "$_h/ipsec" "$_r/ipsec" || { airlock_refuse "cannot copy the IPsec material to $_r/ipsec"; return 1; }
		echo "airlock: IPsec material in $_r/ipsec"
	fi
	for _f in eventlog firmware-eventlog VERSION; do
		[ -f "$_h/$_f" ] && cp "$_h/$_f" "$_r/"
	done
	rm -rf "$_h"
	return 0
}

airlock_open_volumes() {
	_h=$1 _r=$2 _root=$3
	[ -d "$_h" ] || { airlock_refuse "no airlock handoff in the initramfs ($_h): this system must be booted by the airlock runtime (or give airlock=off)"; return 1; }
	_version=$(cat "$_h/VERSION" 2>/dev/null)
	[ "$_version" = 1 ] || { airlock_refuse "handoff layout version '${_version:-missing}' in $_h/VERSION; this hook reads version 1"; return 1; }
	mkdir -p "$_r" && chmod 0700 "$_r" || { airlock_refuse "cannot create $_r"; return 1; }
	_opened=" "
	if [ -e "$_h/luks/volumes" ]; then
		while read -r _name _volume _rest; do
			[ -n "$_name" ] || continue
			case "$_name" in
			*[!A-Za-z0-9._-]*) airlock_refuse "LUKS volume name '$_name' in $_h/luks/volumes is not [A-Za-z0-9._-]"; return 1 ;;
			esac
			[ -n "$_volume" ] && [ -z "$_rest" ] || { airlock_refuse "malformed line in $_h/luks/volumes: '$_name $_volume $_rest'"; return 1; }
			_key="$_h/luks/$_name.key"
			[ -s "$_key" ] || { airlock_refuse "no key file $_key for LUKS volume $_name"; return 1; }
			_dev=$(airlock_device_of "$_volume")
			# udev may still be creating the node.
			case "${AIRLOCK_DELAY:-}" in
			'' | *[!0-9]*) _tries=60 ;;
			*) _tries=$((AIRLOCK_DELAY * 2)) ;;
			esac
			while [ ! -b "$_dev" ] && [ "$_tries" -gt 0 ]; do
				sleep 0.5
				_tries=$((_tries - 1))
			done
			[ -b "$_dev" ] || { airlock_refuse "LUKS volume $_name: $_volume ($_dev) did not appear"; return 1; }
			echo "airlock: opening LUKS volume $_name on $_dev"
			cryptsetup open --key-file "$_key" "$_dev" "$_name" ||
				{ airlock_refuse "LUKS volume $_name on $_dev does not open with the delivered key"; return 1; }
			_opened="$_opened$_name "
		done <"$_h/luks/volumes"
	fi
	# A root on /dev/mapper/NAME that airlock did not deliver would only time out.
	case "$_root" in
	/dev/mapper/*)
		case "$_opened" in
		*" ${_root#/dev/mapper/} "*) ;;
		*) airlock_refuse "root $_root is not among the LUKS volumes airlock delivered ($(echo $_opened))"; return 1 ;;
		esac ;;
	esac
	return 0
}

# True when the kernel command line (file $1) has airlock=off.
airlock_disabled() {
	for _arg in $(cat "$1"); do
		[ "$_arg" = airlock=off ] && return 0
	done
	return 1
}
