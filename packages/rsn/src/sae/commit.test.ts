import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../testing/index.js';
import { ascii, hex } from '../crypto/hex.fixture.js';
import {
  commitFromRandAndMask,
  decodePeerCommit,
  encodeCommit,
  generateCommit,
  keyseedFrom,
  processPeerCommit,
  sharedSecret,
  type SaeOwnCommit,
  type SaePeerCommit,
} from './commit.js';
import { ownConfirm, verifyPeerConfirm } from './confirm.js';
import { huntAndPeckPwe, pweElement, type SaePwe } from './password-element.js';
import { GROUP_19, P256, octetsToBigInt } from './sae-group.js';
import { J10_LOOP, PASSWORD, PASSWORD_ID, REVMD_LOOP_WITH_ID } from './sae-vectors.fixture.js';

function pweFor(staA: Uint8Array, staB: Uint8Array, identifier?: Uint8Array): SaePwe {
  return huntAndPeckPwe(PASSWORD, staA, staB, identifier, seededRandom('pwe'));
}

function peerOf(scalar: Buffer, element: Buffer): SaePeerCommit {
  const peer = decodePeerCommit(scalar, element);
  assert.ok(peer.ok, peer.ok ? '' : peer.error.detail);
  return peer.value;
}

void describe('commit and keys (IEEE 802.11-2020 §12.4.5.3, §12.4.5.4), Annex J.10 vectors', () => {
  const v = J10_LOOP;
  const own = commitFromRandAndMask(pweFor(v.staA, v.staB), octetsToBigInt(v.rand), octetsToBigInt(v.mask));

  void it('commit-scalar = (rand + mask) mod r', () => {
    assert.deepEqual(encodeCommit(own).scalar, v.localScalar);
  });
  void it('COMMIT-ELEMENT = inverse(mask * PWE)', () => {
    assert.deepEqual(encodeCommit(own).element, v.localElement);
  });
  void it('KCK, PMK and PMKID from the peer commit', () => {
    const keys = processPeerCommit(own, peerOf(v.peerScalar, v.peerElement));
    assert.ok(keys.ok);
    assert.deepEqual(keys.value.kck, v.kck);
    assert.deepEqual(keys.value.pmk, v.pmk);
    assert.deepEqual(keys.value.pmkid, v.pmkid);
  });
  void it('the keys carry both commits as sent, for the confirms', () => {
    const keys = processPeerCommit(own, peerOf(v.peerScalar, v.peerElement));
    assert.ok(keys.ok);
    assert.deepEqual(keys.value.ownScalar, v.localScalar);
    assert.deepEqual(keys.value.ownElement, v.localElement);
    assert.deepEqual(keys.value.peerScalar, v.peerScalar);
    assert.deepEqual(keys.value.peerElement, v.peerElement);
  });
});

void describe('commit, keys and confirm, IEEE 802.11-18/1104r0 (REVmd/D2.1 Annex J.10) vectors', () => {
  const v = REVMD_LOOP_WITH_ID;
  const own = commitFromRandAndMask(pweFor(v.staA, v.staB, PASSWORD_ID), octetsToBigInt(v.rand), octetsToBigInt(v.mask));
  const peer = peerOf(v.peerScalar, v.peerElement);

  void it('commit-scalar and COMMIT-ELEMENT (PWE from password || identifier)', () => {
    assert.deepEqual(encodeCommit(own).scalar, v.localScalar);
    assert.deepEqual(encodeCommit(own).element, v.localElement);
  });
  void it('keyseed = HMAC-SHA-256(<0>32, k)', () => {
    const k = sharedSecret(own, peer);
    assert.ok(k);
    assert.deepEqual(keyseedFrom(k), v.keyseed);
  });
  void it('KCK, PMK and PMKID', () => {
    const keys = processPeerCommit(own, peer);
    assert.ok(keys.ok);
    assert.deepEqual(keys.value.kck, v.kck);
    assert.deepEqual(keys.value.pmk, v.pmk);
    assert.deepEqual(keys.value.pmkid, v.pmkid);
  });
  void it('our Confirm with Send-Confirm 1 (§12.4.5.5)', () => {
    const keys = processPeerCommit(own, peer);
    assert.ok(keys.ok);
    assert.deepEqual(v.localConfirm.subarray(0, 2), hex('0100'));
    assert.deepEqual(ownConfirm(keys.value, 1), v.localConfirm.subarray(2));
  });
  void it("the peer's Confirm with Send-Confirm 1 verifies (§12.4.5.6)", () => {
    const keys = processPeerCommit(own, peer);
    assert.ok(keys.ok);
    assert.equal(verifyPeerConfirm(keys.value, v.peerConfirm.readUInt16LE(0), v.peerConfirm.subarray(2)), true);
  });
  void it("the peer's Confirm does not verify under another Send-Confirm, nor one octet changed, nor truncated", () => {
    const keys = processPeerCommit(own, peer);
    assert.ok(keys.ok);
    const confirm = Buffer.from(v.peerConfirm.subarray(2));
    assert.equal(verifyPeerConfirm(keys.value, 2, confirm), false);
    assert.equal(verifyPeerConfirm(keys.value, 1, confirm.subarray(0, 31)), false);
    assert.equal(verifyPeerConfirm(keys.value, 0x10000, confirm), false);
    confirm[31] ^= 1;
    assert.equal(verifyPeerConfirm(keys.value, 1, confirm), false);
  });
  void it('our own Confirm is not accepted as the peer\'s (the order of the values differs)', () => {
    const keys = processPeerCommit(own, peer);
    assert.ok(keys.ok);
    assert.equal(verifyPeerConfirm(keys.value, 1, v.localConfirm.subarray(2)), false);
  });
});

