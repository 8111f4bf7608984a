/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for src/lib/keylime_crypto.c.
 *
 * Independent oracles, never the code under test:
 *  - Fixed vectors made offline (see "How the vectors were made" below) with
 *    Debian's /usr/bin/python3 `cryptography` 38, using the same calls as
 *    keylime/crypto.py (rsa_encrypt, encrypt, do_hmac), and with the
 *    openssl 3.0 CLI (key generation, `openssl dgst -sha384 -hmac`).
 *  - RFC 4648 (base64) and RFC 4231 (HMAC-SHA384) published vectors.
 *  - OpenSSL's libcrypto at run time: it decrypts what kc_oaep_sha1_encrypt
 *    and kc_payload_encrypt produce, computes HMACs and base64, re-encodes
 *    the NK PEM, and verifies the self-signed certificate.
 *
 * Only one RSA-2048 key is generated (slow under ASan); everything else
 * uses the fixed key below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "keylime_crypto.h"

/*
 * How the vectors were made (offline, 2048-bit key, one run):
 *   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
 *       -pkeyopt rsa_keygen_pubexp:65537 -out nk.pem
 *   openssl pkey -in nk.pem -pubout                          -> NK_PUB_PEM
 *   openssl rsa -in nk.pem -pubout -RSAPublicKey_out         -> NK_PKCS1_PUB_PEM
 *   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 (EC_*),
 *   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 (RSA1024_*)
 * then with /usr/bin/python3 (cryptography 38.0.4):
 *   oaep1 = OAEP(mgf=MGF1(SHA1()), algorithm=SHA1(), label=None)
 *   U = bytes(range(32)); V = bytes((i*37+11) & 0xff for i in range(32))
 *   K = U xor V; uuid = "d432fbb3-d2f1-4a97-9ef7-75bd81c00000"
 *   ENC_U_B64 = b64(pub.encrypt(U, oaep1)), ENC_V_B64 likewise,
 *   ENC_31_B64 / ENC_33_B64 = U[:31] / U + b"\x20" with oaep1,
 *   ENC_U_SHA256_B64 = U with OAEP(MGF1(SHA256()), SHA256()),
 *   AUTH_TAG_HEX = HMAC(K, SHA384()).update(uuid).finalize().hex()
 *     (also: printf %s $uuid | openssl dgst -sha384 -mac HMAC -macopt hexkey:$K)
 *   iv = bytes(range(0xf0, 0x100)); PT = b"PK\5\6" + 18 * b"\0" + b" keylime payload vector\n"
 *   PAYLOAD_B64 = b64(iv + AESGCM(K).encrypt(iv, PT, None)); PAYLOAD_EMPTY_B64 with b"".
 * openssl CLI:
 *   printf %s challenge1234567890AB | openssl dgst -sha384 -mac HMAC -macopt hexkey:$K
 *                                                          -> VERIFY_HMAC_HEX
 *   k=$(printf %s Zb3kQpR7mN2xW9vL4tY8uJ6hG1fD5sA0 | base64 -w0)  -> ACTIVATION_KEY_B64
 *   printf %s $uuid | openssl dgst -sha384 -hmac "$k"      -> ACTIVATION_TAG_HEX
 *   printf %s "what do ya want for nothing?" | openssl dgst -sha384 -hmac Jefe
 *     (RFC 4231 test case 2)                                -> RFC4231_TC2_HEX
 */

/* ---- vectors ---------------------------------------------------------------- */

