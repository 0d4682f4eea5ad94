import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ok, type Result } from '../result.js';
import { runCodecTables } from '../testing/index.js';
import { hex } from '../crypto/hex.fixture.js';
import {
  GROUP_19,
  P256,
  PRIME_OCTETS,
  bigIntToOctets,
  decodeElement,
  decodeScalar,
  encodeElement,
  encodeScalar,
  isValidElement,
  isValidScalar,
  octetsToBigInt,
  randomInRange,
} from './sae-group.js';
import { J10_LOOP } from './sae-vectors.fixture.js';

const P = 'ffffffff00000001000000000000000000000000ffffffffffffffffffffffff';
const R = 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551';
const R_MINUS_1 = 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550';
// The P-256 base point G (SEC 2 §2.4.2 / FIPS 186-4 D.1.2.3).
const GX = '6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296';
const GY = '4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5';

void describe('GROUP_19 (P-256 as SAE group 19)', () => {
  void it('p and r are the P-256 prime and order (FIPS 186-4 D.1.2.3)', () => {
    assert.equal(GROUP_19.p, BigInt('0x' + P));
    assert.equal(GROUP_19.r, BigInt('0x' + R));
    assert.equal(PRIME_OCTETS.toString('hex'), P);
  });
  void it('a = -3 and G satisfies y^2 = x^3 + ax + b', () => {
    const p = GROUP_19.p;
    assert.equal(GROUP_19.a, p - 3n);
    const x = BigInt('0x' + GX);
    const y = BigInt('0x' + GY);
    assert.equal((y * y) % p, (((x * x * x + GROUP_19.a * x + GROUP_19.b) % p) + p) % p);
  });
});

void describe('isValidScalar (1 < s < r)', () => {
  const cases = [
    { desc: '0', s: 0n, want: false },
    { desc: '1', s: 1n, want: false },
    { desc: '2', s: 2n, want: true },
    { desc: 'r - 1', s: GROUP_19.r - 1n, want: true },
    { desc: 'r', s: GROUP_19.r, want: false },
    { desc: 'r + 1', s: GROUP_19.r + 1n, want: false },
  ];
  for (const c of cases) void it(`${c.desc} -> ${c.want}`, () => assert.equal(isValidScalar(c.s), c.want));
});

runCodecTables<bigint>(
  { name: 'SAE scalar (IEEE 802.11-2020 §12.4.7.2, checked as §12.4.5.4)', decode: decodeScalar, encode: encodeScalar },
  {
    valid: [
      { desc: 'IEEE 802.11-2020 J.10 commit-scalar', hex: J10_LOOP.localScalar.toString('hex'), value: octetsToBigInt(J10_LOOP.localScalar) },
      { desc: 'IEEE 802.11-2020 J.10 peer-commit-scalar', hex: J10_LOOP.peerScalar.toString('hex'), value: octetsToBigInt(J10_LOOP.peerScalar) },
      { desc: '2, the smallest valid scalar, zero-padded', hex: '00'.repeat(31) + '02', value: 2n },
      { desc: 'r - 1, the largest valid scalar', hex: R_MINUS_1, value: GROUP_19.r - 1n },
    ],
    malformed: [
      { desc: 'empty', hex: '', code: 'bad-length' },
      { desc: 'one octet short', hex: R_MINUS_1.slice(2), code: 'bad-length' },
      { desc: 'one octet too many (no trailing octets)', hex: R_MINUS_1 + '00', code: 'bad-length' },
      { desc: '0', hex: '00'.repeat(32), code: 'invalid' },
      { desc: '1', hex: '00'.repeat(31) + '01', code: 'invalid' },
      { desc: 'r', hex: R, code: 'invalid' },
      { desc: '2^256 - 1', hex: 'ff'.repeat(32), code: 'invalid' },
    ],
    arbitrary: fc.bigInt({ min: 2n, max: GROUP_19.r - 1n }),
  },
);

