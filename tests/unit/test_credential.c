/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for src/lib/tpm_public.c and src/lib/credential.c.
 *
 * Independent oracles:
 *   - public areas, Names, DER public keys and signatures made by swtpm
 *     0.7.1 with tpm2-tools 5.4 (see "Vectors" below for the commands),
 *     field values as `tpm2_print -t TPM2B_PUBLIC` shows them;
 *   - KDFa/KDFe outputs from Python's `cryptography` 38 (KBKDFHMAC and
 *     ConcatKDFHash; script in the comment above the vectors);
 *   - a credential blob tpm2_makecredential --tcti none wrote;
 *   - ActivateCredential re-implemented in this file with OpenSSL's
 *     libcrypto (RSA-OAEP, ECDH, HMAC, AES-CFB), using key pairs OpenSSL
 *     generates, so every blob make_credential writes is opened without
 *     the code under test. (tests/host/test_credential_swtpm.sh opens them
 *     with a real TPM.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <mbedtls/pk.h>

#include "credential.h"
#include "digest.h"
#include "tpm_public.h"

/*
 * Vectors. swtpm socket --tpm2 ... --flags not-need-init,startup-clear, then
 * with TPM2TOOLS_TCTI=swtpm:host=127.0.0.1,port=P:
 *   tpm2_createek -G rsa|ecc|ecc384|rsa3072|ecc521 -c ek.ctx -u ek.pub
 *   tpm2_readpublic -c ek.ctx -n ek.name -f der -o ek.der
 *   tpm2_createak -C ek.ctx -G ecc -g sha256 -s ecdsa -c ak.ctx -u ak.pub -n ak.name
 *   tpm2_createak -C ek.ctx -G rsa -g sha256 -s rsassa -c ak.ctx -u ak.pub -n ak.name
 *   printf 'airlock tpm_public signature test' >msg
 *   tpm2_sign -c ak.ctx -g sha256 -f plain -o sig msg  (for each AK; the ECDSA
 *     one is DER and `openssl dgst -sha256 -verify` accepts it)
 *   tpm2_makecredential --tcti none -e ek_ecc.pub -s sec32 -n <ak_ecc.name hex> -o blob
 *     with sec32 = ABCDEFGHIJKLMNOPQRSTUVWXYZ012345
 */
static const char EK_RSA_PUB[] =
	"013a0001000b000300b20020837197674484b3f81a90cc8d46a5d724fd52d76e06520b64"
	"f2a1da1b331469aa00060080004300100800000000000100b4baf65261d947028185c773"
	"03f0f0cc0b9fb245e3dbf8739f18b5796dfc22ca51201044ba0cadd8a5fdcbcc43e8bb36"
	"d90f01223250667255b7e06111248c14ce53f643c5eac594b535ad7bb0949b0c8f26693c"
	"cd399c0d61a644b55ab992337868e2ee52d40b9745a4c4651ba6aadd6cff0a116e674d5a"
	"39cd8acbe9e8489580ef4bbb43415dbed0d51f54cb568334480a3fa11937940112fdb77c"
	"38f46994350a6136e5d620fd12be274c82e6589749f01675de84072bf37842a46ff2388c"
	"40f35579302ac3c4b7802419c971f27045125e7d4834e53ec1542e05c9121a5f51b80f66"
	"8b20b1690aa34310da051f53b70bdacd1f2e7ab094496d7b0c4f6887";
static const char EK_ECC_PUB[] =
	"007a0023000b000300b20020837197674484b3f81a90cc8d46a5d724fd52d76e06520b64"
	"f2a1da1b331469aa000600800043001000030010002042a03ac7f8931aec1d92419db804"
	"fadd1fc118681aef774a7c56c3ca5cb18e950020f757966ad1c48578762c5ab5b97b161e"
	"8512bc848ff873dccaefa18da976a870";
static const char AK_ECC_PUB[] =
	"00580023000b00050072000000100018000b0003001000207a45aaf767cb421e3b1417a7"
	"27dc2d61d5d4f618527974da00b82b6d72c55f580020ef3f6e7c028d4622dac2ebe8b3a7"
	"e52ab07249a9d7b2799e36b3198bf1aeda10";
static const char AK_RSA_PUB[] =
	"01180001000b00050072000000100014000b0800000000000100bfcf146a1cbfb3195cf9"
	"e573b5e9e0e48cc06bff83570ad74d8bd8fcb34b2526c34ba6d210fbf0728fb27ae2dcc6"
	"7855703158e5147e9c3cdb0620f997118c72a847df7e51e6d4b8a1fb14db5695357922e8"
	"0a6aa1e6d62a47ec323f496d9e3130c9eb71f22b23a6002ab6077e6924b24f423cf8163f"
	"f2692cb47ec66cbdbdbd142c4a0aaee16e61c423b5a8f55d5c2a430eee6283dbb24f3853"
	"2bf923eadadf0df3f270666a183ab5f235a3364cf1ba74fe8d0cb47c27fbb12ac62e5099"
	"698247c96b1257bcfd9ab932575c3e71679c3678b8c961362d676a0a7afd1dfbbd01746d"
	"cf5a95a0d608c5dc24602216fc952edaa4350709a4341eaee4f0523f5fa9";
static const char EK_ECC384_PUB[] =
	"00aa0023000c000300f20030b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4"
	"cb1c0ad9bde419cacb47ba09699646150f9fc000f3f80e12000601000043001000040010"
	"00301f3823eb8e6c9a5d674dce670d73c799ece673cfa79040b51ca599d3899a0ec12824"
	"b27bef5c44cd048a9ec46a2c09be0030cc1faf9883848dde9070ff64774fccfd5b731e62"
	"a8155267c001bad35eef90e0847033b87b49ea72524018c396d0618c";
static const char EK_RSA3072_PUB[] =
	"01ca0001000c000300f20030b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4"
	"cb1c0ad9bde419cacb47ba09699646150f9fc000f3f80e1200060100004300100c000000"
	"00000180c129ba9ef7d63b748041dc9e27c3c35110531d79389f2b074b217dbabd4af319"
	"864909d91fda43bd684c5fba467af1aaa03c5b26baf212bd1d46fbcdfd1987ad9e248f9f"
	"f22e589ca7b15151ce15ebd3caf7d99e4a2523aff80f16dd200ef45554d495a360ff529a"
	"b53da139e5fdd92c4f25fde0f54070856d71c7884d50d2781fb2a9b0f802e0515c4cdc60"
	"8f93fe9ae2b131d21b2c83af8142533573d8182cff601001e63dd6accfd6b44256544175"
	"d573d5a9f19435cb17c4cdf84db8bb1eaa92f3cfb966e4e87ffcd64b37b4abf98887b7c8"
	"a06a44ea9c1e88d5a97a9110dca42964d2a12882aa1dd17b1db15481079037db894046b2"
	"214a29d6923e9ae4779e9a4301cb3fb0ea5c8b4629432fe7370fb92226c11686e977acb6"
	"3c9d25c8113d26f7b0ff455d7679c22ad1f2d04ee4840507c7df71fc89089be045f4b96b"
	"5f6c1e02200f477b9aaf07f6f3b8833cf12f73f5e2e29fc4f8665633c8a7be560ee84547"
	"e0bb4486bb57c68f4a8979e8d61086cf3bbc92acb464439e156d9651";
static const char EK_ECC521_PUB[] =
	"00de0023000d000300f20040b8221ca69e8550a4914de3faa6a18c072cc01208073a928d"
	"5d66d59ef79e49a429c41a6b269571d57edb25fbdb1838425608b413cd616a5f6db5b607"
	"1af99bea00060100004300100005001000420173198e0849d2970702a73feff4268f6f61"
	"ab8c15167ad3c18c086d68a2e63204204da8b73870605f46925c976f8cbcd388c4503685"
	"0552fa95990e1de0e00010550042001f82782c794ff900042dd4660adbee4d851adc0541"
	"5bee7014fb497bb681c718f330c4d8dc45c4033f74fd4712ba6eb1a145ed6b7b49710511"
	"f0e139678db3f00d";
static const char AK_ECC_NAME[] =
	"000bf48be6c0d6a55b316b3a182b3909625304e7d2553882fa95c6da01d429cd1c93";
static const char AK_RSA_NAME[] =
	"000be0f428fe111963b84a5c7546d70a1612f5971d82e9cf6a14c6c05690d18804cb";
static const char EK_RSA_NAME[] =
	"000b035347f8ae89d258b95da29b2bd3756b41eedc374017b03a8b52ffb0015bc504";
static const char EK_ECC_NAME[] =
	"000b38dad2787790044461fe0d5724421b04119598133c115e48db7adbcab26e17cd";
static const char EK_ECC384_NAME[] =
	"000c63ad73d7312e1a064f42d58483042d9e3d4f506eef08fe06b48bf399bd27727c4f9a"
	"ee4592dee5ad6fbb62c2766e7011";
static const char EK_RSA3072_NAME[] =
	"000c7dd90ec3bf1c8ace9690c0aaaf2a4d37f9611cb54d14cdef1a5175ede1d86c7914fa"
	"7409906bc46fb994149b4a5397cc";
static const char EK_ECC521_NAME[] =
	"000dce40fd23c3f915e8a8c30b740f226dea88f802f5b3ecec7ea5eb2f21eb545569a60f"
	"b2afcaa54f7fb3502b60677bee752b06e62870909fb255893c3854216f4a";
static const char EK_RSA_DER[] =
	"30820122300d06092a864886f70d01010105000382010f003082010a0282010100b4baf6"
	"5261d947028185c77303f0f0cc0b9fb245e3dbf8739f18b5796dfc22ca51201044ba0cad"
	"d8a5fdcbcc43e8bb36d90f01223250667255b7e06111248c14ce53f643c5eac594b535ad"
	"7bb0949b0c8f26693ccd399c0d61a644b55ab992337868e2ee52d40b9745a4c4651ba6aa"
	"dd6cff0a116e674d5a39cd8acbe9e8489580ef4bbb43415dbed0d51f54cb568334480a3f"
	"a11937940112fdb77c38f46994350a6136e5d620fd12be274c82e6589749f01675de8407"
	"2bf37842a46ff2388c40f35579302ac3c4b7802419c971f27045125e7d4834e53ec1542e"
	"05c9121a5f51b80f668b20b1690aa34310da051f53b70bdacd1f2e7ab094496d7b0c4f68"
	"870203010001";
static const char EK_ECC_DER[] =
	"3059301306072a8648ce3d020106082a8648ce3d0301070342000442a03ac7f8931aec1d"
	"92419db804fadd1fc118681aef774a7c56c3ca5cb18e95f757966ad1c48578762c5ab5b9"
	"7b161e8512bc848ff873dccaefa18da976a870";
static const char EK_ECC384_DER[] =
	"3076301006072a8648ce3d020106052b81040022036200041f3823eb8e6c9a5d674dce67"
	"0d73c799ece673cfa79040b51ca599d3899a0ec12824b27bef5c44cd048a9ec46a2c09be"
	"cc1faf9883848dde9070ff64774fccfd5b731e62a8155267c001bad35eef90e0847033b8"
	"7b49ea72524018c396d0618c";
static const char EK_RSA3072_DER[] =
	"308201a2300d06092a864886f70d01010105000382018f003082018a0282018100c129ba"
	"9ef7d63b748041dc9e27c3c35110531d79389f2b074b217dbabd4af319864909d91fda43"
	"bd684c5fba467af1aaa03c5b26baf212bd1d46fbcdfd1987ad9e248f9ff22e589ca7b151"
	"51ce15ebd3caf7d99e4a2523aff80f16dd200ef45554d495a360ff529ab53da139e5fdd9"
	"2c4f25fde0f54070856d71c7884d50d2781fb2a9b0f802e0515c4cdc608f93fe9ae2b131"
	"d21b2c83af8142533573d8182cff601001e63dd6accfd6b44256544175d573d5a9f19435"
	"cb17c4cdf84db8bb1eaa92f3cfb966e4e87ffcd64b37b4abf98887b7c8a06a44ea9c1e88"
	"d5a97a9110dca42964d2a12882aa1dd17b1db15481079037db894046b2214a29d6923e9a"
	"e4779e9a4301cb3fb0ea5c8b4629432fe7370fb92226c11686e977acb63c9d25c8113d26"
	"f7b0ff455d7679c22ad1f2d04ee4840507c7df71fc89089be045f4b96b5f6c1e02200f47"
	"7b9aaf07f6f3b8833cf12f73f5e2e29fc4f8665633c8a7be560ee84547e0bb4486bb57c6"
	"8f4a8979e8d61086cf3bbc92acb464439e156d96510203010001";
static const char EK_ECC521_DER[] =
	"30819b301006072a8648ce3d020106052b8104002303818600040173198e0849d2970702"
	"a73feff4268f6f61ab8c15167ad3c18c086d68a2e63204204da8b73870605f46925c976f"
	"8cbcd388c45036850552fa95990e1de0e0001055001f82782c794ff900042dd4660adbee"
	"4d851adc05415bee7014fb497bb681c718f330c4d8dc45c4033f74fd4712ba6eb1a145ed"
	"6b7b49710511f0e139678db3f00d";
static const char SIG_ECC[] =
	"304502210082415c376d4e3c7346aff0d31ce1c1da51bad256980a347124a3e6f03543ba"
	"a902206504a5b046f8d26c51e28e2e6b20949239e69ef021e01fc37e6e68f83ceb14ec";
static const char SIG_RSA[] =
	"bab48efb9050ef7f92dacaf8965ecc7db545fbe555641aff45d5d72c8e3a3fcc31909530"
	"4322d3fd70a7d3db273f1d626d32b2cda0d22a0bc368fd8426ffff006056ca235673cab9"
	"491e14c9e9b87ddb7ed15828f7e000e650cfda92383570c86f1b0bc185eafd89bfe19e17"
	"028db980e05db7762110a461c0a0110b2d3c44a1a1ff1d3b83b19c9a3d1af9f7a31414ba"
	"70336e3d26695c6bb9d42edfddaedd0ee737dfe1f15c5ff4d0cdda2b65e7495d0572d7b0"
	"e8936b2d11f4ee6b0ffe51e10d60d20084279cc171a4d570eff88f08a03417a8bd2dc7f4"
	"c821f4bc90ff354ecf630956a031b50a70dd6b5b40565feffdf691a301a867fcb0dd62c2"
	"b5813283";
static const char TOOLS_ECC_BLOB[] =
	"badcc0de00000001004400201c8f42d48e7c93a7f94d3e3f03bd7417a53fc3d4dbc446f6"
	"38d7c1aebfff4ac4e1a65c983fa626290104d727132364e254978be32f4e22166be4d794"
	"04ac5af25ab9004400206e29a3979a391b755f9e2f6dc2fc6cce06f441949378d1485685"
	"44e34b992f75002062a04160614ff2fa558b65dd61a9134ae1457c01af37c98af1438cb4"
	"47d83679";

static const char SIG_MSG[] = "airlock tpm_public signature test";
static const char TOOLS_SECRET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/*
 * KDF vectors, from /usr/bin/python3 with cryptography 38.0.4:
 *   kdfa(h, key, label, u, v, n) = KBKDFHMAC(H, Mode.CounterMode, n, rlen=4, llen=4,
 *       CounterLocation.BeforeFixed, label, context=u + v, fixed=None).derive(key)
 *   kdfe(h, z, label, u, v, n) = ConcatKDFHash(H, n, otherinfo=label + b'\0' + u + v).derive(z)
 * KBKDF puts the 0 octet between label and context itself. KDFA4 (100 bits)
 * is HMAC-SHA1(bytes(range(20)), [1]32 || "ATH\0" || [100]32)[:13], first
 * octet & 0x0f, by hand.
 */
static const char KDFA1[] = "618240d9403f67f3914656a578c0a9b8";
static const char KDFA2[] = "bacf689f634ece301e1f1b15b072d9c87db6a69585db42b1a0cb8f73ebe2692e";
static const char KDFA3[] =
	"d259a358285bf372f4bda2169ba33297cdf97ba2cb4e23d87a6ea2a3b9c11cf26a27af83"
	"419fb61f3a7a05e37ad98b473e37f68650382ae241c1b633f6ef478ffd0598a36108d972"
	"f9d4d0";
static const char KDFA4[] = "0744f9848f16635a9f722db1ec";
static const char KDFE1[] = "09889693e119f3fcbd0e9fab79ba8a81a68874d97d7929d67587b1fe260bd34c";
static const char KDFE2[] =
	"ab7123875536f242fea647b582a955ef31220a8ef33bdd6c62c7eb531262da7912ec0dc5"
	"16bda80d91c05d8a28b461d3163f5cf8f38ed60a02a74d971754992f55c9ac653e9c2b7e"
	"df02d2af894941404e64ed894c77772a5974c03ebd392e02a663bcad5c10ab518afb3022"
	"4a4c16ce561853ca18e569cf14041bec20";

#define BUF 2048

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

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Parse a hex vector that must be valid. */
static size_t parse_ok(const char *hex, uint8_t *buf, struct tpm_public *p)
{
	char err[256] = "";
	size_t n = unhex(hex, buf, BUF);
	int ret = tpm_public_parse(buf, n, p, err, sizeof(err));

	if (ret)
		fail_msg("parse failed: %d %s", ret, err);
	assert_string_equal(err, "");
	return n;
}

/* ---- tpm_public: real vectors --------------------------------------------- */

static void check_name(const char *pub, const char *name_hex)
{
	uint8_t buf[BUF], want[TPM_NAME_MAX_SIZE], name[TPM_NAME_MAX_SIZE];
	struct tpm_public p;
	size_t n, wn;

	parse_ok(pub, buf, &p);
	wn = unhex(name_hex, want, sizeof(want));
	assert_int_equal(tpm_public_name(&p, name, sizeof(name), &n), TPM_PUBLIC_OK);
	assert_int_equal(n, wn);
	assert_memory_equal(name, want, n);
	/* Too small a buffer is refused, not truncated. */
	assert_int_equal(tpm_public_name(&p, name, wn - 1, &n), TPM_PUBLIC_E_ARG);
}

static void test_names_match_tpm2_tools(void **state)
{
	(void)state;
	check_name(AK_ECC_PUB, AK_ECC_NAME);
	check_name(AK_RSA_PUB, AK_RSA_NAME);
	check_name(EK_RSA_PUB, EK_RSA_NAME);
	check_name(EK_ECC_PUB, EK_ECC_NAME);
	check_name(EK_ECC384_PUB, EK_ECC384_NAME);
	check_name(EK_RSA3072_PUB, EK_RSA3072_NAME);
	check_name(EK_ECC521_PUB, EK_ECC521_NAME);
}

/* Values as `tpm2_print -t TPM2B_PUBLIC` shows them. */
static void test_fields_rsa_ek(void **state)
{
	static const char policy_a[] =
		"837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa";
	uint8_t buf[BUF], pol[32];
	struct tpm_public p;
	size_t n;

	(void)state;
	n = parse_ok(EK_RSA_PUB, buf, &p);
	assert_int_equal(n, 316);
	assert_int_equal(p.type, TPM_ALG_RSA);
	assert_int_equal(p.name_alg, TPM_ALG_SHA256);
	assert_int_equal(p.attributes, 0x300b2); /* fixedtpm|fixedparent|sensitivedataorigin|adminwithpolicy|restricted|decrypt */
	unhex(policy_a, pol, sizeof(pol));
	assert_int_equal(p.auth_policy_len, 32);
	assert_memory_equal(p.auth_policy, pol, 32);
	assert_int_equal(p.sym_alg, TPM_ALG_AES);
	assert_int_equal(p.sym_bits, 128);
	assert_int_equal(p.sym_mode, TPM_ALG_CFB);
	assert_int_equal(p.scheme, TPM_ALG_NULL);
	assert_int_equal(p.scheme_hash, 0);
	assert_int_equal(p.rsa_bits, 2048);
	assert_int_equal(p.rsa_exponent, 0);
	assert_int_equal(p.unique_x_len, 256);
	assert_int_equal(p.unique_x[0], 0xb4);
	assert_int_equal(p.unique_x[255], 0x87);
	assert_int_equal(p.unique_y_len, 0);
	assert_ptr_equal(p.tpmt, buf + 2);
	assert_int_equal(p.tpmt_len, 314);
}

static void test_fields_ecc_ak(void **state)
{
	uint8_t buf[BUF];
	struct tpm_public p;

	(void)state;
	parse_ok(AK_ECC_PUB, buf, &p);
	assert_int_equal(p.type, TPM_ALG_ECC);
	assert_int_equal(p.name_alg, TPM_ALG_SHA256);
	assert_int_equal(p.attributes, 0x50072); /* ...|userwithauth|restricted|sign */
	assert_int_equal(p.auth_policy_len, 0);
	assert_int_equal(p.sym_alg, TPM_ALG_NULL);
	assert_int_equal(p.sym_bits, 0);
	assert_int_equal(p.scheme, TPM_ALG_ECDSA);
	assert_int_equal(p.scheme_hash, TPM_ALG_SHA256);
	assert_int_equal(p.ecc_curve, TPM_ECC_NIST_P256);
	assert_int_equal(p.kdf, TPM_ALG_NULL);
	assert_int_equal(p.unique_x_len, 32);
	assert_int_equal(p.unique_y_len, 32);
	assert_int_equal(p.unique_x[0], 0x7a);
	assert_int_equal(p.unique_x[31], 0x58);
	assert_int_equal(p.unique_y[0], 0xef);
	assert_int_equal(p.unique_y[31], 0x10);
}

static void test_fields_rsa_ak(void **state)
{
	uint8_t buf[BUF];
	struct tpm_public p;

	(void)state;
	parse_ok(AK_RSA_PUB, buf, &p);
	assert_int_equal(p.type, TPM_ALG_RSA);
	assert_int_equal(p.attributes, 0x50072);
	assert_int_equal(p.scheme, TPM_ALG_RSASSA);
	assert_int_equal(p.scheme_hash, TPM_ALG_SHA256);
	assert_int_equal(p.rsa_bits, 2048);
	assert_int_equal(p.unique_x[0], 0xbf);
}

static void test_fields_high_range(void **state)
{
	uint8_t buf[BUF];
	struct tpm_public p;

	(void)state;
	parse_ok(EK_ECC384_PUB, buf, &p);
	assert_int_equal(p.name_alg, TPM_ALG_SHA384);
	assert_int_equal(p.attributes, 0x300f2);
	assert_int_equal(p.auth_policy_len, 48);
	assert_int_equal(p.auth_policy[0], 0xb2);
	assert_int_equal(p.sym_bits, 256);
	assert_int_equal(p.ecc_curve, TPM_ECC_NIST_P384);
	assert_int_equal(p.unique_x_len, 48);
	assert_int_equal(p.unique_x[0], 0x1f);
	assert_int_equal(p.unique_y[47], 0x8c);

	parse_ok(EK_RSA3072_PUB, buf, &p);
	assert_int_equal(p.name_alg, TPM_ALG_SHA384);
	assert_int_equal(p.rsa_bits, 3072);
	assert_int_equal(p.unique_x_len, 384);
	assert_int_equal(p.sym_bits, 256);

	parse_ok(EK_ECC521_PUB, buf, &p);
	assert_int_equal(p.name_alg, TPM_ALG_SHA512);
	assert_int_equal(p.ecc_curve, TPM_ECC_NIST_P521);
	assert_int_equal(p.unique_x_len, 66);
	assert_int_equal(p.unique_y_len, 66);
	assert_int_equal(p.unique_x[0], 0x01);
}

/* The mbedtls key, written back as SubjectPublicKeyInfo, equals tpm2_readpublic -f der. */
static void check_der(const char *pub, const char *der_hex)
{
	uint8_t buf[BUF], want[BUF], der[BUF];
	struct tpm_public p;
	mbedtls_pk_context pk;
	char err[256];
	size_t wn;
	int n;

	parse_ok(pub, buf, &p);
	wn = unhex(der_hex, want, sizeof(want));
	mbedtls_pk_init(&pk);
	assert_int_equal(tpm_public_to_pk(&p, &pk, err, sizeof(err)), TPM_PUBLIC_OK);
	n = mbedtls_pk_write_pubkey_der(&pk, der, sizeof(der));
	assert_true(n > 0);
	assert_int_equal((size_t)n, wn);
	assert_memory_equal(der + sizeof(der) - n, want, wn);
	mbedtls_pk_free(&pk);
}

static void test_to_pk_matches_openssl_der(void **state)
{
	(void)state;
	check_der(EK_RSA_PUB, EK_RSA_DER);
	check_der(EK_ECC_PUB, EK_ECC_DER);
	check_der(EK_ECC384_PUB, EK_ECC384_DER);
	check_der(EK_RSA3072_PUB, EK_RSA3072_DER);
	check_der(EK_ECC521_PUB, EK_ECC521_DER);
}

/* tpm2_sign's signatures verify with the converted AK; altered ones do not. */
static void check_sig(const char *pub, const char *sig_hex)
{
	uint8_t buf[BUF], sig[BUF], hash[32];
	unsigned int hl = 0;
	struct tpm_public p;
	mbedtls_pk_context pk;
	char err[256];
	size_t sn;

	parse_ok(pub, buf, &p);
	sn = unhex(sig_hex, sig, sizeof(sig));
	assert_int_equal(EVP_Digest(SIG_MSG, strlen(SIG_MSG), hash, &hl, EVP_sha256(), NULL), 1);
	mbedtls_pk_init(&pk);
	assert_int_equal(tpm_public_to_pk(&p, &pk, err, sizeof(err)), TPM_PUBLIC_OK);
	assert_int_equal(mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, hash, 32, sig, sn), 0);
	hash[5] ^= 1;
	assert_int_not_equal(mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, hash, 32, sig, sn), 0);
	hash[5] ^= 1;
	sig[sn - 3] ^= 0x10;
	assert_int_not_equal(mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, hash, 32, sig, sn), 0);
	mbedtls_pk_free(&pk);
}