static const char NK_PRIV_PEM[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDIHp9rKeD0Uzq7\n"
	"tH+UyemyyctiW5FY+Sta8MIAI0yLrs/CM+cCX9Mb26f6B/AEFuO032r+mcm3lXzt\n"
	"ksuh49LHlZzi+dk/X6AkTs4ZxdHu64ohfS6aSU+BNluHQyXpZu7tMzQsoGOYay2h\n"
	"2VWbQI+OK7wgi218L7szB7dVQNhmRiGGO4hEFpLgsO+qPwsYZyVoitHu7pVtVJnd\n"
	"zuhyD2l7v6ZOSZp7OkxNHhyNmA37VKuV89RvbKvhmAvo0L8SsVSTtvUaNzyY57l/\n"
	"lS2fe0+SJMdRz6BJl8NIIzoRFaXC4EYkMNnTqRbF87q9QU7cdKc9TuYDrnSQYFzQ\n"
	"h2xsIo6rAgMBAAECggEAAntEECN1eKd3jlBPV1xRm41JClqG/jVzcNiUxJpWHqf3\n"
	"nOQ2icmqZ9QHdzWV/QGo/TCFYSGDENW3tjJ1zUzH66r9RmCWww8VK0jBjCxEeClP\n"
	"jdlsNIQ9iiVPE+mklLUEDXOZwrE9IEIOpM0kdJ0OVVL8LY3NDmyBGRblZ8HlbQ83\n"
	"74RllnpOTtdqdiO1BQUaNcTOqlLRKR4sfAROLiUO+8IDgbxSukesSH8xuDRV9xpY\n"
	"3hEPYbnyQ3NJmOCr41cHZgZC3PmGHw+Du7R/Xexmz1n5UoUlx6ElGREzJ1dQ4hJ/\n"
	"lTi8Xup46KD7O90tumeAHsw8EjX8E10gfVi7CaDNEQKBgQD2q79YZB+va/7IHmq2\n"
	"486AE+QQktg9mYBXv9JLkgvBfgBsIsAD0Dmr0zOLIv+iUmp1qNhFcY3MZrHqDq+0\n"
	"3J4168eo75hyd1Cd+UpHYCaUgX+5HXLAqmo03aQSzpvThmRO/nwNr5kkhPzTVx+J\n"
	"9gu2dQb2wzInjDhJBornaLVyzQKBgQDPsCsyHpSRMPNEP1VUL7pHmkN+pBK5tje3\n"
	"qWS2+/mj9DFIh5MaXPaUPgTAOkashOezK7aCJLlI4l1MAv78xGGj468s5+z8xOGe\n"
	"0MXWJ3aFYXYC6yHESTQMJOPjQbKpr/k9KxDoz8sebbsYRkpt4MXPFkrPnD3WkRz+\n"
	"OBD6twi3VwKBgBpW4Im5t0BuEbigtthsnuJCPXoflAOP3oqAKx5yq9qvb7AcTdCa\n"
	"bW4RkVFsHUvh7Qg/TUitBW0sEhdiFhUD8cjkMl+xpd+jKfKUagARHk2BPngv0s8L\n"
	"42ddu2VetnjxwshEmE6Fz558rNqMVQvQQBPtjx7OXQ6oBGKX1kE7hxSJAoGAHyRY\n"
	"ZcyGFHtVjt88SUJa2U+9XSj3EdfL5QNGcdW4qif8l9aUbTiRVMsz5SsX29iV8ZzV\n"
	"YhBlpBMlUDeGypob1fpXExG3zHMtLaY6dBE4yWlCy888IfWkE0oYzcPVKXKUmeJy\n"
	"R6aY23gyvMIVeQJiRtod36Ga+CiMQ2ZezWlSqkMCgYAPTrnIqp1QCEiGyb0SAiYW\n"
	"SIXsEI93i1Yq6wkuGULnSDJPqIDToFErAlvq7RlAHd6Ly16mJlXkCQHpt1GYEZP+\n"
	"xy4GYZTMIid8hOJIJ2os6Z48U7cfwFxeomelZV0du2IuYwyKw+NxtX+WUVtQYHHU\n"
	"qWUklKO6Mnf7OJVo7UwWWw==\n"
	"-----END PRIVATE KEY-----\n";

static const char NK_PUB_PEM[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAyB6fayng9FM6u7R/lMnp\n"
	"ssnLYluRWPkrWvDCACNMi67PwjPnAl/TG9un+gfwBBbjtN9q/pnJt5V87ZLLoePS\n"
	"x5Wc4vnZP1+gJE7OGcXR7uuKIX0umklPgTZbh0Ml6Wbu7TM0LKBjmGstodlVm0CP\n"
	"jiu8IIttfC+7Mwe3VUDYZkYhhjuIRBaS4LDvqj8LGGclaIrR7u6VbVSZ3c7ocg9p\n"
	"e7+mTkmaezpMTR4cjZgN+1SrlfPUb2yr4ZgL6NC/ErFUk7b1Gjc8mOe5f5Utn3tP\n"
	"kiTHUc+gSZfDSCM6ERWlwuBGJDDZ06kWxfO6vUFO3HSnPU7mA650kGBc0IdsbCKO\n"
	"qwIDAQAB\n"
	"-----END PUBLIC KEY-----\n";

static const char NK_PKCS1_PUB_PEM[] =
	"-----BEGIN RSA PUBLIC KEY-----\n"
	"MIIBCgKCAQEAyB6fayng9FM6u7R/lMnpssnLYluRWPkrWvDCACNMi67PwjPnAl/T\n"
	"G9un+gfwBBbjtN9q/pnJt5V87ZLLoePSx5Wc4vnZP1+gJE7OGcXR7uuKIX0umklP\n"
	"gTZbh0Ml6Wbu7TM0LKBjmGstodlVm0CPjiu8IIttfC+7Mwe3VUDYZkYhhjuIRBaS\n"
	"4LDvqj8LGGclaIrR7u6VbVSZ3c7ocg9pe7+mTkmaezpMTR4cjZgN+1SrlfPUb2yr\n"
	"4ZgL6NC/ErFUk7b1Gjc8mOe5f5Utn3tPkiTHUc+gSZfDSCM6ERWlwuBGJDDZ06kW\n"
	"xfO6vUFO3HSnPU7mA650kGBc0IdsbCKOqwIDAQAB\n"
	"-----END RSA PUBLIC KEY-----\n";

static const char EC_PRIV_PEM[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgt3HZCS+h6lxSQihi\n"
	"hHwKUewT8xPNsg9SPQgdT2+I6pihRANCAATnSpfPPAZqWfiEn2H7cQzpgmaA7Q39\n"
	"l4/kCwqWeozVVf79PTt89Ce11wBEIHWKkB4OYFo6UjKC5QX5NNl19b73\n"
	"-----END PRIVATE KEY-----\n";

static const char EC_PUB_PEM[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE50qXzzwGaln4hJ9h+3EM6YJmgO0N\n"
	"/ZeP5AsKlnqM1VX+/T07fPQntdcARCB1ipAeDmBaOlIyguUF+TTZdfW+9w==\n"
	"-----END PUBLIC KEY-----\n";

static const char RSA1024_PRIV_PEM[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIICeAIBADANBgkqhkiG9w0BAQEFAASCAmIwggJeAgEAAoGBAMwahnbsgqwzWKTs\n"
	"+h6kGxFi2ey2bghpuEzx/Wyv2xJhQK5PWeyOXZMjt81xnZ+2jLhYI1mVgyXG0Jir\n"
	"ynTZi9p79Z/q8GWhu/PViC3WDvwWyWuGchXruybCDN1nXoJ5af7dB80i5Kusw7MC\n"
	"mQyc0qAerFapDwsk9oz0vbNtO3iPAgMBAAECgYEAs3qHz7/+0Kp+QtlYwOUSIGHK\n"
	"vMtXSvKcbJ1HevHRNQJsPFvu+YPfaWo5UOGd+Dow2FI5E6fUIb4I5Jf8enBq922Q\n"
	"RYpivqOnTaiP2IvaDhQUsjdms7HTQXqHVDkQrQ6YxOF+DEs96NvepT3J5UJCXjyQ\n"
	"rXcS/1UTJqzZQlutmFECQQDlzQ8Mk0w8MuA5UewkYmHBvSQIOZij8fKcZxKsEzGD\n"
	"w1LiBttieNs4P60/U9TmSM1XskF95folJxi5dRuQe+jdAkEA4193OcgNYiIOyWG4\n"
	"7lnfeAxri4Hnb6U5vHjeqEKXY2q5HoBGR5gjLW9YCbn2B/AI2gMFJsBz0Y6Haaac\n"
	"KHpaWwJBALoSgl8CXjZYU6rWJMmJR/Kh/i0Sxf/qBzKRW1Mt72frno8aUkW36nnv\n"
	"RY8DiF43EN4znkgdEaFHuQNiScGCM5kCQGjeeCwDVADl+nHxi40LkKFbASNIGAmL\n"
	"aFTAXtm2VQK6j4U83q1YwyjKiQ17YrmIgVykNfUIoKKPnW8iNDYLMK8CQQCvaU+9\n"
	"VgE+wXuLLxWuPaxgTKuk93pagnm9wpc6JRp5+RzHnj5+YI3UUlOTBXga2MndUT1L\n"
	"vug6/mNfLqCw3TuK\n"
	"-----END PRIVATE KEY-----\n";

static const char RSA1024_PUB_PEM[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDMGoZ27IKsM1ik7PoepBsRYtns\n"
	"tm4IabhM8f1sr9sSYUCuT1nsjl2TI7fNcZ2ftoy4WCNZlYMlxtCYq8p02Yvae/Wf\n"
	"6vBlobvz1Ygt1g78FslrhnIV67smwgzdZ16CeWn+3QfNIuSrrMOzApkMnNKgHqxW\n"
	"qQ8LJPaM9L2zbTt4jwIDAQAB\n"
	"-----END PUBLIC KEY-----\n";

static const char ENC_U_B64[] =
	"F0fgZJdtaCtPFY4+AHiv+Ca8j7CbAjNKyCY2fqR0iwnO/oPEJxNE6jhpo/Ss4IbF"
	"7Bgp5OqCJMomZNQZdRSEkwDWc7eU5UqAnTIqgpoMcP17h6Ua7PaDvmIp4SD4rTUc"
	"nRxiuguqv33OHcEY3TF+rUgCG+RJFkiRZGVddkYIoCufdIIFsuXmTFHLFkwENg1L"
	"8+vFAMnsCvsH49WGsc75zpW7KemIQYymljsVXvVM75Zr744XIcRconT2DfwW+qN9"
	"0A1hwwcJibCmqgAosWSssjQ10CZrQuUX1dnvJ6notPpuJJLKgHJ9QxV5MKFwtBhS"
	"K70YNcnXsAwHXHSHlyHKYw==";

static const char ENC_V_B64[] =
	"DxSrT2RFqb+JWxCuI+bxT6XE2TOBSfXKSJM8p02JAmSbTE4Ye4XB6Tve6m2fAWY1"
	"rBw5Fprk4U2bxoUmDn8eHRthRalyYk3jVlEHoKLwyVjZ5YcgxuXV00EbKZ48BnTw"
	"+6Q5yJZxr6p+3IQUmt1WvIYKFhstL7f9vQ1tgVFoqLvxZh0LHtYre3umK/sEWK3F"
	"IjHttwd6HOYvh/xo4+J/0XnnxlTpbbk01QGXUtcEq+l1TBlIjDCeVbQNppZsKZOl"
	"oXFZk24nqT3khO1yRLxySsOyb0IB980LMx8Rq5nPzlUMhmrxuXMevb44QCVnBacL"
	"Ke4sEzpFWkCE6lxCElAyKw==";

static const char ENC_31_B64[] =
	"skCY9x8HKSpmnImjwDMmh4gFYg6qmSboYhuazIInwIWic0KLafZYrBJZMDMyDpR3"
	"SFE5GWuC+7fYb65fDe+zTYN2CSLnV74Pmaw2vY8KXiBb+BLjUxIfrST2t1HZF58F"
	"3fluBJLSr9frbbNwISqlpfBuFTIK0+GFhUdcHbW9fYyaS05UMKZ/DE4q3iIY0Oyz"
	"WqcFrq0tm9RCd114m1DSYMayrRw85wwP6ygWdUvcOGkfZ6CIzfNeRpnwl9CoUPy/"
	"4dohnV4YtqfLJi4WC6IMQufxT4KXjuZhyY0Q2kikxyxf61jAhCudxQ4DB0sJsojy"
	"HCUb7IOkcI8/JxGjMYUe9w==";

static const char ENC_33_B64[] =
	"HrLBUUn/g4Wo7UJJzs2Ifot8h2+5BeUmpRLY2KxGMyS36EX/u2Je56r/gU+6OmT6"
	"cDwpAKhWxQgoF7WqiXuK8UYldhU3xBIyucTTlK4GY7rfoLf2F6Llc8g6yJiv/BAz"
	"NFs+/4/wxNhcqOM5F2Epafs+qbsad0bdrfcZGfZRVKpbRIZjfxxK0Ypunshsa8Oc"
	"axSLF/RBMmh5TIpPDYnqhn7/iDTrLLC/A7sAs2JlzKvZcE/uL/9zn0OJbzVu81kN"
	"um6GYBOgrUvw+t1tsdpNIQUEZv/gf54VFnQ+Llpr7HGZkIIIGjpCduAtoDqhA913"
	"9Q07ly5N55faNmk8J6F+2w==";

static const char ENC_U_SHA256_B64[] =
	"Or5BIasAwKC7TNi/lBaMEksCYXVZ2Fo+v+GJqXAi05kkC81x0WZs3yXnAHpMq+Xa"
	"a+P9jreaRcp+zDXEGvuh4kHE8wgVfXXY/NvDt5cINmPk21COHOxjkVDfSmJP68q9"
	"NDt1stO2MIrH5oCdB39oJZmtHz3DkFg30tOUYHZY+cgTEWwaViwzb2jd4BrJJi6N"
	"OhHsIrxBcx7oDm4UHJDTAEx9OBgoq5qHVIOTIUIWZaJxT7OTFCIGOqjtMy9L6Fxa"
	"qUCJveWinjZwJXjHdhlMO5j+57S5PwrfPfqOKC8+1cDPd3EUYwiTWOuyxszU4034"
	"F/zSFA8THVfN+SGpJ+U3KQ==";

static const char PAYLOAD_B64[] =
	"8PHy8/T19vf4+fr7/P3+/7ygkDH7Ob0vsCzoX+0yFoboeryKKLttoDgaVxfLWBCj"
	"s+B7SJnMpN2o7qLRDzAKry2/zmHje68cdZ5r5OfB";

static const char PAYLOAD_EMPTY_B64[] =
	"8PHy8/T19vf4+fr7/P3+//6yh5/HPy4YpGDS1jkd6PI=";

static const char U_HEX[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static const char V_HEX[] =
	"0b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf2173c6186";

static const char K_HEX[] =
	"0b3157799bc1ef093b5177a9cbe11f394b91b7d9fb012f499bb1d7e90b217f99";

static const char AUTH_TAG_HEX[] =
	"e9941909fa4f5c08f0713a7898993490206ded7813c8c26f677b62bef049d181"
	"3f35b0c23a50e487c887140786d41790";

static const char PT_HEX[] =
	"504b0506000000000000000000000000000000000000206b65796c696d652070"
	"61796c6f616420766563746f720a";

#define UUID "d432fbb3-d2f1-4a97-9ef7-75bd81c00000"
#define CHALLENGE "challenge1234567890AB"
#define VERIFY_HMAC_HEX                                                        \
	"b78387cd39843e5304aee6a0c43881c61f559c2d9275edf401739e68bd1416ff"     \
	"f806e906844d2fda6088baff01a41804"
#define ACTIVATION_SECRET "Zb3kQpR7mN2xW9vL4tY8uJ6hG1fD5sA0"
#define ACTIVATION_KEY_B64 "WmIza1FwUjdtTjJ4Vzl2TDR0WTh1SjZoRzFmRDVzQTA="
#define ACTIVATION_TAG_HEX                                                     \
	"a9a04c95d4c5119259c63fa073c6f6ddb0637d4ead6cc1cddca439cf9775ee51"     \
	"df8069ba85e460ccdb8120605b5c17bd"
#define RFC4231_TC2_HEX                                                        \
	"af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"     \
	"8e2240ca5e69e2c78b3239ecfab21649"

static struct kc_rng rng;
static struct kc_nk fixed_nk;
static char err[256];

/* ---- helpers -------------------------------------------------------------- */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static size_t b64d(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	assert_int_equal(b64_decode(s, strlen(s), out, cap, &n), KC_OK);
	return n;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static EVP_PKEY *ossl_pubkey(const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pk;

	assert_non_null(bio);
	pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(pk);
	return pk;
}

/* OpenSSL's own PEM for a public key: what Keylime's Python side would write. */
static void ossl_pubkey_pem(EVP_PKEY *pk, char *out, size_t cap)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, pk), 1);
	n = BIO_get_mem_data(bio, &p);
	assert_true(n > 0 && (size_t)n < cap);
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	BIO_free(bio);
}

static void ossl_oaep_sha1_decrypt(EVP_PKEY *priv, const uint8_t *ct, size_t ctlen,
				   uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(priv, NULL);

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_decrypt_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha1()), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha1()), 1);
	assert_int_equal(EVP_PKEY_decrypt(ctx, out, outlen, ct, ctlen), 1);
	EVP_PKEY_CTX_free(ctx);
}

static EVP_PKEY *ossl_privkey(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pk;

	assert_non_null(bio);
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(pk);
	return pk;
}

/* AES-256-GCM with a 16-byte IV, no AAD: keylime crypto.decrypt. */
static bool ossl_gcm_decrypt(const uint8_t key[32], const uint8_t *in, size_t inlen,
			     uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	size_t ctlen = inlen - 32;
	int n = 0, ok;

	assert_non_null(c);
	assert_true(inlen >= 32);
	assert_int_equal(EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 16, NULL), 1);
	assert_int_equal(EVP_DecryptInit_ex(c, NULL, NULL, key, in), 1);
	if (ctlen)
		assert_int_equal(EVP_DecryptUpdate(c, out, &n, in + 16, (int)ctlen), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16,
					     (void *)(in + inlen - 16)), 1);
	ok = EVP_DecryptFinal_ex(c, out + n, &n);
	EVP_CIPHER_CTX_free(c);
	return ok == 1;
}

