/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * airlock-agent: the node's Keylime agent. In the runtime (started by /init) it
 * proves what booted, receives the tenant's payload and keys once the tenant's
 * verifier is satisfied, measures them and kexecs into the tenant's kernel. On
 * an ordinary host (--host) it stays a small Keylime agent.
 *
 * Usage: docs/agent.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <psa/crypto.h>

#include "agent.h"
#include "agent_exit.h"
#include "api.h"
#include "client_ca.h"
#include "clock.h"
#include "config.h"
#include "digest.h"
#include "ek_uuid.h"
#include "http_server.h"
#include "log.h"
#include "payload.h"
#include "registrar.h"
#include "tls_server.h"

#define CONFIG_FILE_MAX 8192
#define POLL_MS 500

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: airlock-agent --config FILE [options]\n"
		"  --config FILE      airlock.* settings: /init's canonical configuration, or\n"
		"                     airlock.KEY=VALUE words (docs/configuration.md)\n"
		"  --tpm SPEC         TPM: /dev/tpmrm0, /dev/tpm0, swtpm:host=H,port=P\n"
		"                     (default airlock.tpm, else /dev/tpmrm0, else /dev/tpm0)\n"
		"  --state-dir DIR    tmpfs for the payload and handoff (default /run/airlock)\n"
		"  --eventlog FILE    runtime event log (default STATE_DIR/eventlog)\n"
		"  --fw-eventlog FILE firmware event log (default: securityfs's if it has\n"
		"                     events, else coreboot's from CBMEM)\n"
		"  --ima-log FILE     IMA ascii_runtime_measurements (default securityfs)\n"
		"  --listen ADDR      address to serve the API on (default ::, all)\n"
		"  --client-ca FILE   CA of the verifier's and tenant's client certificates\n"
		"                     (mutual TLS; default /etc/airlock/client-ca.pem)\n"
		"  --ek auto|rsa|ecc  endorsement key type (default auto: ECC if it has a cert)\n"
		"  --ak rsa|ecc       attestation key type (default rsa: RSASSA, what Keylime\n"
		"                     accepts by default; ecc: ECDSA P-256)\n"
		"  --host             stay a Keylime agent: run autorun.sh payloads, no kexec\n"
		"  --dry-run          stop before kexec and print what would be loaded\n"
		"  --kexec-tool PATH  kexec-tools for the kexec_load fallback (default /sbin/kexec)\n"
		"  --verify-grace SEC after the key is derived, wait at most SEC seconds for\n"
		"                     the tenant's keys/verify before the handoff (default 30)\n"
		"  --exit-after SEC   give up after SEC seconds without a handoff (tests)\n");
}

static int parse_key_type(const char *s, enum ta_key_type *t)
{
	if (!strcmp(s, "auto"))
		*t = TA_KEY_AUTO;
	else if (!strcmp(s, "rsa"))
		*t = TA_KEY_RSA2048;
	else if (!strcmp(s, "ecc"))
		*t = TA_KEY_ECC_P256;
	else
		return -1;
	return 0;
}

/*
 * The configuration file holds /init's canonical text ("airlock.k=v" lines, empty
 * values meaning defaults) or hand-written airlock.* words. Either way the words
 * that carry a value are a command line config_parse() accepts.
 */
