// The fast path (OpenSSL ECDH multiplications, PT multiples instead of a PWE point) against
// the plain formulas of IEEE 802.11-2020 §12.4.5 computed with generic multiplication
// (slow-path.fixture.ts): byte-identical commits, k, keys and confirms, for random inputs and
// for the edge scalars where the fast path takes another branch.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRandom } from '../testing/index.js';
import { ascii, hex } from '../crypto/hex.fixture.js';
import { commitFromRandAndMask, decodePeerCommit, encodeCommit, keyseedSalt, processPeerCommit, sharedSecret, type SaeOwnCommit } from './commit.js';
import { ownConfirm } from './confirm.js';
import { derivePt, h2ePweScalar, pweFromPt } from './h2e.js';
import { huntAndPeck } from './hunt-and-peck.js';
import { SaePasswordElement, h2ePwe, huntAndPeckPwe, pweElement, type SaePwe } from './password-element.js';
import { PweBase, ecdhX, uncompressedOctets } from './pwe-base.js';
import { GROUP_19, P256, encodeElement, encodeScalar, octetsToBigInt, type SaeElement } from './sae-group.js';
import { slowCommit, slowExchange } from './slow-path.fixture.js';
import { J10_H2E, PASSWORD, PASSWORD_ID, SSID } from './sae-vectors.fixture.js';

const r = GROUP_19.r;
const AP = hex('020000000100');
const STA = hex('020000000200');

/** x^-1 mod r (r is prime: x^(r-2)). */
function inverseModR(x: bigint): bigint {
  return P256.Fn.inv(x);
}

/** Both sides' view of one exchange, fast, and the AP's the plain way; asserts they agree. */
function assertSameAsSlow(apPwe: SaePwe, apPoint: SaeElement, staPwe: SaePwe, ap: { rand: bigint; mask: bigint }, sta: { rand: bigint; mask: bigint }, rejectedGroups?: number[]): void {
  const apOwn = commitFromRandAndMask(apPwe, ap.rand, ap.mask);
  const staOwn = commitFromRandAndMask(staPwe, sta.rand, sta.mask);
  const sent = encodeCommit(apOwn);
  const slow = slowExchange(apPoint, ap.rand, ap.mask, staOwn.scalar, staOwn.element, rejectedGroups && keyseedSalt(apPwe, rejectedGroups));
  assert.deepEqual(sent.scalar, slow.scalar, 'commit-scalar');
  assert.deepEqual(sent.element, slow.element, 'COMMIT-ELEMENT');
  const fromSta = encodeCommit(staOwn);
  const peer = decodePeerCommit(fromSta.scalar, fromSta.element);
  assert.ok(peer.ok);
  const keys = processPeerCommit(apOwn, peer.value, rejectedGroups);
  assert.ok(keys.ok && slow.keys, keys.ok ? 'slow path K is the identity' : keys.error.code);
  assert.deepEqual(sharedSecret(apOwn, peer.value), slow.keys.k, 'k');
  assert.deepEqual(keys.value.kck, slow.keys.kck, 'KCK');
  assert.deepEqual(keys.value.pmk, slow.keys.pmk, 'PMK');
  assert.deepEqual(keys.value.pmkid, slow.keys.pmkid, 'PMKID');
  assert.deepEqual(ownConfirm(keys.value, 1), slow.keys.confirm, 'Confirm');
}

const scalarArb = fc.bigInt({ min: 2n, max: r - 1n });
const sideArb = fc.record({ rand: scalarArb, mask: scalarArb }).filter(({ rand, mask }) => (rand + mask) % r >= 2n);
const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 });