static void ossl_hmac_hex(const void *key, size_t keylen, const void *msg, size_t msglen,
			  char hex[KC_TAG_HEX_LEN + 1])
{
	uint8_t mac[64];
	unsigned int n = 0;

	assert_non_null(HMAC(EVP_sha384(), keylen ? key : "", (int)keylen,
			     msglen ? msg : (const void *)"", msglen, mac, &n));
	assert_int_equal(n, 48);
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
}

/* ---- HMAC ----------------------------------------------------------------- */

static void test_auth_tag_vectors(void **state)
{
	static const char tc2_msg[] = "what do ya want for nothing?";
	uint8_t k[KC_KEY_LEN];
	char hex[KC_TAG_HEX_LEN + 1];

	(void)state;
	assert_int_equal(kc_auth_tag((const uint8_t *)"Jefe", 4, (const uint8_t *)tc2_msg,
				     strlen(tc2_msg), hex), KC_OK);
	assert_string_equal(hex, RFC4231_TC2_HEX);

	unhex(K_HEX, k, sizeof(k));
	assert_int_equal(kc_auth_tag(k, sizeof(k), (const uint8_t *)UUID, strlen(UUID), hex),
			 KC_OK);
	assert_string_equal(hex, AUTH_TAG_HEX);
	assert_int_equal(kc_auth_tag(k, sizeof(k), (const uint8_t *)CHALLENGE,
				     strlen(CHALLENGE), hex), KC_OK);
	assert_string_equal(hex, VERIFY_HMAC_HEX);

	/* Empty key and message are legal HMAC inputs. */
	assert_int_equal(kc_auth_tag(NULL, 0, NULL, 0, hex), KC_OK);
	{
		char want[KC_TAG_HEX_LEN + 1];

		ossl_hmac_hex("", 0, "", 0, want);
		assert_string_equal(hex, want);
	}
	assert_int_equal(kc_auth_tag(NULL, 3, NULL, 0, hex), KC_ERR_INPUT);
	assert_int_equal(kc_auth_tag(k, 32, NULL, 0, NULL), KC_ERR_INPUT);
}

