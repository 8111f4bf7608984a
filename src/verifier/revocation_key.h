/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The verifier's revocation notifier key: one RSA-2048 key per state
 * directory (a verifier serves one tenant, as Keylime's tenant uses one
 * RevocationNotifier certificate for all its nodes), kept with its
 * self-signed certificate in STATE/revocation-notifier.pem (0600). The
 * first user creates it; concurrent first users agree on one (link(2)).
 * Payloads carry the certificate as RevocationNotifier-cert.crt; the key
 * signs every revocation notice.
 */
#ifndef AIRLOCK_VERIFIER_REVOCATION_KEY_H
#define AIRLOCK_VERIFIER_REVOCATION_KEY_H

#include <stddef.h>

#include "keylime_crypto.h"
#include "revocation_sig.h"

#define REVKEY_FILE "revocation-notifier.pem"
#define REVKEY_CERT_NAME "RevocationNotifier-cert.crt"

struct revkey {
	struct kc_nk key;
	char cert[RS_CERT_MAX]; /* PEM, NUL-terminated */
	size_t cert_len;
};

/* Load STATE/revocation-notifier.pem, creating it when absent. 0 or -1 with err. */
int revkey_open(const char *state_dir, struct kc_rng *rng, struct revkey *rk, char *err,
		size_t errlen);
void revkey_free(struct revkey *rk);

#endif
