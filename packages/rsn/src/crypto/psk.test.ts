import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PskCache, passphraseProblem, pbkdf2Psk, pskFromHex, wipe } from './index.js';
import { ascii, hex } from './hex.fixture.js';

// IEEE 802.11 Annex J.4 (passphrase-to-PSK mapping). Expected values checked against two
// independent copies: hostap src/crypto/crypto_module_tests.c (passphrase_tests) and
// iwd unit/test-crypto.c (psk_test_case_1..3).
const pskVectors = [
  {
    desc: 'IEEE 802.11 Annex J.4 test 1: "password" / "IEEE"',
    passphrase: 'password',
    ssid: ascii('IEEE'),
    psk: hex(
      'f42c6fc5 2df0ebef 9ebb4b90 b38a5f90',
      '2e83fe1b 135a70e2 3aed762e 9710a12e',
    ),
  },
  {
    desc: 'IEEE 802.11 Annex J.4 test 2: "ThisIsAPassword" / "ThisIsASSID"',
    passphrase: 'ThisIsAPassword',
    ssid: ascii('ThisIsASSID'),
    psk: hex(
      '0dc0d6eb 90555ed6 419756b9 a15ec3e3',
      '209b63df 707dd508 d14581f8 982721af',
    ),
  },
  {
    desc: 'IEEE 802.11 Annex J.4 test 3: 32 x "a" / 32 x "Z"',
    passphrase: 'a'.repeat(32),
    ssid: ascii('Z'.repeat(32)),
    psk: hex(
      'becb9386 6bb8c383 2cb777c2 f559807c',
      '8c59afcb 6eae7348 85001300 a981cc62',
    ),
  },
  {
    desc: 'iwd unit/test-eapol.c eapol_4way_test: "EasilyGuessedPassword" / "TestWPA"',
    passphrase: 'EasilyGuessedPassword',
    ssid: ascii('TestWPA'),
    psk: hex(
      'bf9aa315 5300125e 7a5ebb2a 549f8cd4',
      'edab8ee1 2e94bfc2 4b3357ad 049665d9',
    ),
  },
];

void describe('pbkdf2Psk', () => {
  for (const v of pskVectors) {
    void it(v.desc, () => {
      assert.deepEqual(pbkdf2Psk(v.passphrase, v.ssid), v.psk);
    });
  }

  const invalid = [
    { desc: 'passphrase of 7 characters', passphrase: 'a'.repeat(7) },
    { desc: 'passphrase of 64 characters (that is a raw PSK, not a passphrase)', passphrase: 'a'.repeat(64) },
    { desc: 'empty passphrase', passphrase: '' },
    { desc: 'non-ASCII character', passphrase: 'pass\u00e9word' },
    { desc: 'control character (TAB)', passphrase: 'pass\tword' },
    { desc: 'DEL (0x7f)', passphrase: 'password\x7f' },
  ];
  for (const c of invalid) {
    void it(`throws RangeError: ${c.desc}`, () => {
      assert.throws(() => pbkdf2Psk(c.passphrase, ascii('IEEE')), RangeError);
    });
  }

  void it('accepts the boundary lengths 8 and 63 and the space character', () => {
    assert.equal(pbkdf2Psk('        ', ascii('IEEE')).length, 32);
    assert.equal(pbkdf2Psk('~'.repeat(63), ascii('IEEE')).length, 32);
  });
});

void describe('pskFromHex', () => {
  const cases = [
    {
      desc: 'lowercase 64 hex digits (Annex J.4 test 1 PSK)',
      input: 'f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e',
      want: pskVectors[0].psk,
    },
    {
      desc: 'uppercase 64 hex digits',
      input: 'F42C6FC52DF0EBEF9EBB4B90B38A5F902E83FE1B135A70E23AED762E9710A12E',
      want: pskVectors[0].psk,
    },
    { desc: '63 hex digits', input: 'f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12', want: undefined },
    { desc: '65 hex digits', input: 'f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e0', want: undefined },
    { desc: 'non-hex digit', input: 'g42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e', want: undefined },
    { desc: 'surrounding whitespace', input: ' f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e', want: undefined },
    { desc: 'empty string', input: '', want: undefined },
    { desc: 'a passphrase', input: 'password', want: undefined },
  ];
  for (const c of cases) {
    void it(c.desc, () => {
      assert.deepEqual(pskFromHex(c.input), c.want);
    });
  }
});