/* Registrar activation: the key is the ASCII text of base64(secret). */
static void test_activation_tag(void **state)
{
	char key[64], hex[KC_TAG_HEX_LEN + 1];
	size_t n;

	(void)state;
	assert_int_equal(b64_encode((const uint8_t *)ACTIVATION_SECRET,
				       strlen(ACTIVATION_SECRET), key, sizeof(key), &n), KC_OK);
	assert_string_equal(key, ACTIVATION_KEY_B64);
	assert_int_equal(kc_auth_tag((const uint8_t *)key, n, (const uint8_t *)UUID,
				     strlen(UUID), hex), KC_OK);
	assert_string_equal(hex, ACTIVATION_TAG_HEX);
	/* The raw secret as key gives a different tag. */
	assert_int_equal(kc_auth_tag((const uint8_t *)ACTIVATION_SECRET,
				     strlen(ACTIVATION_SECRET), (const uint8_t *)UUID,
				     strlen(UUID), hex), KC_OK);
	assert_string_not_equal(hex, ACTIVATION_TAG_HEX);
}

static void test_auth_tag_vs_openssl(void **state)
{
	uint8_t key[130], msg[300];
	char mine[KC_TAG_HEX_LEN + 1], theirs[KC_TAG_HEX_LEN + 1];

	(void)state;
	/* Key lengths around the SHA-384 block size (128), where HMAC hashes the key. */
	for (size_t kl = 0; kl <= sizeof(key); kl += (kl < 120 ? 17 : 1)) {
		size_t ml = (kl * 7) % sizeof(msg);

		fill(key, kl, (uint32_t)kl);
		fill(msg, ml, (uint32_t)kl + 1000);
		assert_int_equal(kc_auth_tag(key, kl, msg, ml, mine), KC_OK);
		ossl_hmac_hex(key, kl, msg, ml, theirs);
		assert_string_equal(mine, theirs);
		assert_true(kc_auth_tag_matches(key, kl, msg, ml, theirs, KC_TAG_HEX_LEN));
	}
}

static void test_auth_tag_matches(void **state)
{
	static const char odd[] = "/:@G`g \xff";
	uint8_t k[KC_KEY_LEN];
	char tag[KC_TAG_HEX_LEN + 2], upper[KC_TAG_HEX_LEN + 1];
	const uint8_t *uuid = (const uint8_t *)UUID;
	size_t ul = strlen(UUID);

	(void)state;
	unhex(K_HEX, k, sizeof(k));
	strcpy(tag, AUTH_TAG_HEX);
	assert_true(kc_auth_tag_matches(k, sizeof(k), uuid, ul, tag, KC_TAG_HEX_LEN));
	for (size_t i = 0; i <= KC_TAG_HEX_LEN; i++)
		upper[i] = (char)(tag[i] >= 'a' && tag[i] <= 'f' ? tag[i] - 32 : tag[i]);
	assert_true(kc_auth_tag_matches(k, sizeof(k), uuid, ul, upper, KC_TAG_HEX_LEN));
	/* Wrong length, even as a prefix or with an extra character. */
	assert_false(kc_auth_tag_matches(k, sizeof(k), uuid, ul, tag, KC_TAG_HEX_LEN - 1));
	assert_false(kc_auth_tag_matches(k, sizeof(k), uuid, ul, tag, KC_TAG_HEX_LEN - 2));
	tag[KC_TAG_HEX_LEN] = '0';
	tag[KC_TAG_HEX_LEN + 1] = '\0';
	assert_false(kc_auth_tag_matches(k, sizeof(k), uuid, ul, tag, KC_TAG_HEX_LEN + 1));
	assert_false(kc_auth_tag_matches(k, sizeof(k), uuid, ul, NULL, KC_TAG_HEX_LEN));
	assert_false(kc_auth_tag_matches(k, sizeof(k), uuid, ul, "", 0));
	/* Every position matters. */
	for (size_t i = 0; i < KC_TAG_HEX_LEN; i++) {
		strcpy(tag, AUTH_TAG_HEX);
		tag[i] = tag[i] == '0' ? '1' : '0';
		assert_false(kc_auth_tag_matches(k, sizeof(k), uuid, ul, tag, KC_TAG_HEX_LEN));
	}
	/*
	 * Non-hex characters, including ones next to the hex ranges, never
	 * match; put them where the tag has a '0' so that reading them as
	 * nibble 0 would go unnoticed.
	 */
	assert_int_equal(AUTH_TAG_HEX[6], '0');
	for (size_t j = 0; j < sizeof(odd) - 1; j++) {
		strcpy(tag, AUTH_TAG_HEX);
		tag[6] = odd[j];
		assert_false(kc_auth_tag_matches(k, sizeof(k), uuid, ul, tag, KC_TAG_HEX_LEN));
	}
	/* Wrong key, wrong message. */
	k[0] ^= 1;
	assert_false(kc_auth_tag_matches(k, sizeof(k), uuid, ul, AUTH_TAG_HEX, KC_TAG_HEX_LEN));
	k[0] ^= 1;
	assert_false(kc_auth_tag_matches(k, sizeof(k), uuid, ul - 1, AUTH_TAG_HEX,
					 KC_TAG_HEX_LEN));
}

/* ---- RNG ------------------------------------------------------------------ */