static void test_to_pk_verifies_tpm_signatures(void **state)
{
	(void)state;
	check_sig(AK_ECC_PUB, SIG_ECC);
	check_sig(AK_RSA_PUB, SIG_RSA);
}

static void test_to_pk_bad_keys(void **state)
{
	uint8_t buf[BUF];
	struct tpm_public p;
	mbedtls_pk_context pk;
	char err[256];

	(void)state;
	mbedtls_pk_init(&pk);
	/* ECC point off the curve. */
	parse_ok(AK_ECC_PUB, buf, &p);
	p.unique_y[31] ^= 1;
	assert_int_equal(tpm_public_to_pk(&p, &pk, err, sizeof(err)), TPM_PUBLIC_E_KEY);
	assert_non_null(strstr(err, "not a point"));
	assert_int_equal(mbedtls_pk_get_type(&pk), MBEDTLS_PK_NONE);
	/* RSA modulus shorter than keyBits says. */
	parse_ok(AK_RSA_PUB, buf, &p);
	p.unique_x[0] = 0x00;
	assert_int_equal(tpm_public_to_pk(&p, &pk, err, sizeof(err)), TPM_PUBLIC_E_KEY);
	assert_int_equal(mbedtls_pk_get_type(&pk), MBEDTLS_PK_NONE);
	/* Even exponent. */
	parse_ok(AK_RSA_PUB, buf, &p);
	p.rsa_exponent = 65536;
	assert_int_equal(tpm_public_to_pk(&p, &pk, err, sizeof(err)), TPM_PUBLIC_E_KEY);
	/* An explicit 65537 is the same key as 0. */
	p.rsa_exponent = 65537;
	assert_int_equal(tpm_public_to_pk(&p, &pk, err, sizeof(err)), TPM_PUBLIC_OK);
	mbedtls_pk_free(&pk);
	mbedtls_pk_init(&pk);
	assert_int_equal(tpm_public_to_pk(NULL, &pk, err, sizeof(err)), TPM_PUBLIC_E_ARG);
	mbedtls_pk_free(&pk);
}