void describe('passphraseProblem (J.4.1 bounds; the value is never in the text)', () => {
  const expected = 'expected 8..63 printable ASCII characters or 64 hex digits';
  const cases: { desc: string; input: string; want: string | undefined }[] = [
    { desc: '8 characters, the shortest', input: 'password', want: undefined },
    { desc: '63 printable characters, the longest', input: '~'.repeat(63), want: undefined },
    { desc: 'spaces are printable', input: '        ', want: undefined },
    { desc: '64 hex digits: a raw PSK', input: 'F42C6FC52DF0EBEF9EBB4B90B38A5F902E83FE1B135A70E23AED762E9710A12E', want: undefined },
    { desc: 'empty', input: '', want: `${expected}, got 0 characters` },
    { desc: '7 characters', input: 'hunter2', want: `${expected}, got 7 characters` },
    { desc: '64 characters, not all hex', input: 'g'.repeat(64), want: `${expected}, got 64 characters that are not all hex digits` },
    { desc: '65 characters', input: 'a'.repeat(65), want: `${expected}, got 65 characters` },
    { desc: 'a TAB inside', input: 'pass\tword', want: `${expected}, got 9 characters including non-printable or non-ASCII ones` },
    { desc: 'non-ASCII (counted in characters, not UTF-16 units)', input: 'pässwörd😀', want: `${expected}, got 9 characters including non-printable or non-ASCII ones` },
  ];
  for (const c of cases) {
    void it(c.desc, () => {
      const got = passphraseProblem(c.input);
      assert.equal(got, c.want);
      if (got !== undefined && c.input.length >= 4) assert.ok(!got.includes(c.input), 'the value is not echoed');
    });
  }
});

void describe('PskCache', () => {
  const [v1, v2, v3] = pskVectors as [(typeof pskVectors)[0], (typeof pskVectors)[0], (typeof pskVectors)[0]];

  void it('derives a (SSID, passphrase) PSK once and serves repeats from the cache', () => {
    const cache = new PskCache();
    assert.deepEqual(cache.get(v1.ssid, v1.passphrase), v1.psk);
    assert.deepEqual(cache.get(v1.ssid, v1.passphrase), v1.psk);
    assert.deepEqual(cache.get(Buffer.from(v1.ssid), v1.passphrase), v1.psk);
    assert.equal(cache.computations, 1);
    assert.equal(cache.size, 1);
  });

  void it('keys on both SSID and passphrase', () => {
    const cache = new PskCache();
    assert.deepEqual(cache.get(v1.ssid, v1.passphrase), v1.psk);
    assert.deepEqual(cache.get(v2.ssid, v2.passphrase), v2.psk);
    assert.notDeepEqual(cache.get(v1.ssid, v2.passphrase), v1.psk);
    assert.equal(cache.computations, 3);
    assert.equal(cache.size, 3);
  });

  void it('returns a copy: wiping it leaves the cached PSK intact', () => {
    const cache = new PskCache();
    wipe(cache.get(v1.ssid, v1.passphrase));
    assert.deepEqual(cache.get(v1.ssid, v1.passphrase), v1.psk);
    assert.equal(cache.computations, 1);
  });

  void it('evicts the least recently used entry beyond maxEntries', () => {
    const cache = new PskCache({ maxEntries: 2 });
    cache.get(v1.ssid, v1.passphrase);
    cache.get(v2.ssid, v2.passphrase);
    cache.get(v1.ssid, v1.passphrase); // v1 is now the most recently used
    assert.deepEqual(cache.get(v3.ssid, v3.passphrase), v3.psk); // evicts v2
    assert.equal(cache.size, 2);
    assert.equal(cache.computations, 3);
    cache.get(v1.ssid, v1.passphrase); // still cached
    assert.equal(cache.computations, 3);
    assert.deepEqual(cache.get(v2.ssid, v2.passphrase), v2.psk); // derived again
    assert.equal(cache.computations, 4);
    assert.equal(cache.size, 2);
  });

  void it('clear() drops every entry', () => {
    const cache = new PskCache();
    cache.get(v1.ssid, v1.passphrase);
    cache.clear();
    assert.equal(cache.size, 0);
    assert.deepEqual(cache.get(v1.ssid, v1.passphrase), v1.psk);
    assert.equal(cache.computations, 2);
  });

  void it('rejects a non-positive or fractional maxEntries', () => {
    assert.throws(() => new PskCache({ maxEntries: 0 }), RangeError);
    assert.throws(() => new PskCache({ maxEntries: 1.5 }), RangeError);
  });

  void it('propagates RangeError for an invalid passphrase and caches nothing', () => {
    const cache = new PskCache();
    assert.throws(() => cache.get(v1.ssid, 'short'), RangeError);
    assert.equal(cache.size, 0);
    assert.equal(cache.computations, 0);
  });
});