static void test_rng(void **state)
{
	static uint8_t a[3000], b[3000];
	struct kc_rng r2, zero;
	char longpers[KC_RNG_PERS_MAX + 2];

	(void)state;
	/* Longer than one CTR-DRBG request. */
	assert_int_equal(kc_rng_bytes(&rng, a, sizeof(a)), 0);
	assert_int_equal(kc_rng_bytes(&rng, b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_false(all_zero(a + 2000, 1000));
	assert_int_equal(kc_rng_bytes(&rng, a, 0), 0);

	memset(longpers, 'p', sizeof(longpers) - 1);
	longpers[sizeof(longpers) - 1] = '\0';
	assert_int_equal(kc_rng_init(&r2, longpers, err, sizeof(err)), KC_ERR_INPUT);
	assert_true(strlen(err) > 0);
	assert_int_not_equal(kc_rng_bytes(&r2, a, 1), 0); /* not usable */
	kc_rng_free(&r2);
	assert_int_equal(kc_rng_init(&r2, NULL, err, sizeof(err)), KC_OK);
	assert_int_equal(kc_rng_bytes(&r2, a, 32), 0);
	kc_rng_free(&r2);
	memset(&zero, 0, sizeof(zero));
	kc_rng_free(&zero);
	kc_rng_free(NULL);
}

/* ---- NK loading and OAEP with the fixed key ------------------------------- */

static void test_nk_load_fixed(void **state)
{
	struct kc_nk nk;

	(void)state;
	/* The fixed key was loaded in setup; its PEM must be the openssl CLI's. */
	assert_int_equal(fixed_nk.pem_len, strlen(NK_PUB_PEM));
	assert_string_equal(fixed_nk.pem, NK_PUB_PEM);

	/* With the terminating NUL counted in the length, too. */
	assert_int_equal(kc_nk_load_private_pem(&nk, NK_PRIV_PEM, sizeof(NK_PRIV_PEM), &rng,
						err, sizeof(err)), KC_OK);
	assert_string_equal(nk.pem, NK_PUB_PEM);
	kc_nk_free(&nk);
	assert_true(all_zero((const uint8_t *)&nk, sizeof(nk)));
	kc_nk_free(&nk); /* twice is fine */

	/* Not RSA. */
	assert_int_equal(kc_nk_load_private_pem(&nk, EC_PRIV_PEM, strlen(EC_PRIV_PEM), &rng,
						err, sizeof(err)), KC_ERR_KEY);
	assert_non_null(strstr(err, "RSA"));
	/* RSA, but too small. */
	assert_int_equal(kc_nk_load_private_pem(&nk, RSA1024_PRIV_PEM, strlen(RSA1024_PRIV_PEM),
						&rng, err, sizeof(err)), KC_ERR_KEY);
	assert_non_null(strstr(err, "1024"));
	/* Truncated, garbage, empty, oversize. */
	assert_int_equal(kc_nk_load_private_pem(&nk, NK_PRIV_PEM, 600, &rng, err, sizeof(err)),
			 KC_ERR_INPUT);
	assert_int_equal(kc_nk_load_private_pem(&nk, "-----BEGIN PRIVATE KEY-----\nAAAA\n"
						"-----END PRIVATE KEY-----\n", 60, &rng, err,
						sizeof(err)), KC_ERR_INPUT);
	assert_int_equal(kc_nk_load_private_pem(&nk, "", 0, &rng, err, sizeof(err)),
			 KC_ERR_INPUT);
	/* Missing arguments; a garbage struct is reset, not freed. */
	memset(&nk, 0x5A, sizeof(nk));
	assert_int_equal(kc_nk_load_private_pem(&nk, NULL, 10, &rng, err, sizeof(err)),
			 KC_ERR_INPUT);
	assert_true(all_zero((const uint8_t *)&nk, sizeof(nk)));
	memset(&nk, 0x5A, sizeof(nk));
	assert_int_equal(kc_nk_generate(&nk, NULL, err, sizeof(err)), KC_ERR_INPUT);
	assert_true(all_zero((const uint8_t *)&nk, sizeof(nk)));
	assert_int_equal(kc_nk_generate(NULL, &rng, err, sizeof(err)), KC_ERR_INPUT);
	{
		static char big[KC_PRIV_PEM_MAX + 2];

		memset(big, '-', sizeof(big) - 1);
		assert_int_equal(kc_nk_load_private_pem(&nk, big, sizeof(big) - 1, &rng, err,
							sizeof(err)), KC_ERR_INPUT);
	}
	assert_true(all_zero((const uint8_t *)&nk, sizeof(nk)));
	kc_nk_free(&nk);
}

/* Python-made OAEP-SHA1 ciphertexts, then K, the tag and the payload. */
static void test_keylime_vectors(void **state)
{
	uint8_t ct[512], u[KC_KEY_LEN], v[KC_KEY_LEN], k[KC_KEY_LEN], want[KC_KEY_LEN];
	uint8_t payload[256], plain[256], pt[256];
	char hex[KC_TAG_HEX_LEN + 1];
	size_t n, ptlen, outlen;

	(void)state;
	n = b64d(ENC_U_B64, ct, sizeof(ct));
	assert_int_equal(n, 256);
	assert_int_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, n, u, err, sizeof(err)),
			 KC_OK);
	unhex(U_HEX, want, sizeof(want));
	assert_memory_equal(u, want, KC_KEY_LEN);

	n = b64d(ENC_V_B64, ct, sizeof(ct));
	assert_int_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, n, v, err, sizeof(err)),
			 KC_OK);
	unhex(V_HEX, want, sizeof(want));
	assert_memory_equal(v, want, KC_KEY_LEN);

	kc_combine(u, v, k);
	unhex(K_HEX, want, sizeof(want));
	assert_memory_equal(k, want, KC_KEY_LEN);
	kc_combine(u, v, u); /* in place */
	assert_memory_equal(u, want, KC_KEY_LEN);

	assert_int_equal(kc_auth_tag(k, sizeof(k), (const uint8_t *)UUID, strlen(UUID), hex),
			 KC_OK);
	assert_string_equal(hex, AUTH_TAG_HEX);

	n = b64d(PAYLOAD_B64, payload, sizeof(payload));
	ptlen = unhex(PT_HEX, pt, sizeof(pt));
	assert_int_equal(n, ptlen + 32);
	assert_int_equal(kc_payload_decrypt(k, payload, n, plain, sizeof(plain), &outlen, err,
					    sizeof(err)), KC_OK);
	assert_int_equal(outlen, ptlen);
	assert_memory_equal(plain, pt, ptlen);
	/* Exactly enough room. */
	assert_int_equal(kc_payload_decrypt(k, payload, n, plain, ptlen, &outlen, err,
					    sizeof(err)), KC_OK);

	n = b64d(PAYLOAD_EMPTY_B64, payload, sizeof(payload));
	assert_int_equal(n, 32);
	outlen = 99;
	assert_int_equal(kc_payload_decrypt(k, payload, n, NULL, 0, &outlen, err, sizeof(err)),
			 KC_OK);
	assert_int_equal(outlen, 0);
}

