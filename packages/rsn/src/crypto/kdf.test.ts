import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kdfSha256, prf } from './index.js';
import { ascii, hex } from './hex.fixture.js';

// IEEE 802.11 Annex J.3 PRF test vectors (PRF-512). Expected values checked against two
// independent copies: hostap src/crypto/crypto_module_tests.c (test_sha1: key0/data0/prf0
// .. key2/data2/prf2) and iwd unit/test-prf-sha1.c (test_case_1..3).
const prfVectors = [
  {
    desc: 'IEEE 802.11 Annex J.3 PRF test 1: key 0x0b x 20, "prefix", "Hi There"',
    key: hex('0b0b0b0b 0b0b0b0b 0b0b0b0b 0b0b0b0b 0b0b0b0b'),
    label: 'prefix',
    data: ascii('Hi There'),
    bits: 512,
    want: hex(
      'bcd4c650 b30b9684 951829e0 d75f9d54',
      'b862175e d9f00606 e17d8da3 5402ffee',
      '75df78c3 d31e0f88 9f012120 c0862beb',
      '67753e74 39ae242e db837369 8356cf5a',
    ),
  },
  {
    desc: 'IEEE 802.11 Annex J.3 PRF test 2: key "Jefe", "prefix", "what do ya want for nothing?"',
    key: ascii('Jefe'),
    label: 'prefix',
    data: ascii('what do ya want for nothing?'),
    bits: 512,
    want: hex(
      '51f4de5b 33f249ad f81aeb71 3a3c20f4',
      'fe631446 fabdfa58 244759ae 58ef9009',
      'a99abf4e ac2ca5fa 87e692c4 40eb4002',
      '3e7babb2 06d61de7 b92f4152 9092b8fc',
    ),
  },
  {
    desc: 'IEEE 802.11 Annex J.3 PRF test 3: key 0xaa x 20, "prefix", 0xdd x 50',
    key: hex('aaaaaaaa aaaaaaaa aaaaaaaa aaaaaaaa aaaaaaaa'),
    label: 'prefix',
    data: hex('dd'.repeat(50)),
    bits: 512,
    want: hex(
      'e1ac546e c4cb636f 9976487b e5c86be1',
      '7a0252ca 5d8d8df1 2cfb0473 525249ce',
      '9dd8d177 ead710bc 9b590547 239107ae',
      'f7b4abd4 3d87f0a6 8f1cbd9e 2b6f7607',
    ),
  },
];

void describe('prf (IEEE 802.11-2020 §12.7.1.2 PRF-n)', () => {
  for (const v of prfVectors) {
    void it(v.desc, () => {
      assert.deepEqual(prf(v.key, v.label, v.data, v.bits), v.want);
    });
  }

  // PRF-n blocks do not depend on n, so a shorter PRF is a prefix of PRF-512 (§12.7.1.2).
  for (const bits of [128, 192, 256, 384, 8]) {
    void it(`PRF-${bits} of Annex J.3 test 1 is the first ${bits / 8} octets of its PRF-512`, () => {
      const v = prfVectors[0];
      assert.deepEqual(prf(v.key, v.label, v.data, bits), v.want.subarray(0, bits / 8));
    });
  }

  const invalid = [
    { desc: 'zero bits', bits: 0 },
    { desc: 'not a multiple of 8', bits: 383 },
    { desc: 'negative', bits: -8 },
    { desc: 'not an integer', bits: 8.5 },
    { desc: 'beyond the 1-octet counter', bits: 256 * 160 + 8 },
  ];
  for (const c of invalid) {
    void it(`throws RangeError: ${c.desc}`, () => {
      assert.throws(() => prf(hex('00'), 'prefix', hex(''), c.bits), RangeError);
    });
  }
});

const kdfVectors = [
  {
    desc: 'iwd unit/test-kdf-sha256.c test case 1: key "abc", "KDF test", "data", 256 bits',
    key: ascii('abc'),
    label: 'KDF test',
    context: ascii('data'),
    bits: 256,
    want: hex(
      '9efd6eb0 2758cb73 70a86f8a 305375d4',
      '1f8f21c2 e47447f5 84f7d229 1143d4d4',
    ),
  },
  {
    // PTK derivation with a KDK: 384 + 256 = 640 bits, i.e. three SHA-256 blocks, truncated.
    desc: 'IEEE 802.11-2024 Annex J.13 (hostap src/common/common_module_tests.c pasn_test_no_pasn_auth): "Pairwise key expansion", 640 bits',
    key: hex(
      'def43e55 67e01ca6 649265f1 9a290eef',
      'f8bd888f 6c1d9cc9 d10f04bd 378f3cad',
    ),
    label: 'Pairwise key expansion',
    context: hex(
      '00904c01c107', // Min(AA, SPA) = SPA
      'c0ffd4a8dbc1', // Max(AA, SPA) = AA
      '404b012f fb43ed0f b43ea1f2 87c91f25 06d21b4a 92d74b5e a50c9433 50ce8671', // Min(ANonce, SNonce) = SNonce
      'be7a1ca2 84347b5b d67dbd2d fdb4d99f 1afae0b8 8ba18e00 8718417e 4b27ef5f', // Max(ANonce, SNonce) = ANonce
    ),
    bits: 640,
    want: hex(
      'cd7b9e75 55362df0 b6356848 4a8112f5', // KCK
      '99cad358 8da0f1e6 3fd19019 1039bb4b', // KEK
      '9e2e9377 e7532e73 7a1bc250 fe194a03', // TK (CCMP-128)
      '6c7fb97c eb55b01a cff00f07 0942bdf5 291feb4b ee38e036 5b25a250 bb2ac9ff', // KDK
    ),
  },
];

void describe('kdfSha256 (IEEE 802.11-2020 §12.7.1.7.2 KDF-SHA-256-Length)', () => {
  for (const v of kdfVectors) {
    void it(v.desc, () => {
      assert.deepEqual(kdfSha256(v.key, v.label, v.context, v.bits), v.want);
    });
  }

  const invalid = [
    { desc: 'zero bits', bits: 0 },
    { desc: 'not a multiple of 8', bits: 385 },
    { desc: 'beyond the 16-bit Length field', bits: 65536 },
  ];
  for (const c of invalid) {
    void it(`throws RangeError: ${c.desc}`, () => {
      assert.throws(() => kdfSha256(hex('00'), 'label', hex(''), c.bits), RangeError);
    });
  }
});
