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

static int aad(const char *uuid, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(uuid);

	if (n > cap - AAD_PREFIX_LEN)
		return -1;
	memcpy(out, AAD_PREFIX, AAD_PREFIX_LEN);
	memcpy(out + AAD_PREFIX_LEN, uuid, n);
	*len = AAD_PREFIX_LEN + n;
	return 0;
}

int pending_v_seal(const uint8_t key[32], const char *uuid, const uint8_t v[VKEY_LEN],
		   uint8_t out[PENDING_V_SEALED_LEN], char *err, size_t errlen)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t a[AAD_PREFIX_LEN + STORE_UUID_MAX + 1];
	size_t alen;
	int n, m, ret = -1;

	if (!c || aad(uuid, a, sizeof(a), &alen) != 0 || RAND_bytes(out, 12) != 1 ||
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

int pending_v_open(const uint8_t key[32], const char *uuid, const uint8_t *in, size_t len,
		   uint8_t v[VKEY_LEN], char *err, size_t errlen)
{
	EVP_CIPHER_CTX *c = NULL;
	uint8_t a[AAD_PREFIX_LEN + STORE_UUID_MAX + 1], tag[16], out[VKEY_LEN];
	size_t alen;
	int n, m, ret = -1;

	if (len != PENDING_V_SEALED_LEN || aad(uuid, a, sizeof(a), &alen) != 0) {
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
			 "host where it was made), and the row must be this node's", uuid,
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

/*
 * STATE/v-seal.key: 32 random bytes, 0600. Made only when create (node add
 * sealing a V); reading V never makes one, since a new key could not open
 * what another instance sealed.
 */
static int seal_key(const char *dir, int create, uint8_t key[32], char *err, size_t errlen)
{
	char path[4200], tmp[4300];
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd = -1, ret = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, PENDING_V_KEY_FILE) >= sizeof(path))
		goto toolong;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		if (!create) {
			snprintf(err, errlen, "no %s: pending V is sealed under it in the database; "
				 "copy it from the instance that enrolled the node", path);
			return -1;
		}
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >=
		    sizeof(tmp))
			goto toolong;
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
	ret = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (buf)
		explicit_bzero(buf, len);
	free(buf);
	return ret;
toolong:
	snprintf(err, errlen, "state directory path too long: %s", dir);
	return -1;
}

int pending_v_put(struct store *s, const char *uuid, const uint8_t v[VKEY_LEN], char *err,
		  size_t errlen)
{
	uint8_t key[32], sealed[PENDING_V_SEALED_LEN];
	struct db_q q;
	int ret = -1;

	if (s->db.kind == DB_SQLITE)
		return vkey_put(s->dir, uuid, v, err, errlen);
	if (seal_key(s->dir, 1, key, err, errlen) != 0 ||
	    pending_v_seal(key, uuid, v, sealed, err, errlen) != 0)
		goto out;
	db_q_start(&q, &s->db, "INSERT INTO pending_v(uuid, sealed) VALUES(?, ?) ON CONFLICT(uuid)"
		   " DO UPDATE SET sealed = excluded.sealed", 1);
	db_bind_text(&q, uuid);
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

int pending_v_get(struct store *s, const char *uuid, uint8_t v[VKEY_LEN], char *err,
		  size_t errlen)
{
	uint8_t key[32];
	struct db_q q;
	const void *b;
	size_t n;
	int rc, ret = -1;

	if (s->db.kind == DB_SQLITE)
		return vkey_get(s->dir, uuid, v, err, errlen);
	db_q_start(&q, &s->db, "SELECT sealed FROM pending_v WHERE uuid = ?", 1);
	db_bind_text(&q, uuid);
	rc = db_q_row(&q);
	if (rc < 0) {
		snprintf(err, errlen, "state database: reading the pending V: %s", db_errmsg(&s->db));
		goto out;
	}
	ret = 0;
	if (rc == 0)
		goto out;
	b = db_col_blob(&q, 0, &n);
	ret = seal_key(s->dir, 0, key, err, errlen) == 0 &&
	      pending_v_open(key, uuid, b, n, v, err, errlen) == 0 ? 1 : -1;
	explicit_bzero(key, sizeof(key));
out:
	db_q_end(&q);
	return ret;
}

int pending_v_wipe(struct store *s, const char *uuid, char *err, size_t errlen)
{
	struct db_q q;
	int ret = 0;

	if (s->db.kind == DB_SQLITE)
		return vkey_wipe(s->dir, uuid, err, errlen);
	db_q_start(&q, &s->db, "DELETE FROM pending_v WHERE uuid = ?", 1);
	db_bind_text(&q, uuid);
	if (db_q_exec(&q) != 0) {
		snprintf(err, errlen, "state database: removing the pending V: %s", db_errmsg(&s->db));
		ret = -1;
	}
	db_q_end(&q);
	return ret;
}