static void test_oaep_rejects(void **state)
{
	uint8_t ct[512], out[KC_KEY_LEN];
	size_t n;

	(void)state;
	/* Plaintext of 31 and 33 bytes: valid OAEP, wrong size for Keylime. */
	n = b64d(ENC_31_B64, ct, sizeof(ct));
	memset(out, 0xAA, sizeof(out));
	assert_int_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, n, out, err, sizeof(err)),
			 KC_ERR_INPUT);
	assert_non_null(strstr(err, "31"));
	assert_true(all_zero(out, sizeof(out)));
	n = b64d(ENC_33_B64, ct, sizeof(ct));
	assert_int_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, n, out, err, sizeof(err)),
			 KC_ERR_INPUT);
	assert_true(all_zero(out, sizeof(out)));

	/* OAEP with SHA-256 is not what Keylime sends. */
	n = b64d(ENC_U_SHA256_B64, ct, sizeof(ct));
	memset(out, 0xAA, sizeof(out));
	assert_int_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, n, out, err, sizeof(err)),
			 KC_ERR_INPUT);
	assert_true(all_zero(out, sizeof(out)));

	/* Flipped bit anywhere. */
	n = b64d(ENC_U_B64, ct, sizeof(ct));
	for (size_t i = 0; i < n; i += 51) {
		ct[i] ^= 0x10;
		assert_int_not_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, n, out, err,
							  sizeof(err)), KC_OK);
		assert_true(all_zero(out, sizeof(out)));
		ct[i] ^= 0x10;
	}
	/* Wrong lengths are refused before mbedtls reads anything. */
	assert_int_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, n - 1, out, err, sizeof(err)),
			 KC_ERR_INPUT);
	assert_int_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, n + 1, out, err, sizeof(err)),
			 KC_ERR_INPUT);
	assert_int_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, 0, out, err, sizeof(err)),
			 KC_ERR_INPUT);
	/* The modulus itself and values above it are not ciphertexts. */
	assert_int_equal(mbedtls_rsa_export_raw(mbedtls_pk_rsa(fixed_nk.pk), ct, 256, NULL, 0,
						NULL, 0, NULL, 0, NULL, 0), 0);
	assert_int_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, 256, out, err, sizeof(err)),
			 KC_ERR_INPUT);
	memset(ct, 0xff, 256);
	assert_int_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, 256, out, err, sizeof(err)),
			 KC_ERR_INPUT);
	assert_int_equal(kc_oaep_sha1_decrypt(NULL, &rng, ct, 256, out, err, sizeof(err)),
			 KC_ERR_INPUT);
	/* Still works afterwards (padding mode restored and reselected). */
	n = b64d(ENC_U_B64, ct, sizeof(ct));
	assert_int_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, n, out, err, sizeof(err)),
			 KC_OK);
}

static void test_oaep_encrypt(void **state)
{
	EVP_PKEY *priv = ossl_privkey(NK_PRIV_PEM);
	uint8_t in[KC_KEY_LEN], ct[512], ct2[512], back[512];
	size_t n, n2, blen;

	(void)state;
	fill(in, sizeof(in), 42);
	/* OpenSSL decrypts what we encrypt to the SPKI PEM ... */
	assert_int_equal(kc_oaep_sha1_encrypt(NK_PUB_PEM, strlen(NK_PUB_PEM), &rng, in, ct,
					      sizeof(ct), &n, err, sizeof(err)), KC_OK);
	assert_int_equal(n, 256);
	blen = sizeof(back);
	ossl_oaep_sha1_decrypt(priv, ct, n, back, &blen);
	assert_int_equal(blen, KC_KEY_LEN);
	assert_memory_equal(back, in, KC_KEY_LEN);
	/* ... and to the PKCS#1 PEM, NUL counted in the length. */
	assert_int_equal(kc_oaep_sha1_encrypt(NK_PKCS1_PUB_PEM, sizeof(NK_PKCS1_PUB_PEM), &rng,
					      in, ct2, sizeof(ct2), &n2, err, sizeof(err)),
			 KC_OK);
	blen = sizeof(back);
	ossl_oaep_sha1_decrypt(priv, ct2, n2, back, &blen);
	assert_memory_equal(back, in, KC_KEY_LEN);
	/* Randomised. */
	assert_memory_not_equal(ct, ct2, 256);
	/* Our own decrypt agrees. */
	assert_int_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, n, back, err, sizeof(err)),
			 KC_OK);
	assert_memory_equal(back, in, KC_KEY_LEN);
	EVP_PKEY_free(priv);

	/* Too small an output buffer. */
	assert_int_equal(kc_oaep_sha1_encrypt(NK_PUB_PEM, strlen(NK_PUB_PEM), &rng, in, ct, 255,
					      &n, err, sizeof(err)), KC_ERR_SPACE);
	assert_int_equal(n, 0);
	/* Keys that must be refused. */
	assert_int_equal(kc_oaep_sha1_encrypt(EC_PUB_PEM, strlen(EC_PUB_PEM), &rng, in, ct,
					      sizeof(ct), &n, err, sizeof(err)), KC_ERR_KEY);
	assert_int_equal(kc_oaep_sha1_encrypt(RSA1024_PUB_PEM, strlen(RSA1024_PUB_PEM), &rng,
					      in, ct, sizeof(ct), &n, err, sizeof(err)),
			 KC_ERR_KEY);
	assert_non_null(strstr(err, "1024"));
	/* Broken PEM: truncated, garbage, embedded NUL, empty, too long. */
	assert_int_equal(kc_oaep_sha1_encrypt(NK_PUB_PEM, 200, &rng, in, ct, sizeof(ct), &n,
					      err, sizeof(err)), KC_ERR_INPUT);
	assert_int_equal(kc_oaep_sha1_encrypt("hello", 5, &rng, in, ct, sizeof(ct), &n, err,
					      sizeof(err)), KC_ERR_INPUT);
	{
		char pem[sizeof(NK_PUB_PEM)];

		memcpy(pem, NK_PUB_PEM, sizeof(pem));
		pem[100] = '\0';
		assert_int_equal(kc_oaep_sha1_encrypt(pem, sizeof(pem) - 1, &rng, in, ct,
						      sizeof(ct), &n, err, sizeof(err)),
				 KC_ERR_INPUT);
	}
	assert_int_equal(kc_oaep_sha1_encrypt("", 0, &rng, in, ct, sizeof(ct), &n, err,
					      sizeof(err)), KC_ERR_INPUT);
	{
		static char big[KC_PEM_MAX + 2];

		memset(big, 'A', sizeof(big) - 1);
		assert_int_equal(kc_oaep_sha1_encrypt(big, sizeof(big) - 1, &rng, in, ct,
						      sizeof(ct), &n, err, sizeof(err)),
				 KC_ERR_INPUT);
	}
}

/* ---- payload -------------------------------------------------------------- */

