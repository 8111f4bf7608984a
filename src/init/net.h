/* SPDX-License-Identifier: GPL-2.0-only */
/* Network bring-up: one interface, DHCP (busybox udhcpc) or static IPv4. */
#ifndef AIRLOCK_INIT_NET_H
#define AIRLOCK_INIT_NET_H

#include <stddef.h>

#include "config.h"

/* Returns 0 with the interface name in iface, or -1 with the reason in err. */
int net_up(const struct airlock_config *cfg, char *iface, size_t ifacelen, char *err,
	   size_t errlen);

#endif
