/* SPDX-License-Identifier: GPL-2.0-only */
#include "pending_v.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "fd_write.h"
#include "file_read.h"

#define AAD_PREFIX "airlock pending V\0"
#define AAD_PREFIX_LEN 18

/* "airlock pending V" NUL, the generation (8 bytes, big-endian), the uuid. */
static int aad(const char *uuid, int64_t gen, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(uuid);

	if (n > cap - AAD_PREFIX_LEN - 8)
		return -1;
	memcpy(out, AAD_PREFIX, AAD_PREFIX_LEN);
	for (int k = 0; k < 8; k++)
		out[AAD_PREFIX_LEN + k] = (uint8_t)((uint64_t)gen >> (56 - 8 * k));
	memcpy(out + AAD_PREFIX_LEN + 8, uuid, n);
	*len = AAD_PREFIX_LEN + 8 + n;
	return 0;
}

int pending_v_seal(const uint8_t key[32], const char *uuid, int64_t gen,
		   const uint8_t v[VKEY_LEN], uint8_t out[PENDING_V_SEALED_LEN], char *err,
		   size_t errlen)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t a[AAD_PREFIX_LEN + 8 + STORE_UUID_MAX + 1];
	size_t alen;
	int n, m, ret = -1;

	if (!c || aad(uuid, gen, a, sizeof(a), &alen) != 0 || RAND_bytes(out, 12) != 1 ||
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, out) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &n, a, (int)alen) != 1 ||
	    EVP_EncryptUpdate(c, out + 12, &n, v, VKEY_LEN) != 1 || n != VKEY_LEN ||
	    EVP_EncryptFinal_ex(c, out + 12 + n, &m) != 1 || m != 0 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + 12 + VKEY_LEN) != 1) {
		snprintf(err, errlen, "pending V of %s: sealing failed", uuid);
		goto out;
	}
	ret = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return ret;
}

int pending_v_open(const uint8_t key[32], const char *uuid, int64_t gen, const uint8_t *in,
		   size_t len, uint8_t v[VKEY_LEN], char *err, size_t errlen)
{
	EVP_CIPHER_CTX *c = NULL;
	uint8_t a[AAD_PREFIX_LEN + 8 + STORE_UUID_MAX + 1], tag[16], out[VKEY_LEN];
	size_t alen;
	int n, m, ret = -1;

	if (len != PENDING_V_SEALED_LEN || aad(uuid, gen, a, sizeof(a), &alen) != 0) {
		snprintf(err, errlen, "pending V of %s: a sealed V of %zu bytes, %d expected", uuid,
			 len, PENDING_V_SEALED_LEN);
		return -1;
	}
	memcpy(tag, in + 12 + VKEY_LEN, sizeof(tag));
	c = EVP_CIPHER_CTX_new();
	if (!c || EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &n, a, (int)alen) != 1 ||
	    EVP_DecryptUpdate(c, out, &n, in + 12, VKEY_LEN) != 1 || n != VKEY_LEN ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1 ||
	    EVP_DecryptFinal_ex(c, out + n, &m) != 1) {
		snprintf(err, errlen, "pending V of %s does not open with this state directory's %s: "
			 "every instance on the database needs the same key file (copy it from the "
			 "host where it was made), and the row must be this node's and enrolment's", uuid,
			 PENDING_V_KEY_FILE);
		goto out;
	}
	memcpy(v, out, VKEY_LEN);
	ret = 0;
out:
	explicit_bzero(out, sizeof(out));
	EVP_CIPHER_CTX_free(c);
	return ret;
}