static void test_payload_rejects(void **state)
{
	uint8_t k[KC_KEY_LEN], payload[256], orig[256], out[256];
	size_t n, outlen;

	(void)state;
	unhex(K_HEX, k, sizeof(k));
	n = b64d(PAYLOAD_B64, orig, sizeof(orig));

	/* Any flipped bit (IV, ciphertext, tag) is an authentication failure. */
	for (size_t i = 0; i < n; i++) {
		memcpy(payload, orig, n);
		payload[i] ^= (uint8_t)(1u << (i % 8));
		memset(out, 0xAA, sizeof(out));
		outlen = 99;
		assert_int_equal(kc_payload_decrypt(k, payload, n, out, sizeof(out), &outlen,
						    err, sizeof(err)), KC_ERR_AUTH);
		assert_int_equal(outlen, 0);
		assert_true(all_zero(out, sizeof(out)));
	}
	/* Wrong key. */
	k[31] ^= 0x80;
	assert_int_equal(kc_payload_decrypt(k, orig, n, out, sizeof(out), &outlen, err,
					    sizeof(err)), KC_ERR_AUTH);
	k[31] ^= 0x80;
	/* Truncated: a byte short (tag check fails), and below IV + tag. */
	assert_int_equal(kc_payload_decrypt(k, orig, n - 1, out, sizeof(out), &outlen, err,
					    sizeof(err)), KC_ERR_AUTH);
	for (size_t len = 0; len < 32; len++) {
		memset(out, 0xAA, sizeof(out));
		assert_int_equal(kc_payload_decrypt(k, orig, len, out, sizeof(out), &outlen, err,
						    sizeof(err)), KC_ERR_INPUT);
		assert_true(all_zero(out, sizeof(out)));
	}
	assert_int_equal(kc_payload_decrypt(k, NULL, 0, out, sizeof(out), &outlen, err,
					    sizeof(err)), KC_ERR_INPUT);
	/* Output too small by one. */
	memset(out, 0xAA, sizeof(out));
	assert_int_equal(kc_payload_decrypt(k, orig, n, out, n - 33, &outlen, err, sizeof(err)),
			 KC_ERR_SPACE);
	assert_true(all_zero(out, n - 33));
	assert_int_equal(out[n - 33], 0xAA);
	/* Output overlapping the input. */
	memcpy(payload, orig, n);
	assert_int_equal(kc_payload_decrypt(k, payload, n, payload + 16, n - 32, &outlen, err,
					    sizeof(err)), KC_ERR_INPUT);
}

static void test_payload_encrypt(void **state)
{
	static uint8_t in[5000], enc[5100], dec[5000], theirs[5000];
	static const size_t lens[] = { 0, 1, 15, 16, 17, 1000, 5000 };
	uint8_t k[KC_KEY_LEN], iv0[16];
	size_t n, outlen;

	(void)state;
	fill(k, sizeof(k), 9);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];

		fill(in, len, (uint32_t)len);
		assert_int_equal(kc_payload_encrypt(k, &rng, in, len, enc, len + 32, &n, err,
						    sizeof(err)), KC_OK);
		assert_int_equal(n, len + 32);
		/* OpenSSL, as keylime crypto.decrypt does it. */
		assert_true(ossl_gcm_decrypt(k, enc, n, theirs));
		assert_memory_equal(theirs, in, len);
		assert_int_equal(kc_payload_decrypt(k, enc, n, dec, sizeof(dec), &outlen, err,
						    sizeof(err)), KC_OK);
		assert_int_equal(outlen, len);
		assert_memory_equal(dec, in, len);
		if (i == 0)
			memcpy(iv0, enc, 16);
		else
			assert_memory_not_equal(iv0, enc, 16); /* fresh IV each time */
		/* OpenSSL also rejects a flipped tag: the tag really is the last 16. */
		enc[n - 1] ^= 1;
		assert_false(ossl_gcm_decrypt(k, enc, n, theirs));
	}
	memset(enc, 0xAA, sizeof(enc));
	assert_int_equal(kc_payload_encrypt(k, &rng, in, 100, enc, 131, &n, err, sizeof(err)),
			 KC_ERR_SPACE);
	assert_int_equal(n, 0);
	assert_true(all_zero(enc, 131));
	assert_int_equal(kc_payload_encrypt(k, &rng, in, SIZE_MAX - 8, enc, sizeof(enc), &n, err,
					    sizeof(err)), KC_ERR_SPACE);
	assert_int_equal(kc_payload_encrypt(k, &rng, enc + 10, 100, enc, sizeof(enc), &n, err,
					    sizeof(err)), KC_ERR_INPUT);
}

/* ---- certificate ---------------------------------------------------------- */

/* mbedtls parses it, its key is the NK, and OpenSSL verifies it as Keylime would. */
static void check_cert(const struct kc_nk *nk, const char *pem, const char *cn)
{
	mbedtls_x509_crt crt;
	uint8_t a[600], b[600];
	int la, lb;
	uint32_t flags = 0;
	char name[128];
	BIO *bio;
	X509 *x;
	EVP_PKEY *pk, *nkpub;
	X509_STORE *store;
	X509_STORE_CTX *sctx;

	assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----\n"));
	mbedtls_x509_crt_init(&crt);
	assert_int_equal(mbedtls_x509_crt_parse(&crt, (const unsigned char *)pem,
						strlen(pem) + 1), 0);
	assert_int_equal(crt.version, 3);
	assert_int_equal(crt.MBEDTLS_PRIVATE(sig_md), MBEDTLS_MD_SHA256);
	assert_int_equal(crt.MBEDTLS_PRIVATE(sig_pk), MBEDTLS_PK_RSA);
	assert_int_equal(crt.serial.len, 16);
	assert_true(crt.serial.p[0] >= 0x40 && crt.serial.p[0] < 0x80);
	assert_int_equal(crt.valid_from.year, 2000);
	assert_int_equal(crt.valid_from.mon, 1);
	assert_int_equal(crt.valid_from.day, 1);
	assert_int_equal(crt.valid_to.year, 2099);
	assert_int_equal(crt.valid_to.mon, 12);
	assert_int_equal(crt.valid_to.day, 31);
	assert_true(mbedtls_x509_crt_has_ext_type(&crt, MBEDTLS_X509_EXT_BASIC_CONSTRAINTS));
	assert_true(mbedtls_x509_crt_has_ext_type(&crt, MBEDTLS_X509_EXT_SUBJECT_KEY_IDENTIFIER));
	assert_int_equal(crt.MBEDTLS_PRIVATE(ca_istrue), 0);
	assert_true(mbedtls_x509_dn_gets(name, sizeof(name), &crt.subject) > 0);
	assert_int_equal(strncmp(name, "CN=", 3), 0);
	assert_string_equal(name + 3, cn);
	assert_true(mbedtls_x509_dn_gets(name, sizeof(name), &crt.issuer) > 0);
	assert_string_equal(name + 3, cn);
	/* Public key equal to the NK's. */
	la = mbedtls_pk_write_pubkey_der(&crt.pk, a, sizeof(a));
	lb = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)&nk->pk, b, sizeof(b));
	assert_true(la > 0 && la == lb);
	assert_memory_equal(a + sizeof(a) - la, b + sizeof(b) - lb, (size_t)la);
	/* Self-signed: it verifies with itself as the only trust anchor. */
	assert_int_equal(mbedtls_x509_crt_verify(&crt, &crt, NULL, NULL, &flags, NULL, NULL), 0);
	assert_int_equal(flags, 0);
	mbedtls_x509_crt_free(&crt);

	/* OpenSSL: signature (PKCS#1 v1.5, not PSS), key, and chain as a pinned anchor. */
	bio = BIO_new_mem_buf(pem, -1);
	assert_non_null(bio);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(x);
	pk = X509_get_pubkey(x);
	nkpub = ossl_pubkey(nk->pem, nk->pem_len);
	assert_int_equal(EVP_PKEY_eq(pk, nkpub), 1);
	assert_int_equal(X509_verify(x, nkpub), 1);
	assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	assert_int_equal(X509_get_version(x), 2);
	store = X509_STORE_new();
	sctx = X509_STORE_CTX_new();
	assert_non_null(store);
	assert_non_null(sctx);
	assert_int_equal(X509_STORE_add_cert(store, x), 1);
	assert_int_equal(X509_STORE_CTX_init(sctx, store, x, NULL), 1);
	X509_STORE_CTX_set_purpose(sctx, X509_PURPOSE_SSL_SERVER);
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(sctx), X509_V_FLAG_X509_STRICT);
	assert_int_equal(X509_verify_cert(sctx), 1);
	X509_STORE_CTX_free(sctx);
	X509_STORE_free(store);
	EVP_PKEY_free(nkpub);
	EVP_PKEY_free(pk);
	X509_free(x);
}