void describe('decodePeerCommit (§12.4.5.4)', () => {
  const v = J10_LOOP;
  const cases = [
    { desc: 'scalar of 31 octets', scalar: v.peerScalar.subarray(1), element: v.peerElement, code: 'bad-length' },
    { desc: 'element of 63 octets', scalar: v.peerScalar, element: v.peerElement.subarray(1), code: 'bad-length' },
    { desc: 'scalar 0', scalar: Buffer.alloc(32), element: v.peerElement, code: 'invalid-scalar' },
    { desc: 'scalar 1', scalar: hex('00'.repeat(31) + '01'), element: v.peerElement, code: 'invalid-scalar' },
    { desc: 'scalar r', scalar: hex(GROUP_19.r.toString(16)), element: v.peerElement, code: 'invalid-scalar' },
    { desc: 'element off the curve', scalar: v.peerScalar, element: Buffer.concat([v.peerElement.subarray(0, 63), hex('00')]), code: 'invalid-element' },
    { desc: 'element all zero (the point at infinity)', scalar: v.peerScalar, element: Buffer.alloc(64), code: 'invalid-element' },
    { desc: 'element with x = p', scalar: v.peerScalar, element: Buffer.concat([hex(GROUP_19.p.toString(16)), v.peerElement.subarray(32)]), code: 'invalid-element' },
  ];
  for (const c of cases) {
    void it(`${c.desc} -> ${c.code}`, () => {
      const got = decodePeerCommit(c.scalar, c.element);
      assert.ok(!got.ok);
      assert.equal(got.error.code, c.code);
    });
  }
});

void describe('processPeerCommit refusals', () => {
  const pwe = pweFor(J10_LOOP.staA, J10_LOOP.staB);
  const own: SaeOwnCommit = generateCommit(pwe, seededRandom('own'));

  void it('a reflected commit (our scalar and element sent back) is refused', () => {
    const got = processPeerCommit(own, { scalar: own.scalar, element: own.element });
    assert.ok(!got.ok);
    assert.equal(got.error.code, 'reflection');
  });
  void it('a reflected commit decoded from our own octets is refused', () => {
    const sent = encodeCommit(own);
    const got = processPeerCommit(own, peerOf(sent.scalar, sent.element));
    assert.ok(!got.ok);
    assert.equal(got.error.code, 'reflection');
  });
  void it('our scalar with another element is not a reflection', () => {
    const got = processPeerCommit(own, { scalar: own.scalar, element: P256.BASE });
    assert.ok(got.ok);
  });
  void it('PEER-ELEMENT = -(peer-scalar * PWE) makes K the identity: refused', () => {
    const scalar = 12345n;
    const got = processPeerCommit(own, { scalar, element: pweElement(pwe).multiply(scalar).negate() });
    assert.ok(!got.ok);
    assert.equal(got.error.code, 'k-infinity');
  });
  void it('values that skipped decodePeerCommit are still checked', () => {
    const badScalar = processPeerCommit(own, { scalar: 1n, element: P256.BASE });
    assert.ok(!badScalar.ok);
    assert.equal(badScalar.error.code, 'invalid-scalar');
    const badElement = processPeerCommit(own, { scalar: 5n, element: P256.ZERO });
    assert.ok(!badElement.ok);
    assert.equal(badElement.error.code, 'invalid-element');
  });
});

void describe('generateCommit / commitFromRandAndMask (§12.4.5.3)', () => {
  const pwe = pweFor(J10_LOOP.staA, J10_LOOP.staB);
  void it('rand and mask in [2, r), scalar = (rand + mask) mod r, valid element', () => {
    for (const seed of ['a', 'b', 'c', 'd']) {
      const c = generateCommit(pwe, seededRandom(seed));
      assert.ok(c.rand >= 2n && c.rand < GROUP_19.r);
      assert.ok(c.scalar >= 2n && c.scalar < GROUP_19.r);
      assert.doesNotThrow(() => c.element.assertValidity());
    }
  });
  void it('two commits from different randomness differ', () => {
    const a = encodeCommit(generateCommit(pwe, seededRandom('one')));
    const b = encodeCommit(generateCommit(pwe, seededRandom('two')));
    assert.notDeepEqual(a.scalar, b.scalar);
  });
  void it('draws again when the scalar would be below 2 (rand + mask = r)', () => {
    const r = GROUP_19.r;
    const octets = (n: bigint): Buffer => hex(n.toString(16).padStart(64, '0'));
    // rand = 2, mask = r - 2: scalar 0; then rand = 3, mask = 4.
    const draws = [octets(2n), octets(r - 2n), octets(3n), octets(4n)];
    let i = 0;
    const c = generateCommit(pwe, () => draws[i++]);
    assert.equal(c.scalar, 7n);
  });
  void it('throws RangeError for rand or mask out of range, or a scalar below 2', () => {
    assert.throws(() => commitFromRandAndMask(pwe, 1n, 5n), RangeError);
    assert.throws(() => commitFromRandAndMask(pwe, 5n, GROUP_19.r), RangeError);
    assert.throws(() => commitFromRandAndMask(pwe, 2n, GROUP_19.r - 1n), RangeError);
  });
  void it('another password gives another PWE and so another element for the same rand and mask', () => {
    const other = huntAndPeckPwe(ascii('not the password'), J10_LOOP.staA, J10_LOOP.staB, undefined, seededRandom('x'));
    const a = commitFromRandAndMask(pwe, 10n, 20n);
    const b = commitFromRandAndMask(other, 10n, 20n);
    assert.equal(a.scalar, b.scalar);
    assert.ok(!a.element.equals(b.element));
  });
});