void describe('PweBase.multiple: k * P from two ECDH x coordinates and the y recovery', () => {
  const P = P256.BASE.multiply(0x5ae5ae5ae5n);
  const base = new PweBase(P);
  const edges = [
    { desc: '1 (P itself, no ECDH)', k: 1n },
    { desc: '2', k: 2n },
    { desc: '3', k: 3n },
    { desc: '(r - 1) / 2 (then (k + 1) P = -k P: the same x twice)', k: (r - 1n) / 2n },
    { desc: '(r + 1) / 2', k: (r + 1n) / 2n },
    { desc: 'r - 2 ((k + 1) P = -P)', k: r - 2n },
    { desc: 'r - 1 (-P, no ECDH: k + 1 would be r)', k: r - 1n },
  ];
  for (const c of edges) {
    void it(`k = ${c.desc}: the generic multiplication's point`, () => {
      assert.ok(base.multiple(c.k).equals(P.multiply(c.k)));
    });
  }
  void it('random k: the generic multiplication\'s point', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: r - 1n }), (k) => base.multiple(k).equals(P.multiply(k))), { numRuns: 40 });
  });
  void it('throws RangeError for k = 0 and k = r, and for the identity as a base', () => {
    assert.throws(() => base.multiple(0n), RangeError);
    assert.throws(() => base.multiple(r), RangeError);
    assert.throws(() => new PweBase(P256.ZERO), RangeError);
  });
});

void describe('ecdhX (OpenSSL ECDH as x(k * P))', () => {
  void it('x(k * G) for a few k', () => {
    const g = uncompressedOctets(P256.BASE);
    for (const k of [1n, 2n, 12345n, r - 1n]) {
      assert.deepEqual(ecdhX(k, g), encodeElement(P256.BASE.multiply(k)).subarray(0, 32));
    }
  });
  void it('an x with leading zero octets comes back as 32 octets', () => {
    // Search a small k whose x(k * G) starts with a zero octet (about 1 in 256).
    let k = 2n;
    while (P256.BASE.multiply(k).x >= 1n << 248n) k++;
    const x = ecdhX(k, uncompressedOctets(P256.BASE));
    assert.equal(x?.length, 32);
    assert.equal(x?.[0], 0);
  });
  void it('the point at infinity (encoded 00) is refused by OpenSSL: undefined, not a throw', () => {
    assert.equal(ecdhX(5n, Uint8Array.of(0)), undefined);
  });
  void it('throws RangeError for k = 0 and k = r (not a private key)', () => {
    const g = uncompressedOctets(P256.BASE);
    assert.throws(() => ecdhX(0n, g), RangeError);
    assert.throws(() => ecdhX(r, g), RangeError);
  });
});

void describe('fast path = plain formulas, H2E (random passwords, addresses, rand and mask)', () => {
  void it('same password: commits, k, KCK, PMK, PMKID and Confirm byte for byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), macArb, macArb, sideArb, sideArb, (password, macA, macB, ap, sta) => {
        const pt = SaePasswordElement.derive(SSID, password);
        assertSameAsSlow(h2ePwe(pt, macA, macB), pweFromPt(derivePt(SSID, password), macA, macB), h2ePwe(pt, macB, macA), ap, sta);
      }),
      { numRuns: 8 },
    );
  });
  void it('the peer with another password: still the same octets on the AP side', () => {
    fc.assert(
      fc.property(sideArb, sideArb, (ap, sta) => {
        const apPwe = h2ePwe(SaePasswordElement.derive(SSID, PASSWORD), AP, STA);
        const staPwe = h2ePwe(SaePasswordElement.derive(SSID, ascii('another password')), STA, AP);
        assertSameAsSlow(apPwe, pweFromPt(derivePt(SSID, PASSWORD), AP, STA), staPwe, ap, sta);
      }),
      { numRuns: 4 },
    );
  });
  void it('with rejected groups salting keyseed', () => {
    const pt = SaePasswordElement.derive(SSID, PASSWORD, PASSWORD_ID);
    const point = pweFromPt(derivePt(SSID, PASSWORD, PASSWORD_ID), AP, STA);
    assertSameAsSlow(h2ePwe(pt, AP, STA), point, h2ePwe(pt, STA, AP), { rand: 1000n, mask: 2000n }, { rand: 3000n, mask: 4000n }, [20, 21]);
  });
});

void describe('fast path = plain formulas, hunting-and-pecking', () => {
  void it('same password: commits, k, KCK, PMK, PMKID and Confirm byte for byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), macArb, macArb, sideArb, sideArb, (password, macA, macB, ap, sta) => {
        const point = huntAndPeck({ password, mac1: macA, mac2: macB, random: seededRandom('slow') });
        assert.ok(point);
        const random = seededRandom('fast');
        assertSameAsSlow(huntAndPeckPwe(password, macA, macB, undefined, random), point, huntAndPeckPwe(password, macB, macA, undefined, random), ap, sta);
      }),
      { numRuns: 6 },
    );
  });
});

