// Two stations running this module against each other, each only seeing the other's octets:
// commit both ways, keys, confirm both ways (IEEE 802.11-2020 §12.4.5).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../testing/index.js';
import { ascii, hex } from '../crypto/hex.fixture.js';
import { sae } from '../index.js';

const AP = hex('020000000100');
const STA = hex('020000000200');
const SSID = ascii('airlock-sae');

type PweMethod = 'h2e' | 'hunt-and-peck';

/** One side: its PWE from its own copy of the password, and its commit. */
function station(method: PweMethod, password: string, own: Uint8Array, peer: Uint8Array, seed: string, identifier?: string) {
  const random = seededRandom(seed);
  const pw = ascii(password);
  const id = identifier === undefined ? undefined : ascii(identifier);
  const pwe = method === 'h2e' ? sae.h2ePwe(sae.SaePasswordElement.derive(SSID, pw, id), own, peer) : sae.huntAndPeckPwe(pw, own, peer, undefined, random);
  const commit = sae.generateCommit(pwe, random);
  return { commit, sent: sae.encodeCommit(commit) };
}

/** What one side makes of the other's commit octets. */
function receive(self: ReturnType<typeof station>, from: ReturnType<typeof station>) {
  const peer = sae.decodePeerCommit(from.sent.scalar, from.sent.element);
  assert.ok(peer.ok);
  const keys = sae.processPeerCommit(self.commit, peer.value);
  assert.ok(keys.ok, keys.ok ? '' : keys.error.code);
  return keys.value;
}

for (const method of ['h2e', 'hunt-and-peck'] as const) {
  void describe(`SAE exchange between two stations (${method})`, () => {
    void it('same password: the same KCK, PMK and PMKID on both sides, and both confirms verify', () => {
      const ap = station(method, 'correct horse', AP, STA, `${method}-ap`);
      const sta = station(method, 'correct horse', STA, AP, `${method}-sta`);
      const apKeys = receive(ap, sta);
      const staKeys = receive(sta, ap);
      assert.deepEqual(apKeys.kck, staKeys.kck);
      assert.deepEqual(apKeys.pmk, staKeys.pmk);
      assert.deepEqual(apKeys.pmkid, staKeys.pmkid);
      assert.equal(apKeys.pmk.length, 32);
      assert.equal(apKeys.pmkid.length, 16);

      const staConfirm = sae.ownConfirm(staKeys, 1);
      const apConfirm = sae.ownConfirm(apKeys, 1);
      assert.equal(staConfirm.length, sae.CONFIRM_LENGTH);
      assert.equal(sae.verifyPeerConfirm(apKeys, 1, staConfirm), true);
      assert.equal(sae.verifyPeerConfirm(staKeys, 1, apConfirm), true);
      // The two confirms differ: each covers its sender's values first.
      assert.notDeepEqual(staConfirm, apConfirm);
    });

    void it('a retransmitted confirm with a higher Send-Confirm verifies under that value only', () => {
      const ap = station(method, 'pw', AP, STA, `${method}-ap2`);
      const sta = station(method, 'pw', STA, AP, `${method}-sta2`);
      const apKeys = receive(ap, sta);
      const staKeys = receive(sta, ap);
      const second = sae.ownConfirm(staKeys, 2);
      assert.equal(sae.verifyPeerConfirm(apKeys, 2, second), true);
      assert.equal(sae.verifyPeerConfirm(apKeys, 1, second), false);
      assert.equal(sae.verifyPeerConfirm(apKeys, sae.SEND_CONFIRM_MAX, sae.ownConfirm(staKeys, sae.SEND_CONFIRM_MAX)), true);
    });

    void it('wrong password: the commits are accepted, the keys differ, and the confirm fails', () => {
      const ap = station(method, 'the right one', AP, STA, `${method}-ap3`);
      const sta = station(method, 'the wrong one', STA, AP, `${method}-sta3`);
      // Nothing in a commit shows the password: both commits are processed without complaint.
      const apKeys = receive(ap, sta);
      const staKeys = receive(sta, ap);
      assert.notDeepEqual(apKeys.pmk, staKeys.pmk);
      assert.notDeepEqual(apKeys.kck, staKeys.kck);
      // PMKID is the scalar sum: public, equal on both sides even so.
      assert.deepEqual(apKeys.pmkid, staKeys.pmkid);
      assert.equal(sae.verifyPeerConfirm(apKeys, 1, sae.ownConfirm(staKeys, 1)), false);
      assert.equal(sae.verifyPeerConfirm(staKeys, 1, sae.ownConfirm(apKeys, 1)), false);
    });

    void it('a reflected commit (the AP\'s own octets sent back) is refused', () => {
      const ap = station(method, 'pw', AP, STA, `${method}-ap4`);
      const peer = sae.decodePeerCommit(ap.sent.scalar, ap.sent.element);
      assert.ok(peer.ok);
      const got = sae.processPeerCommit(ap.commit, peer.value);
      assert.ok(!got.ok);
      assert.equal(got.error.code, 'reflection');
    });

    void it('a commit changed in flight (one octet of the element) is refused or fails at confirm', () => {
      const ap = station(method, 'pw', AP, STA, `${method}-ap5`);
      const sta = station(method, 'pw', STA, AP, `${method}-sta5`);
      const element = Buffer.from(sta.sent.element);
      element[63] ^= 1;
      const peer = sae.decodePeerCommit(sta.sent.scalar, element);
      // (x, y ^ 1) is on the curve only if y ^ 1 = p - y, which it is not here: refused.
      assert.ok(!peer.ok);
      assert.equal(peer.error.code, 'invalid-element');
      // A changed scalar decodes (any value in range) but the confirm fails.
      const scalar = Buffer.from(sta.sent.scalar);
      scalar[31] ^= 1;
      const changed = sae.decodePeerCommit(scalar, sta.sent.element);
      assert.ok(changed.ok);
      const apKeys = sae.processPeerCommit(ap.commit, changed.value);
      assert.ok(apKeys.ok);
      const staKeys = receive(sta, ap);
      assert.equal(sae.verifyPeerConfirm(apKeys.value, 1, sae.ownConfirm(staKeys, 1)), false);
    });
  });
}

void describe('SAE exchange with a password identifier (H2E)', () => {
  void it('same password and identifier: confirms verify', () => {
    const ap = station('h2e', 'pw', AP, STA, 'id-ap', 'guest');
    const sta = station('h2e', 'pw', STA, AP, 'id-sta', 'guest');
    const apKeys = receive(ap, sta);
    const staKeys = receive(sta, ap);
    assert.equal(sae.verifyPeerConfirm(apKeys, 1, sae.ownConfirm(staKeys, 1)), true);
  });
  void it('another identifier for the same password: the confirm fails', () => {
    const ap = station('h2e', 'pw', AP, STA, 'id-ap2', 'guest');
    const sta = station('h2e', 'pw', STA, AP, 'id-sta2', 'staff');
    const apKeys = receive(ap, sta);
    const staKeys = receive(sta, ap);
    assert.equal(sae.verifyPeerConfirm(apKeys, 1, sae.ownConfirm(staKeys, 1)), false);
  });
  void it('H2E and hunting-and-pecking with the same password do not interoperate', () => {
    const ap = station('h2e', 'pw', AP, STA, 'mix-ap');
    const sta = station('hunt-and-peck', 'pw', STA, AP, 'mix-sta');
    const apKeys = receive(ap, sta);
    const staKeys = receive(sta, ap);
    assert.equal(sae.verifyPeerConfirm(apKeys, 1, sae.ownConfirm(staKeys, 1)), false);
  });
});
