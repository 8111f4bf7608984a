/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * State shared by the node agent's parts: identity (uuid, EK, AK, NK), the key
 * halves received so far, and what the runtime does once the key is known.
 * Single-threaded: the HTTP server calls the API handlers one at a time.
 */
#ifndef AIRLOCK_AGENT_AGENT_H
#define AIRLOCK_AGENT_AGENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fw_log.h"
#include "keylime_crypto.h"
#include "keys.h"
#include "revocation.h"
#include "tpm_agent.h"

#define AGENT_UUID_MAX 64
#define AGENT_CERT_PEM_MAX 4096
#define AGENT_EK_CERT_MAX 4096

enum agent_mode {
	AGENT_MODE_RUNTIME = 0, /* LinuxBoot runtime: payload -> handoff -> kexec */
	AGENT_MODE_HOST,        /* ordinary Keylime agent on a booted host */
};

enum agent_phase {
	AGENT_REGISTERING = 0,
	AGENT_SERVING,          /* registered and activated; waiting for U, V */
	AGENT_KEY_DERIVED,      /* K known; payload being processed */
	AGENT_DONE,             /* handoff done (dry run) or payload delivered (host mode) */
	AGENT_FAILED,
};

struct agent_options {
	const char *config_path;
	const char *tpm;          /* overrides airlock.tpm (and allows swtpm: specs) */
	const char *state_dir;    /* tmpfs: payload, handoff; default /run/airlock */
	const char *eventlog;     /* runtime event log; default <state_dir>/eventlog */
	const char *fw_eventlog;  /* NULL: securityfs, else coreboot's CBMEM log (fw_log.h) */
	const char *ima_log;      /* default securityfs ascii_runtime_measurements */
	const char *listen;       /* address to listen on; default all */
	const char *kexec_tool;   /* kexec-tools for the kexec_load fallback */
	enum ta_key_type ek_type;
	enum ta_key_type ak_type;
	enum agent_mode mode;
	bool dry_run;
	int exit_after_s;         /* host tests: give up after this long (0: never) */
	int verify_grace_s;       /* after K: wait this long for the tenant's keys/verify */
};

struct agent {
	struct agent_options opt;
	struct airlock_config cfg;
	char uuid[AGENT_UUID_MAX + 1];
	char contact[CONFIG_HOST_MAX + 1];
	uint16_t port;
	struct ta_ctx *tpm;
	enum ta_key_type ek_type, ak_type;
	uint8_t ek_pub[TA_PUB_MAX];
	size_t ek_pub_len;
	uint8_t ek_cert[AGENT_EK_CERT_MAX];
	size_t ek_cert_len;
	uint8_t ak_pub[TA_PUB_MAX];
	size_t ak_pub_len;
	uint8_t ak_name[TA_NAME_MAX];
	size_t ak_name_len;
	struct kc_rng rng;
	struct kc_nk nk;
	char mtls_cert[AGENT_CERT_PEM_MAX];
	struct agent_keys keys;
	enum agent_phase phase;
	bool verified;             /* a keys/verify was answered with the derived key */
	bool rekey;                /* a new U replaced the derived key: drop its payload */
	double t_key;              /* when K was derived */
	struct payload *payload;   /* unpacked payload (payload.h) */
	const char *refusal;       /* why payload_prepare refused: a measured token */
	struct fw_log fw_log;      /* the firmware's event log, read once at start */
	struct revocation rev;     /* the payload's notifier certificate and actions */
	double boot_time;          /* seconds since the epoch at boot, for "boottime" */
	double t_start;
	char last_error[256];
};

#endif