/* ---- tpm_public: malformed input -------------------------------------------- */

static int parse_hex_patched(const char *hex, size_t off, const uint8_t *bytes, size_t n,
			     char *err, size_t errlen)
{
	uint8_t buf[BUF];
	struct tpm_public p;
	size_t len = unhex(hex, buf, sizeof(buf));
	int ret;

	assert_true(off + n <= len);
	memcpy(buf + off, bytes, n);
	ret = tpm_public_parse(buf, len, &p, err, errlen);
	if (ret) { /* a failed parse leaves nothing behind */
		static const struct tpm_public zero;

		assert_memory_equal(&p, &zero, sizeof(p));
	}
	return ret;
}

#define PATCH(hex, off, ...) \
	parse_hex_patched(hex, off, (const uint8_t[]){ __VA_ARGS__ }, \
			  sizeof((const uint8_t[]){ __VA_ARGS__ }), err, sizeof(err))

static void test_parse_every_truncation_fails(void **state)
{
	const char *vecs[] = { EK_RSA_PUB, EK_ECC_PUB, AK_ECC_PUB, AK_RSA_PUB, EK_ECC521_PUB };
	uint8_t buf[BUF];
	struct tpm_public p;
	char err[256];

	(void)state;
	for (size_t v = 0; v < sizeof(vecs) / sizeof(vecs[0]); v++) {
		size_t len = unhex(vecs[v], buf, sizeof(buf));

		/* Cut, size prefix left alone: the prefix no longer matches. */
		for (size_t cut = 0; cut < len; cut++) {
			int ret = tpm_public_parse(buf, cut, &p, err, sizeof(err));

			assert_int_equal(ret, TPM_PUBLIC_E_TRUNCATED);
		}
		/* Cut with the size prefix fixed up: a field runs out. */
		for (size_t cut = 2; cut < len; cut++) {
			uint8_t b2[BUF];

			memcpy(b2, buf, cut);
			put16(b2, cut - 2);
			assert_int_equal(tpm_public_parse(b2, cut, &p, err, sizeof(err)),
					 TPM_PUBLIC_E_TRUNCATED);
			assert_non_null(strstr(err, "offset"));
		}
	}
}