static int load_config(const char *path, struct airlock_config *cfg)
{
	char text[CONFIG_FILE_MAX + 1], line[CONFIG_FILE_MAX + 1];
	struct config_diag diag[8];
	size_t n = 0, out = 0, count = 0, i;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *save = NULL, *w;

	if (fd < 0) {
		log_err("agent: cannot open the configuration %s: %s", path, strerror(errno));
		return -1;
	}
	while ((r = read(fd, text + n, sizeof(text) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (r < 0 || n >= sizeof(text) - 1) {
		log_err("agent: cannot read the configuration %s (%s)", path,
			r < 0 ? strerror(errno) : "larger than 8 KiB");
		return -1;
	}
	text[n] = '\0';
	for (w = strtok_r(text, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		size_t len = strlen(w);

		if (len && w[len - 1] == '=')
			continue;
		if (out + len + 1 > sizeof(line) - 1)
			break;
		memcpy(line + out, w, len);
		out += len;
		line[out++] = ' ';
	}
	if (config_parse(line, out, cfg, diag, 8, &count) != 0) {
		for (i = 0; i < count && i < 8; i++)
			log_err("agent: configuration %s: %s=%s: %s", path, diag[i].key,
				diag[i].value, diag[i].msg);
		return -1;
	}
	if (cfg->registrar.kind == CONFIG_HOST_NONE) {
		log_err("agent: configuration %s has no airlock.registrar", path);
		return -1;
	}
	return 0;
}

/* Our address as the registrar sees it: the source address of a route to it. */
static int own_address(const struct airlock_config *cfg, char *out, size_t cap)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char port[8];
	int fd = -1, ret = -1;

	snprintf(port, sizeof(port), "%u", cfg->registrar.port);
	if (getaddrinfo(cfg->registrar.host, port, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		goto out;
	if (getnameinfo((struct sockaddr *)&ss, sl, out, (socklen_t)cap, NULL, 0,
			NI_NUMERICHOST) != 0)
		goto out;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return ret;
}

static double boot_time(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &mono);
	return (double)(rt.tv_sec - mono.tv_sec);
}

/* TPM keys, the NK and its PCR 16 binding, identity and contact address. */
static int agent_setup(struct agent *a)
{
	const char *tpm = a->opt.tpm ? a->opt.tpm : (a->cfg.tpm[0] ? a->cfg.tpm : NULL);
	char err[512];
	double t0;

	if (kc_rng_init(&a->rng, "airlock-agent", err, sizeof(err)) != 0) {
		log_err("agent: random generator: %s", err);
		return -1;
	}
	t0 = mono_s();
	if (kc_nk_generate(&a->nk, &a->rng, err, sizeof(err)) != 0) {
		log_err("agent: cannot generate the agent key (NK): %s", err);
		return -1;
	}
	log_info("agent: NK (RSA 2048) generated in %.2f s", mono_s() - t0);
	if (ta_open(&a->tpm, tpm, err, sizeof(err)) != 0) {
		log_err("agent: %s", err);
		return -1;
	}
	t0 = mono_s();
	if (ta_ek_create(a->tpm, a->opt.ek_type, a->ek_pub, sizeof(a->ek_pub), &a->ek_pub_len,
			 a->ek_cert, sizeof(a->ek_cert), &a->ek_cert_len, &a->ek_type, err,
			 sizeof(err)) != 0) {
		log_err("agent: EK: %s", err);
		return -1;
	}
	a->ak_type = a->opt.ak_type == TA_KEY_ECC_P256 ? TA_KEY_ECC_P256 : TA_KEY_RSA2048;
	if (ta_ak_create(a->tpm, a->ak_type, a->ak_pub, sizeof(a->ak_pub), &a->ak_pub_len,
			 a->ak_name, sizeof(a->ak_name), &a->ak_name_len, err, sizeof(err)) != 0) {
		log_err("agent: AK: %s", err);
		return -1;
	}
	if (ta_pcr16_bind(a->tpm, (const uint8_t *)a->nk.pem, a->nk.pem_len, err, sizeof(err)) !=
	    0) {
		log_err("agent: PCR 16 binding of the NK: %s", err);
		return -1;
	}
	log_info("agent: TPM %s: EK %s%s, AK %s, PCR 16 bound to the NK (%.2f s)",
		 ta_spec(a->tpm), ta_key_type_name(a->ek_type),
		 a->ek_cert_len ? " with certificate" : " without certificate",
		 ta_sign_alg_name(a->ak_type), mono_s() - t0);
	if (a->cfg.uuid[0])
		snprintf(a->uuid, sizeof(a->uuid), "%s", a->cfg.uuid);
	else if (ek_uuid(a->ek_pub, a->ek_pub_len, a->uuid) != 0) {
		log_err("agent: cannot derive the uuid from the EK");
		return -1;
	}
	keys_init(&a->keys, a->uuid);
	if (a->cfg.contact.kind != CONFIG_HOST_NONE) {
		snprintf(a->contact, sizeof(a->contact), "%s", a->cfg.contact.host);
		a->port = a->cfg.contact.port ? a->cfg.contact.port : a->cfg.port;
	} else {
		if (own_address(&a->cfg, a->contact, sizeof(a->contact)) != 0) {
			log_err("agent: no route to the registrar %s to learn our own address; "
				"set airlock.contact", a->cfg.registrar.host);
			return -1;
		}
		a->port = a->cfg.port;
	}
	if (a->cfg.mtls && kc_nk_self_signed_cert(&a->nk, &a->rng, a->uuid, a->mtls_cert,
						  sizeof(a->mtls_cert), err, sizeof(err)) != 0) {
		log_err("agent: TLS certificate: %s", err);
		return -1;
	}
	a->boot_time = boot_time();
	return 0;
}

static void http_log(void *ctx, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(level <= HTTP_LOG_ERR ? LOG_ERROR : level == HTTP_LOG_WARNING ? LOG_WARN :
		level == HTTP_LOG_INFO ? LOG_INFO : LOG_DEBUG, "agent: http: %s", msg);
}

static void free_body(void *p)
{
	free(p);
}

static int handle(void *ctx, const struct http_request *req, struct http_reply *reply)
{
	struct agent *a = ctx;
	struct api_answer ans;

	log_debug("agent: %s %.*s from %s", http_method_name(req->method), (int)req->path_len,
		  req->path, reply->peer);
	api_handle(a, req, &ans);
	if (!ans.body)
		return -1;
	reply->status = ans.status;
	reply->ext_body = ans.body;
	reply->ext_len = ans.len;
	reply->ext_free = free_body;
	return 0;
}

int main(int argc, char **argv)
{
	static struct agent a;
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "tpm", required_argument, NULL, 't' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "eventlog", required_argument, NULL, 'e' },
		{ "fw-eventlog", required_argument, NULL, 'f' },
		{ "ima-log", required_argument, NULL, 'i' },
		{ "listen", required_argument, NULL, 'l' },
		{ "client-ca", required_argument, NULL, 'C' },
		{ "ek", required_argument, NULL, 'E' },
		{ "ak", required_argument, NULL, 'A' },
		{ "host", no_argument, NULL, 'H' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "kexec-tool", required_argument, NULL, 'k' },
		{ "exit-after", required_argument, NULL, 'x' },
		{ "verify-grace", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char eventlog[PATH_MAX];
	struct http_server_config scfg = { 0 };
	struct http_server *srv = NULL;
	struct tls_server tls = { 0 };
	const char *client_ca = "/etc/airlock/client-ca.pem";
	static char client_ca_path[PATH_MAX];
	char err[512];
	int opt, rc, ret = 1;
	double deadline = 0;

	a.opt.state_dir = "/run/airlock";
	a.opt.ima_log = "/sys/kernel/security/ima/ascii_runtime_measurements";
	a.opt.kexec_tool = "/sbin/kexec";
	a.opt.ak_type = TA_KEY_RSA2048;
	a.opt.verify_grace_s = 30;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': a.opt.config_path = optarg; break;
		case 't': a.opt.tpm = optarg; break;
		case 's': a.opt.state_dir = optarg; break;
		case 'e': a.opt.eventlog = optarg; break;
		case 'f': a.opt.fw_eventlog = optarg; break;
		case 'i': a.opt.ima_log = optarg; break;
		case 'l': a.opt.listen = optarg; break;
		case 'C': client_ca = optarg; break;
		case 'E':
			if (parse_key_type(optarg, &a.opt.ek_type) != 0) {
				fprintf(stderr, "airlock-agent: --ek takes auto, rsa or ecc\n");
				return 2;
			}
			break;
		case 'A':
			if (parse_key_type(optarg, &a.opt.ak_type) != 0 ||
			    a.opt.ak_type == TA_KEY_AUTO) {
				fprintf(stderr, "airlock-agent: --ak takes ecc or rsa\n");
				return 2;
			}
			break;
		case 'H': a.opt.mode = AGENT_MODE_HOST; break;
		case 'n': a.opt.dry_run = true; break;
		case 'k': a.opt.kexec_tool = optarg; break;
		case 'x': a.opt.exit_after_s = atoi(optarg); break;
		case 'g': a.opt.verify_grace_s = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!a.opt.config_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!a.opt.eventlog) {
		snprintf(eventlog, sizeof(eventlog), "%s/eventlog", a.opt.state_dir);
		a.opt.eventlog = eventlog;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	a.t_start = mono_s();
	if (load_config(a.opt.config_path, &a.cfg) != 0)
		return AGENT_EXIT_FATAL;
	log_set_level((enum log_level)a.cfg.loglevel);
	if (!a.cfg.mtls)
		log_warn("agent: airlock.mtls=insecure-off: the API is plain HTTP; any host that "
			 "reaches port %u can send this node U, V and a payload", a.cfg.port);
	fw_log_load(a.opt.fw_eventlog, &a.fw_log);
	if (psa_crypto_init() != PSA_SUCCESS) {
		log_err("agent: PSA crypto initialisation failed");
		return 1;
	}
	if (agent_setup(&a) != 0)
		goto out;
	if (a.cfg.client_ca[0] != '\0') {
		enum client_ca_result cr = client_ca_fetch(&a.cfg, a.opt.state_dir, client_ca_path,
							   sizeof(client_ca_path));

		if (cr != CLIENT_CA_OK) {
			ret = cr == CLIENT_CA_REFUSED ? AGENT_EXIT_FATAL : 1;
			goto out;
		}
		client_ca = client_ca_path;
	}
	if (a.cfg.mtls && tls_server_init(&tls, &a.nk, a.mtls_cert, client_ca, &a.rng, err,
					  sizeof(err)) != 0) {
		log_err("agent: mutual TLS (airlock.mtls=on): %s", err);
		ret = AGENT_EXIT_FATAL;
		goto out;
	}
	if (a.opt.exit_after_s > 0)
		deadline = a.t_start + a.opt.exit_after_s;
	rc = registrar_enroll(&a, a.opt.exit_after_s);
	if (rc != 0) {
		ret = rc == REGISTRAR_REFUSED ? AGENT_EXIT_FATAL : 1;
		goto out;
	}
	scfg.address = a.opt.listen;
	scfg.port = a.cfg.port;
	scfg.tls = a.cfg.mtls ? &tls.conf : NULL;
	scfg.body_max = api_body_max(&a);
	/* Whoever else can reach the port cannot take the verifier's slot. */
	scfg.max_conns_per_peer = 8;
	scfg.handler = handle;
	scfg.handler_ctx = &a;
	scfg.log = http_log;
	if (http_server_open(&srv, &scfg, err, sizeof(err)) != 0) {
		log_err("agent: cannot serve the API: %s", err);
		goto out;
	}
	log_info("agent: serving the Keylime agent API (%s) on port %u as %s, contact %s:%u",
		 a.cfg.mtls ? "mutual TLS" : "plain HTTP", http_server_port(srv), a.uuid, a.contact,
		 a.port);
	a.phase = AGENT_SERVING;
	while (!stop_signal) {
		if (http_server_poll_once(srv, POLL_MS, err, sizeof(err)) != 0) {
			log_err("agent: %s", err);
			goto out;
		}
		/* A new U replaced the key (a tenant enrolling again): start over from it. */
		if (a.rekey) {
			a.rekey = false;
			if (a.phase == AGENT_KEY_DERIVED || a.phase == AGENT_DONE) {
				log_info("agent: the tenant sent a new U: the previous payload is "
					 "removed; waiting for its V");
				revocation_free(&a.rev);
				payload_free(&a);
				a.verified = false;
				a.phase = AGENT_SERVING;
			}
		}
		if (a.phase == AGENT_SERVING && api_key_ready(&a)) {
			a.phase = AGENT_KEY_DERIVED;
			a.t_key = mono_s();
			if (payload_prepare(&a) != 0) {
				/* Fail safe and say so: no kexec, the refusal in the next quote. */
				payload_measure_refusal(&a);
				a.phase = AGENT_FAILED;
			} else {
				revocation_arm(&a.rev, payload_dir(&a), a.opt.state_dir);
				if (payload_is_compat(&a)) {
					if (payload_run_autorun(&a) != 0)
						log_warn("agent: autorun.sh failed; still serving "
							 "quotes");
					a.phase = AGENT_DONE;
				} else if (a.opt.mode == AGENT_MODE_HOST) {
					log_info("agent: payload unpacked in %s (host mode: no kexec)",
						 a.opt.state_dir);
					a.phase = AGENT_DONE;
				}
			}
		}
		revocation_poll(&a.rev);
		/*
		 * Keylime's tenant checks keys/verify after the verifier sent V; answer it
		 * (for a bounded time) before the runtime stops serving for good.
		 */
		if (a.phase == AGENT_KEY_DERIVED &&
		    (a.verified || mono_s() - a.t_key > a.opt.verify_grace_s)) {
			if (!a.verified)
				log_warn("agent: nobody asked keys/verify within %d s; handing off",
					 a.opt.verify_grace_s);
			http_server_close(srv);
			srv = NULL;
			/* Flush the agent's TPM objects; the handoff measures on its own. */
			ta_close(a.tpm);
			a.tpm = NULL;
			ret = payload_handoff(&a) == 0 ? 0 : 1;
			goto out;
		}
		if (deadline > 0 && mono_s() > deadline && a.phase == AGENT_FAILED) {
			log_err("agent: payload refused; stopping (--exit-after)");
			goto out;
		}
		if (deadline > 0 && mono_s() > deadline && a.phase != AGENT_DONE) {
			log_err("agent: no payload key within %d s (--exit-after)",
				a.opt.exit_after_s);
			goto out;
		}
	}
	if (stop_signal)
		log_info("agent: stopping on signal %d", (int)stop_signal);
	ret = a.phase == AGENT_DONE || stop_signal ? 0 : 1;
out:
	http_server_close(srv);
	if (a.cfg.mtls)
		tls_server_free(&tls);
	ta_close(a.tpm);
	revocation_free(&a.rev);
	payload_free(&a);
	keys_free(&a.keys);
	kc_nk_free(&a.nk);
	kc_rng_free(&a.rng);
	fw_log_free(&a.fw_log);
	return ret;
}
