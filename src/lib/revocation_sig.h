/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Keylime's revocation notice signature, both ends: the verifier signs the
 * notice's "msg" string, the agent checks it against the RevocationNotifier
 * certificate its payload carried. RSA-PSS with SHA-256, MGF1-SHA-256 and
 * the maximal salt (what keylime/crypto.py's rsa_sign does), over the exact
 * bytes of the msg string; the signature travels as base64.
 */
#ifndef AIRLOCK_REVOCATION_SIG_H
#define AIRLOCK_REVOCATION_SIG_H

#include <stddef.h>

#include "keylime_crypto.h"

/* base64 of a KC_RSA_MAX_BITS signature, with its NUL. */
#define RS_SIG_B64_MAX ((KC_RSA_MAX_BYTES + 2) / 3 * 4 + 1)
/* A certificate file: one RSA certificate in PEM. */
#define RS_CERT_MAX 8192
/* The notice text we sign or check. */
#define RS_MSG_MAX 65536

/* KC_OK when cert_pem is one X.509 certificate with an RSA key rs_verify takes; else KC_ERR_KEY (or KC_ERR_INPUT, oversized) with err. */
int rs_cert_check(const char *cert_pem, size_t cert_len, char *err, size_t errlen);

/* 0 with b64 holding the NUL-terminated signature; KC_ERR_* with err. */
int rs_sign(const struct kc_nk *key, struct kc_rng *rng, const char *msg, size_t len,
	    char *b64, size_t cap, char *err, size_t errlen);

/*
 * KC_OK when sig_b64 is a valid signature of msg by cert_pem's key;
 * KC_ERR_AUTH when it is not (bad base64, wrong length, wrong key, other
 * bytes); KC_ERR_KEY when the certificate does not parse or is not RSA of
 * KC_RSA_MIN_BITS..KC_RSA_MAX_BITS; KC_ERR_INPUT for oversized input.
 * Validity dates are not checked: a runtime may not know the time.
 */
int rs_verify(const char *cert_pem, size_t cert_len, const char *msg, size_t len,
	      const char *sig_b64, size_t sig_len, char *err, size_t errlen);

#endif