static void test_parse_trailing_and_prefix(void **state)
{
	uint8_t buf[BUF];
	struct tpm_public p;
	char err[256];
	size_t len;

	(void)state;
	len = unhex(AK_ECC_PUB, buf, sizeof(buf));
	/* One byte more than the prefix says. */
	buf[len] = 0;
	assert_int_equal(tpm_public_parse(buf, len + 1, &p, err, sizeof(err)),
			 TPM_PUBLIC_E_TRAILING);
	/* Prefix covers the extra byte, the structure does not. */
	put16(buf, len - 1);
	assert_int_equal(tpm_public_parse(buf, len + 1, &p, err, sizeof(err)),
			 TPM_PUBLIC_E_TRAILING);
	assert_non_null(strstr(err, "after the public area"));
	/* Empty and NULL. */
	assert_int_equal(tpm_public_parse(buf, 0, &p, err, sizeof(err)), TPM_PUBLIC_E_TRUNCATED);
	assert_int_equal(tpm_public_parse(NULL, 5, &p, err, sizeof(err)), TPM_PUBLIC_E_ARG);
	assert_int_equal(tpm_public_parse(buf, len, NULL, err, sizeof(err)), TPM_PUBLIC_E_ARG);
	/* Oversize input is refused before reading. */
	memset(buf, 0, sizeof(buf));
	put16(buf, TPM_PUBLIC_MAX_SIZE + 1);
	assert_int_equal(tpm_public_parse(buf, TPM_PUBLIC_MAX_SIZE + 3, &p, err, sizeof(err)),
			 TPM_PUBLIC_E_SIZE);
	/* No error buffer is fine. */
	len = unhex(AK_ECC_PUB, buf, sizeof(buf));
	assert_int_equal(tpm_public_parse(buf, len - 1, &p, NULL, 0), TPM_PUBLIC_E_TRUNCATED);
}

/*
 * Offsets in AK_ECC_PUB: 2 type, 4 nameAlg, 6 attributes, 10 authPolicy size,
 * 12 symmetric, 14 scheme, 16 scheme hash, 18 curve, 20 kdf, 22 x size.
 * In EK_RSA_PUB: 10 authPolicy size (32 bytes follow), 44 symmetric, 46 AES
 * bits, 48 mode, 50 scheme, 52 keyBits, 54 exponent, 58 modulus size.
 */
static void test_parse_bad_fields(void **state)
{
	char err[256];

	(void)state;
	/* Types: KEYEDHASH, SYMCIPHER, unknown. */
	assert_int_equal(PATCH(AK_ECC_PUB, 2, 0x00, 0x08), TPM_PUBLIC_E_TYPE);
	assert_non_null(strstr(err, "0x0008"));
	assert_int_equal(PATCH(AK_ECC_PUB, 2, 0x00, 0x25), TPM_PUBLIC_E_TYPE);
	assert_int_equal(PATCH(AK_ECC_PUB, 2, 0xff, 0xff), TPM_PUBLIC_E_TYPE);
	/* A type swap makes the rest unparseable, not a different key. */
	assert_int_not_equal(PATCH(AK_ECC_PUB, 2, 0x00, 0x01), TPM_PUBLIC_OK);
	/* nameAlg: NULL, SM3_256, SHA3_256. */
	assert_int_equal(PATCH(AK_ECC_PUB, 4, 0x00, 0x10), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(AK_ECC_PUB, 4, 0x00, 0x12), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(AK_ECC_PUB, 4, 0x00, 0x27), TPM_PUBLIC_E_ALG);
	/* Reserved attribute bits 0, 3, 8, 15, 20, 31. */
	assert_int_equal(PATCH(AK_ECC_PUB, 6, 0x00, 0x05, 0x00, 0x73), TPM_PUBLIC_E_ATTRIBUTES);
	assert_int_equal(PATCH(AK_ECC_PUB, 6, 0x00, 0x05, 0x00, 0x7a), TPM_PUBLIC_E_ATTRIBUTES);
	assert_int_equal(PATCH(AK_ECC_PUB, 6, 0x00, 0x05, 0x01, 0x72), TPM_PUBLIC_E_ATTRIBUTES);
	assert_int_equal(PATCH(AK_ECC_PUB, 6, 0x00, 0x05, 0x80, 0x72), TPM_PUBLIC_E_ATTRIBUTES);
	assert_int_equal(PATCH(AK_ECC_PUB, 6, 0x00, 0x15, 0x00, 0x72), TPM_PUBLIC_E_ATTRIBUTES);
	assert_int_equal(PATCH(AK_ECC_PUB, 6, 0x80, 0x05, 0x00, 0x72), TPM_PUBLIC_E_ATTRIBUTES);
	/* authPolicy: 31 (not a SHA-256 digest) and 65 (over any digest). */
	assert_int_equal(PATCH(EK_RSA_PUB, 10, 0x00, 0x1f), TPM_PUBLIC_E_SIZE);
	assert_int_equal(PATCH(EK_RSA_PUB, 10, 0x00, 0x41), TPM_PUBLIC_E_SIZE);
	assert_int_equal(PATCH(EK_RSA_PUB, 10, 0xff, 0xff), TPM_PUBLIC_E_SIZE);
	/* Symmetric: SM4, Camellia, XOR; AES-64; AES in CBC / CTR / NULL mode. */
	assert_int_equal(PATCH(EK_RSA_PUB, 44, 0x00, 0x13), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(EK_RSA_PUB, 44, 0x00, 0x26), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(EK_RSA_PUB, 44, 0x00, 0x0a), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(EK_RSA_PUB, 46, 0x00, 0x40), TPM_PUBLIC_E_SIZE);
	assert_int_equal(PATCH(EK_RSA_PUB, 48, 0x00, 0x42), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(EK_RSA_PUB, 48, 0x00, 0x40), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(EK_RSA_PUB, 48, 0x00, 0x10), TPM_PUBLIC_E_ALG);
	/* RSA schemes: ECDSA on RSA, unknown; RSASSA with a NULL or SM3 hash. */
	assert_int_equal(PATCH(EK_RSA_PUB, 50, 0x00, 0x18), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(EK_RSA_PUB, 50, 0x12, 0x34), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(AK_RSA_PUB, 16, 0x00, 0x10), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(AK_RSA_PUB, 16, 0x00, 0x12), TPM_PUBLIC_E_ALG);
	/* RSA keyBits not allowed, and modulus size != keyBits / 8. */
	assert_int_equal(PATCH(EK_RSA_PUB, 52, 0x07, 0xff), TPM_PUBLIC_E_SIZE);
	assert_int_equal(PATCH(EK_RSA_PUB, 52, 0x00, 0x00), TPM_PUBLIC_E_SIZE);
	assert_int_equal(PATCH(EK_RSA_PUB, 52, 0x04, 0x00), TPM_PUBLIC_E_SIZE);
	assert_int_equal(PATCH(EK_RSA_PUB, 58, 0x00, 0xff), TPM_PUBLIC_E_SIZE);
	assert_int_equal(PATCH(EK_RSA_PUB, 58, 0x02, 0x01), TPM_PUBLIC_E_SIZE);
	/* ECC schemes: RSASSA on ECC, ECDAA (has a count we do not take), SM2. */
	assert_int_equal(PATCH(AK_ECC_PUB, 14, 0x00, 0x14), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(AK_ECC_PUB, 14, 0x00, 0x1a), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(AK_ECC_PUB, 14, 0x00, 0x1b), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(AK_ECC_PUB, 16, 0x00, 0x00), TPM_PUBLIC_E_ALG);
	/* Curves: BN P-256, SM2, NIST P-192, unknown. */
	assert_int_equal(PATCH(AK_ECC_PUB, 18, 0x00, 0x10), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(AK_ECC_PUB, 18, 0x00, 0x20), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(AK_ECC_PUB, 18, 0x00, 0x01), TPM_PUBLIC_E_ALG);
	/* P-384 with 32-byte coordinates. */
	assert_int_equal(PATCH(AK_ECC_PUB, 18, 0x00, 0x04), TPM_PUBLIC_E_SIZE);
	/* KDF unknown; coordinates of 31, 33 and 0 bytes. */
	assert_int_equal(PATCH(AK_ECC_PUB, 20, 0x00, 0x18), TPM_PUBLIC_E_ALG);
	assert_int_equal(PATCH(AK_ECC_PUB, 22, 0x00, 0x1f), TPM_PUBLIC_E_SIZE);
	assert_int_equal(PATCH(AK_ECC_PUB, 22, 0x00, 0x21), TPM_PUBLIC_E_SIZE);
	assert_int_equal(PATCH(AK_ECC_PUB, 22, 0x00, 0x00), TPM_PUBLIC_E_SIZE);
	assert_int_equal(PATCH(AK_ECC_PUB, 56, 0x00, 0x00), TPM_PUBLIC_E_SIZE);
	assert_int_equal(PATCH(AK_ECC_PUB, 56, 0xff, 0xff), TPM_PUBLIC_E_SIZE);
	/* Control: these patches keep a valid structure. */
	assert_int_equal(PATCH(AK_ECC_PUB, 16, 0x00, 0x0d), TPM_PUBLIC_OK); /* ECDSA-SHA512 */
	assert_int_equal(PATCH(EK_RSA_PUB, 46, 0x01, 0x00), TPM_PUBLIC_OK); /* AES-256 */
	assert_int_equal(PATCH(EK_RSA_PUB, 54, 0x00, 0x00, 0x00, 0x03), TPM_PUBLIC_OK);
}

