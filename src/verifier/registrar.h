/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The registrar role (Keylime registrar API 2.x): an agent POSTs its EK, EK
 * certificate, AK and contact; the EK must be trusted (ek_trust.h), the AK
 * must be a restricted signing key, the uuid must be one this EK may hold
 * (an EK-derived uuid is that EK's, the provider's list and the tenant's pins
 * give uuids to EKs), and a uuid keeps its EK and AK for good (as Keylime
 * 7.14). The answer is MakeCredential(EK, AK Name, secret), and the
 * registration waits, changing nothing, until the agent proves it holds both
 * keys in one TPM by PUTting auth_tag = HMAC-SHA384(base64(secret), uuid)
 * (constant time). Only then does it become the node (or update its contact
 * and end its enrolment, for a node that rebooted). A wrong tag deletes
 * nothing; it is recorded with the refusals. Every table an unauthenticated
 * request can grow is bounded (docs/threat-model.md).
 */
#ifndef AIRLOCK_VERIFIER_REGISTRAR_H
#define AIRLOCK_VERIFIER_REGISTRAR_H

#include "ek_trust.h"
#include "http_server.h"
#include "keylime_crypto.h"
#include "store.h"

/* Registrations waiting for activation: how long, and how many. */
#define REGISTRAR_PENDING_TTL_S 120
#define REGISTRAR_PENDING_PER_UUID 4
#define REGISTRAR_PENDING_PER_PEER 64
#define REGISTRAR_PENDING_MAX 4096
/* uuids one EK may hold (a runtime and its tenant OS's host agent take two). */
#define REGISTRAR_UUIDS_PER_EK 8

struct registrar {
	struct store *store;
	const struct ek_trust *trust;
	struct kc_rng *rng;
};

/* http_handler_fn; ctx is a struct registrar. */
int registrar_handle(void *ctx, const struct http_request *req, struct http_reply *r);

#endif