void describe('fast path edge cases', () => {
  const pt = SaePasswordElement.derive(SSID, PASSWORD, PASSWORD_ID);
  const pwe = h2ePwe(pt, J10_H2E.staA, J10_H2E.staB);
  const point = pweFromPt(pt.pt, J10_H2E.staA, J10_H2E.staB);
  const val = h2ePweScalar(J10_H2E.staA, J10_H2E.staB);
  const valInverse = inverseModR(val);

  void it('the H2E PWE as a multiple of PT is Annex J.10\'s PWE', () => {
    const e = pweElement(pwe);
    assert.equal(e.x, octetsToBigInt(J10_H2E.pweX));
    assert.equal(e.y, octetsToBigInt(J10_H2E.pweY));
  });

  void it('mask = 1 / val: mask * val = 1, COMMIT-ELEMENT = -PT, same as the plain way', () => {
    const own = commitFromRandAndMask(pwe, 5n, valInverse);
    assert.ok(own.element.equals(pt.pt.negate()));
    assert.deepEqual(encodeCommit(own), slowCommit(point, 5n, valInverse));
  });
  void it('mask = -1 / val: mask * val = r - 1, COMMIT-ELEMENT = PT, same as the plain way', () => {
    const own = commitFromRandAndMask(pwe, 5n, r - valInverse);
    assert.ok(own.element.equals(pt.pt));
    assert.deepEqual(encodeCommit(own), slowCommit(point, 5n, r - valInverse));
  });

  const rand = 0x1234567n;
  const mask = 0x7654321n;
  const own: SaeOwnCommit = commitFromRandAndMask(pwe, rand, mask);
  for (const c of [
    { desc: 'peer scalar 1 / val (peer-scalar * val = 1)', s: valInverse },
    { desc: 'peer scalar -1 / val (peer-scalar * val = r - 1)', s: r - valInverse },
    { desc: 'peer scalar r - 1', s: r - 1n },
    { desc: 'peer scalar 2', s: 2n },
  ]) {
    void it(`${c.desc}: K as the plain way`, () => {
      const element = P256.BASE.multiply(99n);
      const keys = processPeerCommit(own, { scalar: c.s, element });
      const slow = slowExchange(point, rand, mask, c.s, element);
      assert.ok(keys.ok && slow.keys);
      assert.deepEqual(keys.value.kck, slow.keys.kck);
      assert.deepEqual(keys.value.pmk, slow.keys.pmk);
    });
  }

  for (const c of [
    { desc: 'H2E, a random peer scalar', pwe, point, s: 0xabcdefn },
    { desc: 'H2E, peer scalar 1 / val (the sum is -PT + PT)', pwe, point, s: valInverse },
    { desc: 'H2E, peer scalar -1 / val (the sum is PT - PT)', pwe, point, s: r - valInverse },
  ]) {
    void it(`${c.desc}, PEER-ELEMENT = -(peer-scalar * PWE): the sum is the identity, 'k-infinity'`, () => {
      const mine = commitFromRandAndMask(c.pwe, 77n, 88n);
      const got = processPeerCommit(mine, { scalar: c.s, element: c.point.multiply(c.s).negate() });
      assert.ok(!got.ok);
      assert.equal(got.error.code, 'k-infinity');
    });
  }
  void it("hunting-and-pecking, peer scalar r - 1 and PEER-ELEMENT = PWE: the sum is the identity, 'k-infinity'", () => {
    const hp = huntAndPeckPwe(PASSWORD, AP, STA, undefined, seededRandom('hp'));
    const mine = commitFromRandAndMask(hp, 77n, 88n);
    const got = processPeerCommit(mine, { scalar: r - 1n, element: pweElement(hp) });
    assert.ok(!got.ok);
    assert.equal(got.error.code, 'k-infinity');
  });
});