/* A KDF scheme with its hash adds two bytes: build ECC EK with KDF2-SHA256. */
static void test_parse_ecc_kdf(void **state)
{
	uint8_t src[BUF], buf[BUF];
	struct tpm_public p;
	char err[256];
	size_t len = unhex(EK_ECC_PUB, src, sizeof(src));

	(void)state;
	/* EK_ECC_PUB: 50 scheme, 52 curve, 54 kdf (NULL), 56 x. */
	memcpy(buf, src, 56);
	buf[54] = 0x00, buf[55] = 0x21; /* KDF2 */
	buf[56] = 0x00, buf[57] = 0x0b; /* SHA-256 */
	memcpy(buf + 58, src + 56, len - 56);
	put16(buf, len + 2 - 2);
	assert_int_equal(tpm_public_parse(buf, len + 2, &p, err, sizeof(err)), TPM_PUBLIC_OK);
	assert_int_equal(p.kdf, TPM_ALG_KDF2);
	assert_int_equal(p.kdf_hash, TPM_ALG_SHA256);
	assert_int_equal(p.unique_x[0], src[58]);
	/* Same with a hash we do not know. */
	buf[57] = 0x12;
	assert_int_equal(tpm_public_parse(buf, len + 2, &p, err, sizeof(err)), TPM_PUBLIC_E_ALG);
	/* An RSAES scheme has no hash field: EK_RSA_PUB with scheme RSAES. */
	len = unhex(EK_RSA_PUB, src, sizeof(src));
	src[50] = 0x00, src[51] = 0x15;
	assert_int_equal(tpm_public_parse(src, len, &p, err, sizeof(err)), TPM_PUBLIC_OK);
	assert_int_equal(p.scheme, TPM_ALG_RSAES);
	assert_int_equal(p.scheme_hash, 0);
}

/* ---- KDFs ------------------------------------------------------------------- */

static void check_hex(const uint8_t *got, size_t n, const char *want_hex)
{
	uint8_t want[256];
	size_t wn = unhex(want_hex, want, sizeof(want));

	assert_int_equal(n, wn);
	assert_memory_equal(got, want, n);
}

static void test_kdfa_vectors(void **state)
{
	uint8_t key[64], name[TPM_NAME_MAX_SIZE], u[5], v[7], out[256];
	size_t nl = unhex(AK_ECC_NAME, name, sizeof(name));

	(void)state;
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	assert_int_equal(tpm_kdfa(TPM_ALG_SHA256, key, 32, "STORAGE", name, nl, NULL, 0, 128,
				  out, sizeof(out)), 0);
	check_hex(out, 16, KDFA1);
	assert_int_equal(tpm_kdfa(TPM_ALG_SHA256, key, 32, "INTEGRITY", NULL, 0, NULL, 0, 256,
				  out, 32), 0);
	check_hex(out, 32, KDFA2);
	for (int i = 0; i < 48; i++)
		key[i] = (uint8_t)(0xa0 + i);
	memset(u, 0x11, sizeof(u));
	memset(v, 0x22, sizeof(v));
	assert_int_equal(tpm_kdfa(TPM_ALG_SHA384, key, 48, "STORAGE", u, 5, v, 7, 600, out,
				  75), 0);
	check_hex(out, 75, KDFA3);
	for (int i = 0; i < 20; i++)
		key[i] = (uint8_t)i;
	assert_int_equal(tpm_kdfa(TPM_ALG_SHA1, key, 20, "ATH", NULL, 0, NULL, 0, 100, out,
				  13), 0);
	check_hex(out, 13, KDFA4);
	/* Output must fit; zero bits, unknown hash, oversize: refused. */
	assert_int_equal(tpm_kdfa(TPM_ALG_SHA1, key, 20, "ATH", NULL, 0, NULL, 0, 100, out,
				  12), CREDENTIAL_E_ARG);
	assert_int_equal(tpm_kdfa(TPM_ALG_SHA256, key, 20, "A", NULL, 0, NULL, 0, 0, out,
				  sizeof(out)), CREDENTIAL_E_ARG);
	assert_int_equal(tpm_kdfa(0x0012, key, 20, "A", NULL, 0, NULL, 0, 128, out,
				  sizeof(out)), CREDENTIAL_E_CRYPTO);
	assert_int_equal(tpm_kdfa(TPM_ALG_SHA256, key, 20, "A", NULL, 0, NULL, 0,
				  8 * (TPM_KDF_MAX_BYTES + 1), out, sizeof(out)), CREDENTIAL_E_ARG);
	assert_int_equal(tpm_kdfa(TPM_ALG_SHA256, NULL, 20, "A", NULL, 0, NULL, 0, 128, out,
				  sizeof(out)), CREDENTIAL_E_ARG);
}

static void test_kdfe_vectors(void **state)
{
	uint8_t z[66], u[66], v[66], out[256];

	(void)state;
	for (int i = 0; i < 32; i++) {
		z[i] = (uint8_t)(0x40 + i);
		u[i] = (uint8_t)(0x60 + i);
		v[i] = (uint8_t)(0x80 + i);
	}
	assert_int_equal(tpm_kdfe(TPM_ALG_SHA256, z, 32, "IDENTITY", u, 32, v, 32, 256, out,
				  sizeof(out)), 0);
	check_hex(out, 32, KDFE1);
	for (int i = 0; i < 66; i++) {
		z[i] = (uint8_t)i;
		u[i] = (uint8_t)(66 + i);
		v[i] = (uint8_t)(132 + i);
	}
	assert_int_equal(tpm_kdfe(TPM_ALG_SHA512, z, 66, "IDENTITY", u, 66, v, 66, 1000, out,
				  125), 0);
	check_hex(out, 125, KDFE2);
}

