/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The registrar role (Keylime registrar API 2.x): an agent POSTs its EK, EK
 * certificate, AK and contact; the EK must be trusted (ek_trust.h), the AK
 * must be a restricted signing key; the answer is MakeCredential(EK, AK
 * Name, secret). The agent proves it holds both keys in one TPM by PUTting
 * auth_tag = HMAC-SHA384(base64(secret), uuid), checked in constant time; a
 * wrong tag deletes the registration (as Keylime does).
 */
#ifndef AIRLOCK_VERIFIER_REGISTRAR_H
#define AIRLOCK_VERIFIER_REGISTRAR_H

#include "ek_trust.h"
#include "http_server.h"
#include "keylime_crypto.h"
#include "store.h"

struct registrar {
	struct store *store;
	const struct ek_trust *trust;
	struct kc_rng *rng;
};

/* http_handler_fn; ctx is a struct registrar. */
int registrar_handle(void *ctx, const struct http_request *req, struct http_reply *r);

#endif
