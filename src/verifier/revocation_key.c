/* SPDX-License-Identifier: GPL-2.0-only */
/* The verifier's revocation notifier key; see revocation_key.h. */
#include "revocation_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_read.h"

#define KEY_BEGIN "-----BEGIN RSA PRIVATE KEY-----"
#define CERT_BEGIN "-----BEGIN CERTIFICATE-----"
#define CERT_END "-----END CERTIFICATE-----\n"
#define FILE_MAX (KC_PRIV_PEM_MAX + RS_CERT_MAX)

static int fsync_dir(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	char *slash;
	int fd, ret = -1;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		snprintf(err, errlen, "cannot sync the directory of %s: %s", path, strerror(errno));
	else
		ret = 0;
	if (fd >= 0)
		close(fd);
	return ret;
}

/* The state directory holds the key: ours, and nobody else may write into it. */
static int check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "cannot stat state directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		snprintf(err, errlen, "state directory %s must be a directory of this user that "
			 "group and others cannot write (chmod 700 it)", dir);
		return -1;
	}
	return 0;
}

/* Key and certificate in one file, so no reader ever pairs a key with another's certificate. */
static int create(const char *path, struct kc_rng *rng, char *err, size_t errlen)
{
	char tmp[4200];
	struct kc_nk nk;
	char *key = NULL, *cert = NULL;
	int fd = -1, ret = -1;

	memset(&nk, 0, sizeof(nk));
	key = calloc(1, KC_PRIV_PEM_MAX);
	cert = calloc(1, RS_CERT_MAX);
	if (!key || !cert) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (kc_nk_generate(&nk, rng, err, errlen) != KC_OK ||
	    kc_nk_private_pem(&nk, key, KC_PRIV_PEM_MAX, err, errlen) != KC_OK ||
	    kc_nk_self_signed_cert(&nk, rng, "RevocationNotifier", cert, RS_CERT_MAX, err,
				   errlen) != KC_OK)
		goto out;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= sizeof(tmp)) {
		snprintf(err, errlen, "state directory path too long: %s", path);
		goto out;
	}
	/* Ours alone: a file already there (stale or planted) is never written into. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s%s", tmp, strerror(errno),
			 errno == EEXIST ? " (left by a crash? remove it)" : "");
		goto out;
	}
	if (write(fd, key, strlen(key)) != (ssize_t)strlen(key) ||
	    write(fd, cert, strlen(cert)) != (ssize_t)strlen(cert) || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	/* Another process may have won the race: its key stands, ours goes. */
	if (link(tmp, path) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	/* The name must outlive a crash: payloads may already carry the certificate. */
	if (fsync_dir(path, err, errlen) != 0)
		goto out;
	ret = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (key)
		explicit_bzero(key, KC_PRIV_PEM_MAX);
	free(key);
	free(cert);
	kc_nk_free(&nk);
	return ret;
}

int revkey_open(const char *state_dir, struct kc_rng *rng, struct revkey *rk, char *err,
		size_t errlen)
{
	char path[4096];
	uint8_t *buf = NULL;
	char *cb, *ce;
	size_t len = 0;
	int ret = -1;

	memset(rk, 0, sizeof(*rk));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, REVKEY_FILE) >=
	    sizeof(path)) {
		snprintf(err, errlen, "state directory path too long: %s", state_dir);
		goto out;
	}
	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory %s: %s", state_dir,
			 strerror(errno));
		goto out;
	}
	if (check_dir(state_dir, err, errlen) != 0 ||
	    (access(path, F_OK) != 0 && create(path, rng, err, errlen) != 0))
		goto out;
	buf = file_read(path, FILE_MAX, &len, err, errlen);
	if (!buf)
		goto out;
	cb = strstr((char *)buf, CERT_BEGIN);
	ce = cb ? strstr(cb, CERT_END) : NULL;
	if (strncmp((char *)buf, KEY_BEGIN, strlen(KEY_BEGIN)) != 0 || !ce ||
	    (size_t)(ce + strlen(CERT_END) - cb) >= sizeof(rk->cert)) {
		snprintf(err, errlen, "%s is not an RSA private key followed by its certificate; "
			 "move it away and a new key is made (nodes then need new payloads)", path);
		goto out;
	}
	if (kc_nk_load_private_pem(&rk->key, (char *)buf, (size_t)(cb - (char *)buf), rng, err,
				   errlen) != KC_OK)
		goto out;
	rk->cert_len = (size_t)(ce + strlen(CERT_END) - cb);
	memcpy(rk->cert, cb, rk->cert_len);
	rk->cert[rk->cert_len] = '\0';
	ret = 0;
out:
	if (buf) {
		explicit_bzero(buf, len);
		free(buf);
	}
	if (ret != 0)
		revkey_free(rk);
	return ret;
}

void revkey_free(struct revkey *rk)
{
	kc_nk_free(&rk->key);
	explicit_bzero(rk, sizeof(*rk));
}
