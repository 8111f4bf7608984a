/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Runtime configuration of /init, read from the airlock.* words of /proc/cmdline.
 *
 * The effective configuration is measured into the TPM (config_canonical()), so parsing is strict:
 * anything malformed, unknown, duplicated or overlong is a fatal problem rather than a guess.
 * The full rules, per key, are in docs/configuration.md; keep the two in step.
 *
 * No heap: every field is fixed-size and the caller owns all buffers.
 */
#ifndef AIRLOCK_CONFIG_H
#define AIRLOCK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest command line accepted, in bytes, including the kernel's trailing newline. */
#define CONFIG_CMDLINE_MAX 4096

/* Field limits; a value longer than its field is rejected, never truncated. */
#define CONFIG_HOST_MAX 253     /* DNS name text (RFC 1035); IPv4/IPv6 text is shorter */
#define CONFIG_UUID_LEN 36      /* 8-4-4-4-12 */
#define CONFIG_IFACE_MAX 15     /* IFNAMSIZ - 1 */
#define CONFIG_TPM_PATH_MAX 63
#define CONFIG_URL_MAX 255      /* airlock.client_ca: http://host[:port]/path */
#define CONFIG_SHA256_HEX 64

/* Enough for config_canonical() of any configuration config_parse() can accept (tested). */
#define CONFIG_CANONICAL_MAX 2048

#define CONFIG_DEFAULT_REGISTRAR_PORT 8890
#define CONFIG_DEFAULT_VERIFIER_PORT 8881
#define CONFIG_DEFAULT_AGENT_PORT 9002
#define CONFIG_DEFAULT_NET_TIMEOUT 30
#define CONFIG_DEFAULT_SCRUB_MIN 90
#define CONFIG_DEFAULT_PAYLOAD_MAX 1048576u
#define CONFIG_PAYLOAD_MIN 4096u
#define CONFIG_PAYLOAD_LIMIT 67108864u

enum config_host_kind {
	CONFIG_HOST_NONE = 0, /* key not given */
	CONFIG_HOST_IPV4,
	CONFIG_HOST_IPV6,
	CONFIG_HOST_NAME,     /* DNS name, resolved later by the caller */
};

struct config_endpoint {
	enum config_host_kind kind;
	/* Canonical text: lowercase DNS name, dotted quad, or RFC 5952 IPv6 without brackets. */
	char host[CONFIG_HOST_MAX + 1];
	/* Network byte order; IPv4 in addr[0..3]. All zero for CONFIG_HOST_NAME. */
	uint8_t addr[16];
	uint16_t port;
};

enum config_ip_mode {
	CONFIG_IP_DHCP = 0,
	CONFIG_IP_STATIC,
};

struct config_ip {
	enum config_ip_mode mode;
	uint8_t addr[4]; /* static only, network byte order */
	uint8_t prefix;  /* 0..32 */
	bool has_gateway;
	uint8_t gateway[4];
	bool has_dns;
	uint8_t dns[4];
};

enum config_loglevel {
	CONFIG_LOG_ERROR = 0,
	CONFIG_LOG_WARN,
	CONFIG_LOG_INFO,
	CONFIG_LOG_DEBUG,
};

struct airlock_config {
	struct config_endpoint registrar; /* required */
	struct config_endpoint verifier;  /* kind NONE: not given */
	struct config_endpoint contact;   /* kind NONE: our own address at .port */
	uint16_t port;                    /* agent listen port */
	char uuid[CONFIG_UUID_LEN + 1];   /* "" : not given (the agent decides) */
	char iface[CONFIG_IFACE_MAX + 1]; /* "" : first interface with carrier */
	struct config_ip ip;
	uint32_t net_timeout;             /* seconds */
	bool scrub;
	uint32_t scrub_min;               /* percent of MemTotal */
	bool shell;
	enum config_loglevel loglevel;
	char tpm[CONFIG_TPM_PATH_MAX + 1]; /* "" : caller picks /dev/tpmrm0 or /dev/tpm0 */
	bool mtls;
	uint32_t payload_max;             /* bytes */
	/* Mutual TLS client CA fetched at boot and pinned by its sha256; both "" or both set. */
	char client_ca[CONFIG_URL_MAX + 1];
	char client_ca_sha256[CONFIG_SHA256_HEX + 1]; /* lowercase hex */
};

#define CONFIG_DIAG_KEY_MAX 48
#define CONFIG_DIAG_VALUE_MAX 72
#define CONFIG_DIAG_MSG_MAX 192

/*
 * One problem found on the command line. key and value are copies of the text as written,
 * truncated to fit (ending in "...") with bytes outside printable ASCII and '\' shown as \xNN, so
 * they are always NUL-terminated and safe to print on a console.
 */
struct config_diag {
	bool fatal;
	size_t offset; /* byte offset of the word in the command line */
	char key[CONFIG_DIAG_KEY_MAX];
	char value[CONFIG_DIAG_VALUE_MAX];
	char msg[CONFIG_DIAG_MSG_MAX]; /* what is wrong and what is accepted */
};

/* Fill cfg with the defaults of every key (registrar unset). */
void config_defaults(struct airlock_config *cfg);

/*
 * Parse the first len bytes of cmdline (the content of /proc/cmdline). Exactly len bytes are
 * read; no NUL terminator is needed and an embedded NUL is a fatal problem.
 *
 * Every problem is described in diag[0..diag_cap-1], in command-line order; *diag_count (may be
 * NULL) receives the number of problems found, which can exceed diag_cap. When the array is full,
 * a fatal problem replaces the last stored non-fatal one, so a failed parse with diag_cap >= 1
 * always shows at least one fatal entry.
 *
 * Returns 0 when no problem is fatal: cfg holds the given values plus defaults.
 * Returns -1 otherwise: cfg holds only the defaults, so nothing from a rejected line is acted on.
 */
int config_parse(const char *cmdline, size_t len, struct airlock_config *cfg,
		 struct config_diag *diag, size_t diag_cap, size_t *diag_count);

/*
 * config_parse, and when it refuses the line, err says why as "/init would
 * refuse this command line: KEY=VALUE: what is wrong" (the first fatal
 * problem): what `predict` and `make`'s ROM check print.
 */
int config_parse_explained(const char *cmdline, size_t len, struct airlock_config *cfg, char *err,
			   size_t errlen);

/*
 * Write the effective configuration as "airlock.KEY=VALUE\n" lines, one per key, sorted by key,
 * defaults included, followed by a NUL (not counted). This is the measured "runtime
 * configuration"; its format is specified in docs/configuration.md.
 *
 * Returns the length without the NUL, or -1 if the text and its NUL do not fit in len bytes or if
 * cfg holds a value config_parse() would not accept.
 */
int config_canonical(const struct airlock_config *cfg, char *buf, size_t len);

#endif