void describe('keyseed salt with rejected groups (IEEE 802.11-2020 §12.4.5.4, H2E)', () => {
  const pt = SaePasswordElement.derive(SSID, PASSWORD);
  const apPwe = h2ePwe(pt, AP, STA);
  const ap = commitFromRandAndMask(apPwe, 11n, 22n);
  const sta = commitFromRandAndMask(h2ePwe(pt, STA, AP), 33n, 44n);
  const keys = (groups?: number[]) => {
    const got = processPeerCommit(ap, { scalar: sta.scalar, element: sta.element }, groups);
    assert.ok(got.ok);
    return got.value;
  };
  void it('the salt is the groups, 2 octets little-endian each, in order', () => {
    assert.deepEqual(keyseedSalt(apPwe, [20]), hex('1400'));
    assert.deepEqual(keyseedSalt(apPwe, [20, 21, 0x1234]), hex('1400', '1500', '3412'));
  });
  void it('no list and an empty list: 32 zero octets', () => {
    assert.deepEqual(keyseedSalt(apPwe, undefined), Buffer.alloc(32));
    assert.deepEqual(keyseedSalt(apPwe, []), Buffer.alloc(32));
    assert.deepEqual(keys([]).pmk, keys().pmk);
  });
  void it('rejected groups change KCK and PMK (not the PMKID), and the order matters', () => {
    assert.notDeepEqual(keys([20]).pmk, keys().pmk);
    assert.notDeepEqual(keys([20]).kck, keys().kck);
    assert.deepEqual(keys([20]).pmkid, keys().pmkid);
    assert.notDeepEqual(keys([20, 21]).pmk, keys([21, 20]).pmk);
  });
  void it('both sides agree when both pass the same list', () => {
    const a = keys([20]);
    const b = processPeerCommit(sta, { scalar: ap.scalar, element: ap.element }, [20]);
    assert.ok(b.ok);
    assert.deepEqual(a.pmk, b.value.pmk);
    assert.deepEqual(ownConfirm(a, 1).length, 32);
  });
  void it('throws RangeError with hunting-and-pecking, and for a group outside 0..65535', () => {
    const hp = huntAndPeckPwe(PASSWORD, AP, STA, undefined, seededRandom('hp'));
    const mine = commitFromRandAndMask(hp, 11n, 22n);
    assert.throws(() => processPeerCommit(mine, { scalar: sta.scalar, element: sta.element }, [20]), RangeError);
    assert.throws(() => keyseedSalt(apPwe, [0x10000]), RangeError);
    assert.throws(() => keyseedSalt(apPwe, [1.5]), RangeError);
  });
});

void describe('SaePasswordElement', () => {
  void it('derive gives PT of Annex J.10 (with the password identifier)', () => {
    const pt = SaePasswordElement.derive(SSID, PASSWORD, PASSWORD_ID).pt;
    assert.ok(pt.equals(derivePt(SSID, PASSWORD, PASSWORD_ID)));
    assert.equal(pt.x, octetsToBigInt(J10_H2E.ptX));
  });
  void it('h2ePwe does not depend on the order of the addresses', () => {
    const pt = SaePasswordElement.derive(SSID, PASSWORD);
    assert.equal(h2ePwe(pt, AP, STA).factor, h2ePwe(pt, STA, AP).factor);
  });
  void it('fromPt refuses the identity', () => {
    assert.throws(() => SaePasswordElement.fromPt(P256.ZERO), RangeError);
  });
  void it('huntAndPeckPwe without a random source gives the same PWE (randomness only blinds)', () => {
    const a = pweElement(huntAndPeckPwe(PASSWORD, AP, STA));
    const b = pweElement(huntAndPeckPwe(PASSWORD, STA, AP, undefined, seededRandom('b')));
    assert.ok(a.equals(b));
  });
  void it('encodeScalar of a commit made from an H2E PWE round-trips through decodePeerCommit', () => {
    const own = commitFromRandAndMask(h2ePwe(SaePasswordElement.derive(SSID, PASSWORD), AP, STA), 3n, 4n);
    const sent = encodeCommit(own);
    assert.deepEqual(sent.scalar, encodeScalar(7n));
    const peer = decodePeerCommit(sent.scalar, sent.element);
    assert.ok(peer.ok && peer.value.element.equals(own.element));
  });
});