/* ---- ActivateCredential with OpenSSL (the oracle) --------------------------- */

static const EVP_MD *ossl_md(uint16_t alg)
{
	switch (alg) {
	case TPM_ALG_SHA1: return EVP_sha1();
	case TPM_ALG_SHA256: return EVP_sha256();
	case TPM_ALG_SHA384: return EVP_sha384();
	case TPM_ALG_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

/* KDFa straight from Part 1 11.4.10.2, with OpenSSL's HMAC. */
static void ossl_kdfa(uint16_t alg, const uint8_t *key, size_t kl, const char *label,
		      const uint8_t *u, size_t ul, uint32_t bits, uint8_t *out)
{
	uint8_t in[512], blk[64];
	size_t bytes = bits / 8, done = 0, ll = strlen(label) + 1, pos;
	unsigned int hl;

	for (uint32_t i = 1; done < bytes; i++) {
		pos = 0;
		in[pos++] = (uint8_t)(i >> 24), in[pos++] = (uint8_t)(i >> 16);
		in[pos++] = (uint8_t)(i >> 8), in[pos++] = (uint8_t)i;
		memcpy(in + pos, label, ll), pos += ll;
		if (ul)
			memcpy(in + pos, u, ul), pos += ul;
		in[pos++] = (uint8_t)(bits >> 24), in[pos++] = (uint8_t)(bits >> 16);
		in[pos++] = (uint8_t)(bits >> 8), in[pos++] = (uint8_t)bits;
		assert_non_null(HMAC(ossl_md(alg), key, (int)kl, in, pos, blk, &hl));
		memcpy(out + done, blk, bytes - done < hl ? bytes - done : hl);
		done += hl;
	}
}

/* KDFe straight from Part 1 11.4.10.3, with OpenSSL's digest. */
static void ossl_kdfe(uint16_t alg, const uint8_t *z, size_t zl, const uint8_t *u, size_t ul,
		      const uint8_t *v, size_t vl, size_t bytes, uint8_t *out)
{
	uint8_t in[512], blk[64];
	size_t done = 0, pos;
	unsigned int hl;

	for (uint32_t i = 1; done < bytes; i++) {
		pos = 0;
		in[pos++] = (uint8_t)(i >> 24), in[pos++] = (uint8_t)(i >> 16);
		in[pos++] = (uint8_t)(i >> 8), in[pos++] = (uint8_t)i;
		memcpy(in + pos, z, zl), pos += zl;
		memcpy(in + pos, "IDENTITY", 9), pos += 9;
		memcpy(in + pos, u, ul), pos += ul;
		memcpy(in + pos, v, vl), pos += vl;
		assert_int_equal(EVP_Digest(in, pos, blk, &hl, ossl_md(alg), NULL), 1);
		memcpy(out + done, blk, bytes - done < hl ? bytes - done : hl);
		done += hl;
	}
}

static const char *ossl_curve(uint16_t curve)
{
	switch (curve) {
	case TPM_ECC_NIST_P256: return "P-256";
	case TPM_ECC_NIST_P384: return "P-384";
	case TPM_ECC_NIST_P521: return "P-521";
	default: return NULL;
	}
}

/* Z = x(d_ek * Q_ephemeral) for the point in the encrypted secret. */
static size_t ossl_ecdh(EVP_PKEY *ek, uint16_t curve, const uint8_t *x, const uint8_t *y,
			size_t n, uint8_t *z)
{
	uint8_t pt[1 + 2 * 66];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL), *dctx;
	EVP_PKEY *peer = NULL;
	size_t zl = 66;

	pt[0] = 4;
	memcpy(pt + 1, x, n);
	memcpy(pt + 1 + n, y, n);
	assert_non_null(bld);
	assert_true(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
						    ossl_curve(curve), 0));
	assert_true(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * n));
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_true(EVP_PKEY_fromdata_init(pctx) == 1);
	assert_true(EVP_PKEY_fromdata(pctx, &peer, EVP_PKEY_PUBLIC_KEY, params) == 1);
	dctx = EVP_PKEY_CTX_new(ek, NULL);
	assert_true(EVP_PKEY_derive_init(dctx) == 1);
	assert_true(EVP_PKEY_derive_set_peer(dctx, peer) == 1);
	assert_true(EVP_PKEY_derive(dctx, z, &zl) == 1);
	assert_int_equal(zl, n);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return zl;
}

/*
 * TPM2_ActivateCredential (Part 3, 12.5) for the EK private key ekpriv whose
 * public area is ek: returns 0 and the credential, or -1 when the blob does
 * not open (integrity failure, bad seed). Parses the blob by hand.
 */
static int ossl_activate(EVP_PKEY *ekpriv, const struct tpm_public *ek, const uint8_t *ak_name,
			 size_t nl, const uint8_t *blob, size_t bl, uint8_t *cred, size_t *cl)
{
	size_t hl = digest_size(ek->name_alg), idn, macn, encn, esn, seedl = 0;
	const uint8_t *mac, *enc, *es;
	uint8_t seed[512], sym[32], hkey[64], mac_in[256], mymac[64], plain[128], iv[16] = { 0 };
	unsigned int ml = 0;
	int outl = 0;
	EVP_CIPHER_CTX *cctx;

	assert_true(bl >= 12);
	assert_int_equal((uint32_t)be16(blob) << 16 | be16(blob + 2), 0xBADCC0DEu);
	assert_int_equal((uint32_t)be16(blob + 4) << 16 | be16(blob + 6), 1);
	idn = be16(blob + 8);
	macn = be16(blob + 10);
	assert_int_equal(macn, hl);
	mac = blob + 12;
	enc = mac + macn;
	encn = idn - 2 - macn;
	es = blob + 10 + idn;
	esn = be16(es);
	es += 2;
	assert_int_equal(bl, 12 + idn + esn);

	if (ek->type == TPM_ALG_RSA) {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(ekpriv, NULL);
		unsigned char *label = OPENSSL_memdup("IDENTITY", 9);

		seedl = sizeof(seed);
		assert_true(EVP_PKEY_decrypt_init(ctx) == 1);
		assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1);
		assert_true(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, ossl_md(ek->name_alg)) == 1);
		assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, ossl_md(ek->name_alg)) == 1);
		assert_true(EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, 9) == 1);
		assert_int_equal(esn, ek->rsa_bits / 8);
		if (EVP_PKEY_decrypt(ctx, seed, &seedl, es, esn) != 1) {
			EVP_PKEY_CTX_free(ctx);
			return -1;
		}
		EVP_PKEY_CTX_free(ctx);
	} else {
		size_t n = tpm_public_ecc_size(ek->ecc_curve);
		uint8_t z[66];

		/* TPMS_ECC_POINT at curve size. */
		assert_int_equal(esn, 4 + 2 * n);
		assert_int_equal(be16(es), n);
		assert_int_equal(be16(es + 2 + n), n);
		ossl_ecdh(ekpriv, ek->ecc_curve, es + 2, es + 4 + n, n, z);
		ossl_kdfe(ek->name_alg, z, n, es + 2, n, ek->unique_x, n, hl, seed);
		seedl = hl;
	}
	assert_int_equal(seedl, hl);

	ossl_kdfa(ek->name_alg, seed, hl, "INTEGRITY", NULL, 0, (uint32_t)hl * 8, hkey);
	memcpy(mac_in, enc, encn);
	memcpy(mac_in + encn, ak_name, nl);
	assert_non_null(HMAC(ossl_md(ek->name_alg), hkey, (int)hl, mac_in, encn + nl, mymac, &ml));
	if (CRYPTO_memcmp(mymac, mac, hl) != 0)
		return -1;
	ossl_kdfa(ek->name_alg, seed, hl, "STORAGE", ak_name, nl, ek->sym_bits, sym);
	cctx = EVP_CIPHER_CTX_new();
	assert_true(EVP_DecryptInit_ex(cctx, ek->sym_bits == 128 ? EVP_aes_128_cfb128()
								 : EVP_aes_256_cfb128(),
				       NULL, sym, iv) == 1);
	assert_true(EVP_DecryptUpdate(cctx, plain, &outl, enc, (int)encn) == 1);
	EVP_CIPHER_CTX_free(cctx);
	assert_int_equal((size_t)outl, encn);
	assert_int_equal(be16(plain), encn - 2);
	*cl = encn - 2;
	memcpy(cred, plain + 2, *cl);
	return 0;
}

/* Deterministic generator for the tests: SHA-256(seed || counter). */
struct test_rng {
	uint32_t seed, counter;
	int fail_after; /* calls before failing; < 0: never fail */
};

static int test_rng(void *p, unsigned char *out, size_t len)
{
	struct test_rng *r = p;

	if (r->fail_after == 0)
		return -1;
	if (r->fail_after > 0)
		r->fail_after--;
	while (len) {
		uint8_t in[8], h[32];
		unsigned int hl;
		size_t n;

		memcpy(in, &r->seed, 4);
		memcpy(in + 4, &r->counter, 4);
		r->counter++;
		assert_int_equal(EVP_Digest(in, 8, h, &hl, EVP_sha256(), NULL), 1);
		n = len < 32 ? len : 32;
		memcpy(out, h, n);
		out += n;
		len -= n;
	}
	return 0;
}

