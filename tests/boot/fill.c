/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The "previous tenant" of the warm-reset residue test: booted as PID 1
 * (rdinit=/fill), it fills all the RAM it can get with a known 64-bit pattern
 * and powers off. The next boot, on the same RAM, is the runtime; the test
 * then searches guest memory for the pattern.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

#define PATTERN 0x41a5c0de5eed1e55ULL
#define CHUNK (8u << 20)
#define FLOOR_KB (12u * 1024)

static long mem_available_kb(void)
{
	char buf[4096];
	int fd = open("/proc/meminfo", O_RDONLY);
	ssize_t n;
	char *p;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "MemAvailable:");
	return p ? atol(p + 13) : -1;
}

int main(void)
{
	unsigned long chunks = 0;

	mount("proc", "/proc", "proc", 0, NULL);
	for (;;) {
		long avail = mem_available_kb();
		uint64_t *p;

		if (avail < 0 || avail < (long)FLOOR_KB + (long)(CHUNK / 1024))
			break;
		p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			break;
		for (size_t i = 0; i < CHUNK / sizeof(*p); i++)
			p[i] = PATTERN;
		chunks++;
	}
	printf("airlock-test fill: %lu MiB filled with 0x%016llx\n", chunks * (CHUNK >> 20),
	       (unsigned long long)PATTERN);
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
