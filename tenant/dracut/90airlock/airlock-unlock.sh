#!/bin/sh
# dracut initqueue/settled hook (sourced, maybe many times): open the delivered
# LUKS volumes once; on anything missing or malformed, die (dracut's fatal
# path: the emergency shell with rd.shell, else a halt), never go on unlocked.
type getarg >/dev/null 2>&1 || . /lib/dracut-lib.sh
if [ ! -e /tmp/airlock.done ]; then
	: >/tmp/airlock.done
	. /usr/lib/airlock/airlock-open.sh
	if ! airlock_disabled /proc/cmdline; then
		AIRLOCK_DELAY=$(getarg rd.retry=)
		airlock_open /airlock /run/airlock "$(getarg root=)" || die "$airlock_reason"
	fi
fi
