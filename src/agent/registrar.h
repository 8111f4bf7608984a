/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Registration with a Keylime registrar: POST the EK, AK and contact address,
 * recover the challenge secret from the credential blob with the TPM, PUT the
 * auth_tag that proves the AK lives in the same TPM as the EK.
 */
#ifndef AIRLOCK_AGENT_REGISTRAR_H
#define AIRLOCK_AGENT_REGISTRAR_H

#include "agent.h"

/* The registrar answered 4xx: our identity or request was refused; retrying cannot help. */
#define REGISTRAR_REFUSED (-2)

/*
 * Register and activate. An unreachable registrar, a 5xx or a 429 (busy) is
 * retried with a backoff capped at 30 s (each attempt reported through the
 * log); any other 4xx is final.
 * give_up_s > 0 bounds the whole attempt (tests). Returns 0 once activated,
 * REGISTRAR_REFUSED on a 4xx or a failed activation, -1 otherwise.
 */
int registrar_enroll(struct agent *a, int give_up_s);

#endif
