/* SPDX-License-Identifier: GPL-2.0-only */
#include "net.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "proc.h"

#define BUSYBOX "/bin/busybox"

static int read_flag(const char *iface, const char *attr)
{
	char path[96], c = 0;
	int fd, ok;

	if (snprintf(path, sizeof(path), "/sys/class/net/%.*s/%.16s", CONFIG_IFACE_MAX, iface,
		     attr) >= (int)sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ok = read(fd, &c, 1) == 1 && c == '1';
	close(fd);
	return ok;
}

/*
 * Only real Ethernet NICs are candidates: type 1 (ARPHRD_ETHER) with a device
 * behind them. Virtual interfaces the kernel creates by itself (sit0, tunl0,
 * ...) would otherwise be picked as "first with carrier".
 */
static int is_ethernet_nic(const char *iface)
{
	char path[96], type[8] = "";
	int fd;
	ssize_t n;

	if (snprintf(path, sizeof(path), "/sys/class/net/%.*s/device", CONFIG_IFACE_MAX, iface) >=
	    (int)sizeof(path) || access(path, F_OK) != 0)
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%.*s/type", CONFIG_IFACE_MAX, iface);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, type, sizeof(type) - 1);
	close(fd);
	return n > 0 && strncmp(type, "1\n", 2) == 0;
}

static int link_up(const char *iface)
{
	char *argv[] = { BUSYBOX, "ip", "link", "set", (char *)iface, "up", NULL };

	return proc_run(argv, 10) == 0 ? 0 : -1;
}

/*
 * Bring every candidate up, then wait (bounded) for carrier: on the named
 * interface, or on the first one in name order that has it.
 */
static int pick_iface(const struct airlock_config *cfg, char *out, size_t outlen, char *err,
		      size_t errlen)
{
	char names[16][CONFIG_IFACE_MAX + 1];
	unsigned n = 0;
	double deadline = mono_s() + cfg->net_timeout;
	const struct timespec tick = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };

	if (cfg->iface[0]) {
		snprintf(names[n++], sizeof(names[0]), "%s", cfg->iface);
	} else {
		DIR *d = opendir("/sys/class/net");
		struct dirent *e;

		if (!d) {
			snprintf(err, errlen, "cannot list /sys/class/net: %s", strerror(errno));
			return -1;
		}
		while ((e = readdir(d)) && n < 16) {
			if (e->d_name[0] == '.' || strlen(e->d_name) > CONFIG_IFACE_MAX ||
			    !is_ethernet_nic(e->d_name))
				continue;
			memcpy(names[n++], e->d_name, strlen(e->d_name) + 1);
		}
		closedir(d);
		/* readdir order is not stable; "first" must mean the same on every boot */
		for (unsigned i = 1; i < n; i++)
			for (unsigned j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
				char t[CONFIG_IFACE_MAX + 1];

				memcpy(t, names[j], sizeof(t));
				memcpy(names[j], names[j - 1], sizeof(t));
				memcpy(names[j - 1], t, sizeof(t));
			}
	}
	if (n == 0) {
		snprintf(err, errlen, "no Ethernet interface found (is the NIC's driver in the kernel? "
			 "docs/kernel.md lists the built-in ones)");
		return -1;
	}
	for (unsigned i = 0; i < n; i++)
		if (link_up(names[i]) != 0)
			log_warn("network: cannot set %s up", names[i]);
	while (mono_s() < deadline) {
		for (unsigned i = 0; i < n; i++)
			if (read_flag(names[i], "carrier")) {
				snprintf(out, outlen, "%s", names[i]);
				return 0;
			}
		nanosleep(&tick, NULL);
	}
	snprintf(err, errlen, "no link on %s after %u s (check the cable and switch port, or name "
		 "the NIC with airlock.iface=)", cfg->iface[0] ? cfg->iface : "any interface",
		 cfg->net_timeout);
	return -1;
}

static int dhcp(const struct airlock_config *cfg, const char *iface, char *err, size_t errlen)
{
	char tries[16];
	unsigned t = cfg->net_timeout / 3 ? cfg->net_timeout / 3 : 1;
	char *argv[] = { BUSYBOX, "udhcpc", "-f", "-q", "-n", "-i", (char *)iface, "-t", tries,
			 "-T", "3", "-s", "/etc/udhcpc.script", NULL };

	snprintf(tries, sizeof(tries), "%u", t);
	if (proc_run(argv, cfg->net_timeout + 5) != 0) {
		snprintf(err, errlen, "no DHCP lease on %s within %u s (is a DHCP server on that network?)",
			 iface, cfg->net_timeout);
		return -1;
	}
	return 0;
}

static int static_ip(const struct airlock_config *cfg, const char *iface, char *err,
		     size_t errlen)
{
	const uint8_t *a = cfg->ip.addr, *g = cfg->ip.gateway, *d = cfg->ip.dns;
	char addr[24], gw[16];
	char *add[] = { BUSYBOX, "ip", "-4", "addr", "add", addr, "dev", (char *)iface, NULL };
	char *route[] = { BUSYBOX, "ip", "-4", "route", "replace", "default", "via", gw, "dev",
			  (char *)iface, NULL };
	FILE *f;

	snprintf(addr, sizeof(addr), "%u.%u.%u.%u/%u", a[0], a[1], a[2], a[3], cfg->ip.prefix);
	if (proc_run(add, 10) != 0) {
		snprintf(err, errlen, "cannot set address %s on %s", addr, iface);
		return -1;
	}
	if (cfg->ip.has_gateway) {
		snprintf(gw, sizeof(gw), "%u.%u.%u.%u", g[0], g[1], g[2], g[3]);
		if (proc_run(route, 10) != 0) {
			snprintf(err, errlen, "cannot set default route via %s on %s", gw, iface);
			return -1;
		}
	}
	f = fopen("/run/airlock/resolv.conf", "we");
	if (!f) {
		snprintf(err, errlen, "cannot write /run/airlock/resolv.conf: %s", strerror(errno));
		return -1;
	}
	if (cfg->ip.has_dns)
		fprintf(f, "nameserver %u.%u.%u.%u\n", d[0], d[1], d[2], d[3]);
	if (fclose(f) != 0) {
		snprintf(err, errlen, "cannot write /run/airlock/resolv.conf: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int net_up(const struct airlock_config *cfg, char *iface, size_t ifacelen, char *err,
	   size_t errlen)
{
	if (link_up("lo") != 0)
		log_warn("network: cannot set lo up");
	if (pick_iface(cfg, iface, ifacelen, err, errlen) != 0)
		return -1;
	log_info("network: link up on %s", iface);
	if (cfg->ip.mode == CONFIG_IP_STATIC)
		return static_ip(cfg, iface, err, errlen);
	return dhcp(cfg, iface, err, errlen);
}