/*
 * An EK public area for a fresh OpenSSL key: the template vector (RSA or
 * ECC EK) with its unique field replaced by the new key.
 */
static EVP_PKEY *make_ek(const char *template_hex, uint8_t *buf, size_t *len,
			 struct tpm_public *ek)
{
	struct tpm_public t;
	EVP_PKEY *pk;
	char err[256];

	*len = parse_ok(template_hex, buf, &t);
	if (t.type == TPM_ALG_RSA) {
		BIGNUM *n = NULL;

		pk = EVP_RSA_gen(t.rsa_bits);
		assert_non_null(pk);
		assert_true(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) == 1);
		assert_int_equal(BN_bn2binpad(n, buf + *len - t.rsa_bits / 8, t.rsa_bits / 8),
				 t.rsa_bits / 8);
		BN_free(n);
	} else {
		size_t n = tpm_public_ecc_size(t.ecc_curve);
		BIGNUM *x = NULL, *y = NULL;

		pk = EVP_EC_gen(ossl_curve(t.ecc_curve));
		assert_non_null(pk);
		assert_true(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1);
		assert_true(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1);
		assert_int_equal(BN_bn2binpad(x, buf + *len - 2 * n - 2, (int)n), (int)n);
		assert_int_equal(BN_bn2binpad(y, buf + *len - n, (int)n), (int)n);
		BN_free(x);
		BN_free(y);
	}
	assert_int_equal(tpm_public_parse(buf, *len, ek, err, sizeof(err)), TPM_PUBLIC_OK);
	return pk;
}

static void roundtrip(const char *template_hex, const char *ak_pub, int rounds)
{
	uint8_t ekbuf[BUF], akbuf[BUF], name[TPM_NAME_MAX_SIZE], blob[CREDBLOB_MAX_SIZE];
	uint8_t blob2[CREDBLOB_MAX_SIZE], cred[64];
	struct tpm_public ek, ak;
	struct test_rng rng = { .seed = 1, .fail_after = -1 };
	size_t eklen, nl, bl, bl2, cl;
	char err[256];
	EVP_PKEY *priv = make_ek(template_hex, ekbuf, &eklen, &ek);
	const uint8_t *id, *es;
	size_t idn, esn;

	parse_ok(ak_pub, akbuf, &ak);
	assert_int_equal(tpm_public_name(&ak, name, sizeof(name), &nl), TPM_PUBLIC_OK);
	for (int r = 0; r < rounds; r++) {
		const char *secret = "0123456789abcdefghijABCDEFGHIJ_+" + (r % 5);
		size_t sl = strlen(secret);

		if (sl > digest_size(ek.name_alg))
			sl = digest_size(ek.name_alg);
		rng.seed = (uint32_t)r + 1;
		assert_int_equal(make_credential(&ek, name, nl, (const uint8_t *)secret, sl, test_rng,
						 &rng, blob, sizeof(blob), &bl, err, sizeof(err)),
				 CREDENTIAL_OK);
		assert_string_equal(err, "");
		assert_int_equal(ossl_activate(priv, &ek, name, nl, blob, bl, cred, &cl), 0);
		assert_int_equal(cl, sl);
		assert_memory_equal(cred, secret, sl);

		/* The parser agrees with the layout. */
		assert_int_equal(credblob_parse(blob, bl, &id, &idn, &es, &esn, err, sizeof(err)),
				 CREDENTIAL_OK);
		assert_ptr_equal(id, blob + 8);
		assert_int_equal(idn, 2 + 2 + digest_size(ek.name_alg) + 2 + sl);
		assert_ptr_equal(es, blob + 8 + idn);
		assert_int_equal(8 + idn + esn, bl);

		/* Bound to the AK Name: another Name fails the integrity check. */
		name[nl - 1] ^= 1;
		assert_int_equal(ossl_activate(priv, &ek, name, nl, blob, bl, cred, &cl), -1);
		name[nl - 1] ^= 1;
		/* Any flipped bit in the HMAC or encIdentity is caught. */
		for (size_t i = 12; i < 8 + idn; i += 7) {
			blob[i] ^= 0x20;
			assert_int_equal(ossl_activate(priv, &ek, name, nl, blob, bl, cred, &cl), -1);
			blob[i] ^= 0x20;
		}
		/* Same inputs, other randomness: another blob that opens the same. */
		rng.seed += 1000;
		assert_int_equal(make_credential(&ek, name, nl, (const uint8_t *)secret, sl, test_rng,
						 &rng, blob2, sizeof(blob2), &bl2, err, sizeof(err)),
				 CREDENTIAL_OK);
		assert_int_equal(bl2, bl);
		assert_memory_not_equal(blob2 + 10, blob + 10, bl - 10);
		assert_int_equal(ossl_activate(priv, &ek, name, nl, blob2, bl2, cred, &cl), 0);
	}
	EVP_PKEY_free(priv);
}

static void test_make_credential_rsa2048(void **state)
{
	(void)state;
	roundtrip(EK_RSA_PUB, AK_ECC_PUB, 4);
	roundtrip(EK_RSA_PUB, AK_RSA_PUB, 1);
}

static void test_make_credential_ecc_p256(void **state)
{
	(void)state;
	roundtrip(EK_ECC_PUB, AK_ECC_PUB, 8);
	roundtrip(EK_ECC_PUB, AK_RSA_PUB, 1);
}

static void test_make_credential_high_range(void **state)
{
	(void)state;
	roundtrip(EK_ECC384_PUB, AK_ECC_PUB, 3); /* SHA-384, AES-256 */
	roundtrip(EK_ECC521_PUB, AK_ECC_PUB, 3); /* SHA-512, AES-256 */
	roundtrip(EK_RSA3072_PUB, AK_ECC_PUB, 1);
}

static void test_make_credential_refuses(void **state)
{
	uint8_t ekbuf[BUF], akbuf[BUF], name[TPM_NAME_MAX_SIZE], blob[CREDBLOB_MAX_SIZE];
	struct tpm_public ek, ak, bad;
	struct test_rng rng = { .seed = 7, .fail_after = -1 };
	size_t nl, bl = 99, need;
	char err[256];
	const uint8_t *s = (const uint8_t *)"0123456789abcdef0123456789abcdef";

	(void)state;
	parse_ok(EK_ECC_PUB, ekbuf, &ek);
	parse_ok(AK_ECC_PUB, akbuf, &ak);
	assert_int_equal(tpm_public_name(&ak, name, sizeof(name), &nl), TPM_PUBLIC_OK);
#define MC(e, n, nlen, sec, slen, cap) \
	make_credential(e, n, nlen, sec, slen, test_rng, &rng, blob, cap, &bl, err, sizeof(err))

	/* A signing key (the AK) is no EK; nor a key without AES-CFB or decrypt. */
	assert_int_equal(MC(&ak, name, nl, s, 32, sizeof(blob)), CREDENTIAL_E_EK);
	assert_non_null(strstr(err, "restricted decryption"));
	bad = ek;
	bad.sym_alg = TPM_ALG_NULL, bad.sym_bits = 0, bad.sym_mode = 0;
	assert_int_equal(MC(&bad, name, nl, s, 32, sizeof(blob)), CREDENTIAL_E_EK);
	bad = ek;
	bad.attributes &= ~TPMA_OBJECT_DECRYPT;
	assert_int_equal(MC(&bad, name, nl, s, 32, sizeof(blob)), CREDENTIAL_E_EK);
	bad = ek;
	bad.attributes &= ~TPMA_OBJECT_RESTRICTED;
	assert_int_equal(MC(&bad, name, nl, s, 32, sizeof(blob)), CREDENTIAL_E_EK);
	/* EK point off the curve. */
	bad = ek;
	bad.unique_y[3] ^= 1;
	assert_int_equal(MC(&bad, name, nl, s, 32, sizeof(blob)), CREDENTIAL_E_EK);
	assert_non_null(strstr(err, "MakeCredential: EK: (x, y) is not a point on curve 0x0003"));
	/* RSA EK with a short modulus. */
	parse_ok(EK_RSA_PUB, ekbuf, &bad);
	bad.unique_x[0] = 0;
	assert_int_equal(MC(&bad, name, nl, s, 32, sizeof(blob)), CREDENTIAL_E_EK);

	/* AK Names: short, long, unknown algorithm, digest of the wrong size. */
	assert_int_equal(MC(&ek, name, 0, s, 32, sizeof(blob)), CREDENTIAL_E_NAME);
	assert_int_equal(MC(&ek, name, 1, s, 32, sizeof(blob)), CREDENTIAL_E_NAME);
	assert_int_equal(MC(&ek, name, nl - 1, s, 32, sizeof(blob)), CREDENTIAL_E_NAME);
	name[1] = 0x04; /* SHA-1 id, 32-byte digest */
	assert_int_equal(MC(&ek, name, nl, s, 32, sizeof(blob)), CREDENTIAL_E_NAME);
	name[1] = 0x12;
	assert_int_equal(MC(&ek, name, nl, s, 32, sizeof(blob)), CREDENTIAL_E_NAME);
	name[1] = 0x0b;

	/* Secrets: empty, and longer than the SHA-256 digest. */
	assert_int_equal(MC(&ek, name, nl, s, 0, sizeof(blob)), CREDENTIAL_E_SECRET);
	assert_int_equal(MC(&ek, name, nl, s, 33, sizeof(blob)), CREDENTIAL_E_SECRET);

	/* Output one byte too small, then exactly right. */
	assert_int_equal(MC(&ek, name, nl, s, 32, sizeof(blob)), CREDENTIAL_OK);
	need = bl;
	assert_int_equal(need, 8 + 2 + 2 + 32 + 2 + 32 + 2 + 4 + 64);
	assert_int_equal(MC(&ek, name, nl, s, 32, need - 1), CREDENTIAL_E_ARG);
	assert_int_equal(bl, 0);
	assert_int_equal(MC(&ek, name, nl, s, 32, need), CREDENTIAL_OK);

	/* The generator failing, first call or later, is an error. */
	for (int k = 0; k < 3; k++) {
		rng.fail_after = k;
		assert_int_equal(MC(&ek, name, nl, s, 32, sizeof(blob)), CREDENTIAL_E_CRYPTO);
	}
	parse_ok(EK_RSA_PUB, ekbuf, &bad);
	for (int k = 0; k < 2; k++) {
		rng.fail_after = k;
		assert_int_equal(MC(&bad, name, nl, s, 32, sizeof(blob)), CREDENTIAL_E_CRYPTO);
	}
	rng.fail_after = -1;

	assert_int_equal(MC(NULL, name, nl, s, 32, sizeof(blob)), CREDENTIAL_E_ARG);
	assert_int_equal(MC(&ek, NULL, nl, s, 32, sizeof(blob)), CREDENTIAL_E_ARG);
	assert_int_equal(MC(&ek, name, nl, NULL, 32, sizeof(blob)), CREDENTIAL_E_ARG);
	assert_int_equal(make_credential(&ek, name, nl, s, 32, NULL, NULL, blob, sizeof(blob), &bl,
					 err, sizeof(err)), CREDENTIAL_E_ARG);
#undef MC
}