/* Hex SHA-256 of a label and the key: names the key in the database without giving it away. */
static int fingerprint(const uint8_t key[32], char out[65])
{
	static const char label[] = "airlock v-seal.key fingerprint";
	uint8_t buf[sizeof(label) + 32], h[32];
	unsigned int hl = 0;

	memcpy(buf, label, sizeof(label));
	memcpy(buf + sizeof(label), key, 32);
	if (EVP_Digest(buf, sizeof(buf), h, &hl, EVP_sha256(), NULL) != 1 || hl != 32) {
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	explicit_bzero(buf, sizeof(buf));
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
	return 0;
}

/* The fingerprint the database records ("" none): 0, or -1 with err. */
static int recorded(struct store *s, char fp[65], char *err, size_t errlen)
{
	struct db_q q;
	int rc;

	fp[0] = '\0';
	db_q_start(&q, &s->db, "SELECT fingerprint FROM airlock_keys WHERE name = 'v-seal'", 1);
	rc = db_q_row(&q);
	if (rc == 1 && db_col_text(&q, 0))
		snprintf(fp, 65, "%s", db_col_text(&q, 0));
	db_q_end(&q);
	if (rc < 0)
		snprintf(err, errlen, "state database: reading the sealing key's fingerprint: %s",
			 db_errmsg(&s->db));
	return rc < 0 ? -1 : 0;
}

/*
 * STATE/v-seal.key: 32 random bytes, 0600, whose fingerprint the database
 * records, so every instance is held to one key. Made only when create
 * (node add sealing a V) and the database names no key yet; reading V never
 * makes one, and an instance with another key is told, not left waiting.
 */
static int seal_key(struct store *s, int create, uint8_t key[32], char *err, size_t errlen)
{
	char path[4200], tmp[4300], have[65], want[65];
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd = -1, ret = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", s->dir, PENDING_V_KEY_FILE) >=
	    sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= sizeof(tmp)) {
		snprintf(err, errlen, "state directory path too long: %s", s->dir);
		return -1;
	}
	if (recorded(s, want, err, errlen) != 0)
		return -1;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		if (!create || want[0]) {
			snprintf(err, errlen, "no %s: the database's pending V are sealed under the key "
				 "with fingerprint %s; copy %s from another instance's state directory",
				 path, want[0] ? want : "(none recorded yet)", PENDING_V_KEY_FILE);
			return -1;
		}
		/* A name left by a crash of a process with this pid is ours to replace. */
		(void)unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 || RAND_bytes(key, 32) != 1 || fd_write_all(fd, key, 32) != 0 ||
		    fsync(fd) != 0) {
			snprintf(err, errlen, "cannot make %s: %s", tmp, strerror(errno));
			goto out;
		}
		/* Another process may have won the race: its key stands, ours goes. */
		if (link(tmp, path) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
			goto out;
		}
	}
	if (!(buf = file_read(path, 64, &len, err, errlen)))
		goto out;
	if (len != 32) {
		snprintf(err, errlen, "%s: %zu bytes, 32 expected", path, len);
		goto out;
	}
	memcpy(key, buf, 32);
	if (fingerprint(key, have) != 0) {
		snprintf(err, errlen, "%s: cannot compute its fingerprint", path);
		goto out;
	}
	if (!want[0]) {
		/* The first key the database hears of is the one; a concurrent first loses. */
		struct db_q q;
		int rc;

		db_q_start(&q, &s->db, "INSERT INTO airlock_keys(name, fingerprint) VALUES('v-seal', ?)"
			   " ON CONFLICT(name) DO NOTHING", 1);
		db_bind_text(&q, have);
		rc = db_q_exec(&q);
		if (rc != 0)
			snprintf(err, errlen, "state database: recording the sealing key: %s",
				 db_errmsg(&s->db));
		db_q_end(&q);
		if (rc != 0)
			goto out;
		if (recorded(s, want, err, errlen) != 0)
			goto out;
	}
	if (strcmp(have, want) != 0) {
		snprintf(err, errlen, "%s (fingerprint %s) is not the key the database's pending V are "
			 "sealed under (fingerprint %s): copy %s from another instance's state "
			 "directory", path, have, want, PENDING_V_KEY_FILE);
		goto out;
	}
	ret = 0;
out:
	if (ret != 0)
		explicit_bzero(key, 32);
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (buf)
		explicit_bzero(buf, len);
	free(buf);
	return ret;
}

int pending_v_put(struct store *s, const char *uuid, int64_t gen, const uint8_t v[VKEY_LEN],
		  char *err, size_t errlen)
{
	uint8_t key[32], sealed[PENDING_V_SEALED_LEN];
	struct db_q q;
	int ret = -1;

	if (s->db.kind == DB_SQLITE)
		return vkey_put(s->dir, uuid, gen, v, err, errlen);
	if (seal_key(s, 1, key, err, errlen) != 0 ||
	    pending_v_seal(key, uuid, gen, v, sealed, err, errlen) != 0)
		goto out;
	db_q_start(&q, &s->db, "INSERT INTO pending_v(uuid, gen, sealed) VALUES(?, ?, ?)"
		   " ON CONFLICT(uuid) DO UPDATE SET gen = excluded.gen, sealed = excluded.sealed", 1);
	db_bind_text(&q, uuid);
	db_bind_int64(&q, gen);
	db_bind_blob(&q, sealed, sizeof(sealed));
	if (db_q_exec(&q) != 0)
		snprintf(err, errlen, "state database: keeping the pending V: %s",
			 db_errmsg(&s->db));
	else
		ret = 0;
	db_q_end(&q);
out:
	explicit_bzero(key, sizeof(key));
	return ret;
}

int pending_v_get(struct store *s, const char *uuid, int64_t gen, uint8_t v[VKEY_LEN], char *err,
		  size_t errlen)
{
	uint8_t key[32];
	struct db_q q;
	const void *b;
	size_t n;
	int rc, ret = -1;

	if (s->db.kind == DB_SQLITE)
		return vkey_get(s->dir, uuid, gen, v, err, errlen);
	db_q_start(&q, &s->db, "SELECT sealed FROM pending_v WHERE uuid = ? AND gen = ?", 1);
	db_bind_text(&q, uuid);
	db_bind_int64(&q, gen);
	rc = db_q_row(&q);
	if (rc < 0) {
		snprintf(err, errlen, "state database: reading the pending V: %s", db_errmsg(&s->db));
		goto out;
	}
	ret = 0;
	if (rc == 0)
		goto out;
	b = db_col_blob(&q, 0, &n);
	ret = seal_key(s, 0, key, err, errlen) == 0 &&
	      pending_v_open(key, uuid, gen, b, n, v, err, errlen) == 0 ? 1 : -1;
	explicit_bzero(key, sizeof(key));
out:
	db_q_end(&q);
	return ret;
}

int pending_v_wipe(struct store *s, const char *uuid, int64_t gen, char *err, size_t errlen)
{
	struct db_q q;
	int ret = 0;

	if (s->db.kind == DB_SQLITE)
		return vkey_wipe(s->dir, uuid, gen, err, errlen);
	db_q_start(&q, &s->db, "DELETE FROM pending_v WHERE uuid = ? AND (CAST(? AS BIGINT) < 0"
		   " OR gen = ?)", 1);
	db_bind_text(&q, uuid);
	db_bind_int64(&q, gen);
	db_bind_int64(&q, gen);
	if (db_q_exec(&q) != 0) {
		snprintf(err, errlen, "state database: removing the pending V: %s", db_errmsg(&s->db));
		ret = -1;
	}
	db_q_end(&q);
	return ret;
}