/** Elements as plain coordinates, so the tables compare numbers, not library objects. */
interface Coordinates {
  x: bigint;
  y: bigint;
}
const elementCodec = {
  name: 'SAE element (IEEE 802.11-2020 §12.4.7.2, checked as §12.4.5.4)',
  decode(bytes: Uint8Array): Result<Coordinates> {
    const e = decodeElement(bytes);
    return e.ok ? ok({ x: e.value.x, y: e.value.y }) : e;
  },
  encode(c: Coordinates): Uint8Array {
    return encodeElement(P256.fromAffine(c));
  },
};
const G = { x: BigInt('0x' + GX), y: BigInt('0x' + GY) };
const j10Element = { x: octetsToBigInt(J10_LOOP.localElement.subarray(0, 32)), y: octetsToBigInt(J10_LOOP.localElement.subarray(32)) };
const minusG = { x: G.x, y: GROUP_19.p - G.y };

runCodecTables<Coordinates>(elementCodec, {
  valid: [
    { desc: 'IEEE 802.11-2020 J.10 COMMIT-ELEMENT', hex: J10_LOOP.localElement.toString('hex'), value: j10Element },
    { desc: 'the base point G', hex: [GX, GY], value: G },
    { desc: '-G (y = p - Gy)', hex: [GX, bigIntToOctets(minusG.y, 32).toString('hex')], value: minusG },
  ],
  malformed: [
    { desc: 'empty', hex: '', code: 'bad-length' },
    { desc: 'x only (a compressed-style half)', hex: GX, code: 'bad-length' },
    { desc: 'SEC 1 uncompressed form with its 04 prefix', hex: ['04', GX, GY], code: 'bad-length' },
    { desc: 'one octet short', hex: [GX, GY.slice(2)], code: 'bad-length' },
    { desc: 'all zero (the point at infinity has no encoding)', hex: '00'.repeat(64), code: 'invalid' },
    { desc: 'G with y + 1: not on the curve', hex: [GX, bigIntToOctets(G.y + 1n, 32).toString('hex')], code: 'invalid' },
    { desc: 'x = p', hex: [P, GY], code: 'invalid' },
    { desc: 'y = p', hex: [GX, P], code: 'invalid' },
    { desc: 'x and y all ones (>= p)', hex: 'ff'.repeat(64), code: 'invalid' },
  ],
  arbitrary: fc.bigInt({ min: 1n, max: GROUP_19.r - 1n }).map((k) => {
    const e = P256.BASE.multiply(k);
    return { x: e.x, y: e.y };
  }),
  numRuns: 100,
});

void describe('isValidElement', () => {
  void it('the point at infinity is not a valid element', () => assert.equal(isValidElement(P256.ZERO), false));
  void it('G is a valid element', () => assert.equal(isValidElement(P256.BASE), true));
  void it('encodeElement throws RangeError for the point at infinity', () => assert.throws(() => encodeElement(P256.ZERO), RangeError));
});

void describe('bigIntToOctets / octetsToBigInt', () => {
  void it('pads on the left and reads back', () => {
    assert.equal(bigIntToOctets(0x0102n, 4).toString('hex'), '00000102');
    assert.equal(octetsToBigInt(hex('00000102')), 0x0102n);
    assert.equal(octetsToBigInt(new Uint8Array(0)), 0n);
  });
  void it('throws RangeError when the integer does not fit or is negative', () => {
    assert.throws(() => bigIntToOctets(0x10000n, 2), RangeError);
    assert.throws(() => bigIntToOctets(-1n, 2), RangeError);
  });
});

void describe('randomInRange', () => {
  void it('keeps a draw in range and rejects those outside', () => {
    const draws = [hex('ff'.repeat(32)), hex('00'.repeat(31) + '01'), hex('00'.repeat(31) + '05')];
    let i = 0;
    assert.equal(randomInRange(() => draws[i++], 2n, GROUP_19.r), 5n);
    assert.equal(i, 3);
  });
  void it('throws when the source never gives a value in range', () => {
    assert.throws(() => randomInRange((n) => new Uint8Array(n), 2n, GROUP_19.r), /random source/);
  });
  void it('throws RangeError when the source returns the wrong length', () => {
    assert.throws(() => randomInRange((n) => new Uint8Array(n - 1), 2n, GROUP_19.r), RangeError);
  });
});