/* ---- credential blob parser ------------------------------------------------- */

static void test_credblob_tpm2_tools_vector(void **state)
{
	uint8_t b[BUF];
	size_t len = unhex(TOOLS_ECC_BLOB, b, sizeof(b)), idn, esn;
	const uint8_t *id, *es;
	char err[256];

	(void)state;
	assert_int_equal(credblob_parse(b, len, &id, &idn, &es, &esn, err, sizeof(err)),
			 CREDENTIAL_OK);
	/* 8-byte header; ID object 0x44 bytes = TPM2B(32-byte HMAC) + 34; ECC point 0x44. */
	assert_ptr_equal(id, b + 8);
	assert_int_equal(idn, 2 + 0x44);
	assert_int_equal(be16(id + 2), 32);
	assert_ptr_equal(es, b + 8 + 2 + 0x44);
	assert_int_equal(esn, 2 + 0x44);
	assert_int_equal(be16(es + 2), 32); /* x size */
	assert_int_equal(be16(es + 4 + 32), 32); /* y size */
	assert_int_equal(len, 148);
	(void)TOOLS_SECRET;
}

static void test_credblob_malformed(void **state)
{
	uint8_t b[BUF], m[BUF];
	size_t len = unhex(TOOLS_ECC_BLOB, b, sizeof(b)), idn, esn;
	const uint8_t *id, *es;
	char err[256];

	(void)state;
#define CP(buf, n) credblob_parse(buf, n, &id, &idn, &es, &esn, err, sizeof(err))
	/* Every truncation and one trailing byte. */
	for (size_t cut = 0; cut < len; cut++) {
		int ret = CP(b, cut);

		assert_true(ret == CREDENTIAL_E_FORMAT || (cut < 8 && ret == CREDENTIAL_E_FORMAT));
		assert_null(id);
		assert_int_equal(idn, 0);
	}
	memcpy(m, b, len);
	m[len] = 0;
	assert_int_equal(CP(m, len + 1), CREDENTIAL_E_FORMAT);
	assert_non_null(strstr(err, "trailing"));
	/* Magic and version. */
	memcpy(m, b, len);
	m[3] ^= 1;
	assert_int_equal(CP(m, len), CREDENTIAL_E_MAGIC);
	memcpy(m, b, len);
	m[7] = 2;
	assert_int_equal(CP(m, len), CREDENTIAL_E_VERSION);
	memcpy(m, b, len);
	m[4] = 1;
	assert_int_equal(CP(m, len), CREDENTIAL_E_VERSION);
	/* HMAC size 0, 31 and more than the ID object. */
	memcpy(m, b, len);
	put16(m + 10, 0);
	assert_int_equal(CP(m, len), CREDENTIAL_E_FORMAT);
	put16(m + 10, 31);
	assert_int_equal(CP(m, len), CREDENTIAL_E_FORMAT);
	put16(m + 10, 0x43);
	assert_int_equal(CP(m, len), CREDENTIAL_E_FORMAT);
	/* HMAC 48 bytes leaves 18 for encIdentity: fine; 64 leaves 2: fine (empty credential). */
	put16(m + 10, 48);
	assert_int_equal(CP(m, len), CREDENTIAL_OK);
	put16(m + 10, 64);
	assert_int_equal(CP(m, len), CREDENTIAL_OK);
	/* ID object sizes: over 132, over the data, too small for its HMAC. */
	memcpy(m, b, len);
	put16(m + 8, 133);
	assert_int_equal(CP(m, len), CREDENTIAL_E_FORMAT);
	put16(m + 8, 0xffff);
	assert_int_equal(CP(m, len), CREDENTIAL_E_FORMAT);
	put16(m + 8, 1);
	assert_int_equal(CP(m, len), CREDENTIAL_E_FORMAT);
	/* encIdentity longer than a TPM2B_DIGEST: 32-byte HMAC + 67. */
	memset(m, 0, sizeof(m));
	memcpy(m, b, 10);
	put16(m + 8, 2 + 32 + 67);
	put16(m + 10, 32);
	put16(m + 10 + 2 + 32 + 67, 1);
	assert_int_equal(CP(m, 10 + 2 + 32 + 67 + 3), CREDENTIAL_E_FORMAT);
	assert_non_null(strstr(err, "encrypted identity"));
	put16(m + 8, 2 + 32 + 66);
	put16(m + 10 + 2 + 32 + 66, 2);
	assert_int_equal(CP(m, 10 + 2 + 32 + 66 + 4), CREDENTIAL_OK);
	/* Encrypted secret: empty, 513 bytes, past the end. */
	memcpy(m, b, len);
	put16(m + 10 + 0x44, 0);
	assert_int_equal(CP(m, 10 + 0x44 + 2), CREDENTIAL_E_FORMAT);
	memset(m + 12 + 0x44, 0, 513);
	put16(m + 10 + 0x44, 513);
	assert_int_equal(CP(m, 10 + 0x44 + 2 + 513), CREDENTIAL_E_FORMAT);
	put16(m + 10 + 0x44, 512);
	assert_int_equal(CP(m, 10 + 0x44 + 2 + 512), CREDENTIAL_OK);
	put16(m + 10 + 0x44, 0x45);
	assert_int_equal(CP(m, len), CREDENTIAL_E_FORMAT);
	/* Oversize input; NULL arguments. */
	assert_int_equal(CP(m, CREDBLOB_MAX_SIZE + 1), CREDENTIAL_E_FORMAT);
	assert_int_equal(CP(NULL, 12), CREDENTIAL_E_ARG);
	assert_int_equal(credblob_parse(b, len, NULL, &idn, &es, &esn, err, sizeof(err)),
			 CREDENTIAL_E_ARG);
#undef CP
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_match_tpm2_tools),
		cmocka_unit_test(test_fields_rsa_ek),
		cmocka_unit_test(test_fields_ecc_ak),
		cmocka_unit_test(test_fields_rsa_ak),
		cmocka_unit_test(test_fields_high_range),
		cmocka_unit_test(test_to_pk_matches_openssl_der),
		cmocka_unit_test(test_to_pk_verifies_tpm_signatures),
		cmocka_unit_test(test_to_pk_bad_keys),
		cmocka_unit_test(test_parse_every_truncation_fails),
		cmocka_unit_test(test_parse_trailing_and_prefix),
		cmocka_unit_test(test_parse_bad_fields),
		cmocka_unit_test(test_parse_ecc_kdf),
		cmocka_unit_test(test_kdfa_vectors),
		cmocka_unit_test(test_kdfe_vectors),
		cmocka_unit_test(test_make_credential_rsa2048),
		cmocka_unit_test(test_make_credential_ecc_p256),
		cmocka_unit_test(test_make_credential_high_range),
		cmocka_unit_test(test_make_credential_refuses),
		cmocka_unit_test(test_credblob_tpm2_tools_vector),
		cmocka_unit_test(test_credblob_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