static void test_cert_fixed_key(void **state)
{
	static char pem[4096], pem2[4096];
	uint8_t ct[512], u[KC_KEY_LEN];
	size_t n;

	(void)state;
	/* After an OAEP decrypt, signing must still be PKCS#1 v1.5. */
	n = b64d(ENC_U_B64, ct, sizeof(ct));
	assert_int_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, n, u, err, sizeof(err)),
			 KC_OK);
	assert_int_equal(kc_nk_self_signed_cert(&fixed_nk, &rng, UUID, pem, sizeof(pem), err,
						sizeof(err)), KC_OK);
	check_cert(&fixed_nk, pem, UUID);
	/* Random serial: two certificates differ. */
	assert_int_equal(kc_nk_self_signed_cert(&fixed_nk, &rng, "agent-1.example:9002", pem2,
						sizeof(pem2), err, sizeof(err)), KC_OK);
	check_cert(&fixed_nk, pem2, "agent-1.example:9002");
	assert_string_not_equal(pem, pem2);

	/* Common names that would be X.509 name syntax, or too long, or empty. */
	assert_int_equal(kc_nk_self_signed_cert(&fixed_nk, &rng, "a,O=evil", pem, sizeof(pem),
						err, sizeof(err)), KC_ERR_INPUT);
	assert_string_equal(pem, "");
	assert_int_equal(kc_nk_self_signed_cert(&fixed_nk, &rng, "a=b", pem, sizeof(pem), err,
						sizeof(err)), KC_ERR_INPUT);
	assert_int_equal(kc_nk_self_signed_cert(&fixed_nk, &rng, "a\\b", pem, sizeof(pem), err,
						sizeof(err)), KC_ERR_INPUT);
	assert_int_equal(kc_nk_self_signed_cert(&fixed_nk, &rng, "a b", pem, sizeof(pem), err,
						sizeof(err)), KC_ERR_INPUT);
	assert_int_equal(kc_nk_self_signed_cert(&fixed_nk, &rng, "", pem, sizeof(pem), err,
						sizeof(err)), KC_ERR_INPUT);
	{
		char cn[KC_CN_MAX + 2];

		memset(cn, 'c', sizeof(cn) - 1);
		cn[sizeof(cn) - 1] = '\0';
		assert_int_equal(kc_nk_self_signed_cert(&fixed_nk, &rng, cn, pem, sizeof(pem),
							err, sizeof(err)), KC_ERR_INPUT);
		cn[KC_CN_MAX] = '\0';
		assert_int_equal(kc_nk_self_signed_cert(&fixed_nk, &rng, cn, pem, sizeof(pem),
							err, sizeof(err)), KC_OK);
		check_cert(&fixed_nk, pem, cn);
	}
	/* Too small an output. */
	assert_int_equal(kc_nk_self_signed_cert(&fixed_nk, &rng, UUID, pem, 500, err,
						sizeof(err)), KC_ERR_SPACE);
	assert_string_equal(pem, "");
	assert_int_equal(kc_nk_self_signed_cert(&fixed_nk, &rng, UUID, pem, 1000, err,
						sizeof(err)), KC_ERR_SPACE);
	/* No key. */
	{
		struct kc_nk none;

		memset(&none, 0, sizeof(none));
		assert_int_equal(kc_nk_self_signed_cert(&none, &rng, UUID, pem, sizeof(pem), err,
							sizeof(err)), KC_ERR_KEY);
		assert_int_equal(kc_oaep_sha1_decrypt(&none, &rng, ct, n, u, err, sizeof(err)),
				 KC_ERR_KEY);
	}
}

/* The one RSA generation: PEM shape, e, OAEP round trip, certificate. */
static void test_nk_generate(void **state)
{
	static char pem[4096], theirs[KC_PEM_MAX + 1];
	struct kc_nk nk;
	EVP_PKEY *pub;
	BIGNUM *e = NULL;
	uint8_t in[KC_KEY_LEN], ct[512], out[KC_KEY_LEN];
	size_t n;
	static const char head[] = "-----BEGIN PUBLIC KEY-----\n";
	static const char tail[] = "-----END PUBLIC KEY-----\n";

	(void)state;
	assert_int_equal(kc_nk_generate(&nk, &rng, err, sizeof(err)), KC_OK);
	assert_int_equal(mbedtls_pk_get_bitlen(&nk.pk), 2048);
	assert_int_equal(nk.pem_len, strlen(nk.pem));
	assert_int_equal(strncmp(nk.pem, head, strlen(head)), 0);
	assert_string_equal(nk.pem + nk.pem_len - strlen(tail), tail);
	/* Byte for byte what OpenSSL writes for the same key. */
	pub = ossl_pubkey(nk.pem, nk.pem_len);
	ossl_pubkey_pem(pub, theirs, sizeof(theirs));
	assert_string_equal(nk.pem, theirs);
	assert_int_equal(EVP_PKEY_get_bits(pub), 2048);
	assert_int_equal(EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &e), 1);
	assert_true(BN_is_word(e, 65537));
	BN_free(e);
	EVP_PKEY_free(pub);

	fill(in, sizeof(in), 77);
	assert_int_equal(kc_oaep_sha1_encrypt(nk.pem, nk.pem_len, &rng, in, ct, sizeof(ct), &n,
					      err, sizeof(err)), KC_OK);
	assert_int_equal(kc_oaep_sha1_decrypt(&nk, &rng, ct, n, out, err, sizeof(err)), KC_OK);
	assert_memory_equal(out, in, sizeof(in));
	/* The fixed key cannot decrypt it. */
	assert_int_equal(kc_oaep_sha1_decrypt(&fixed_nk, &rng, ct, n, out, err, sizeof(err)),
			 KC_ERR_INPUT);

	assert_int_equal(kc_nk_self_signed_cert(&nk, &rng, UUID, pem, sizeof(pem), err,
						sizeof(err)), KC_OK);
	check_cert(&nk, pem, UUID);
	kc_nk_free(&nk);
	assert_true(all_zero((const uint8_t *)&nk, sizeof(nk)));
}

/* ---- main ----------------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	if (kc_rng_init(&rng, "test_keylime_crypto", err, sizeof(err)) != KC_OK) {
		fprintf(stderr, "rng: %s\n", err);
		return -1;
	}
	if (kc_nk_load_private_pem(&fixed_nk, NK_PRIV_PEM, strlen(NK_PRIV_PEM), &rng, err,
				   sizeof(err)) != KC_OK) {
		fprintf(stderr, "fixed key: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kc_nk_free(&fixed_nk);
	kc_rng_free(&rng);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_tag_vectors),
		cmocka_unit_test(test_activation_tag),
		cmocka_unit_test(test_auth_tag_vs_openssl),
		cmocka_unit_test(test_auth_tag_matches),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_nk_load_fixed),
		cmocka_unit_test(test_keylime_vectors),
		cmocka_unit_test(test_oaep_rejects),
		cmocka_unit_test(test_oaep_encrypt),
		cmocka_unit_test(test_payload_rejects),
		cmocka_unit_test(test_payload_encrypt),
		cmocka_unit_test(test_cert_fixed_key),
		cmocka_unit_test(test_nk_generate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
