// SaeStation against an AP side scripted here on packages/rsn's SAE crypto and frame bodies
// (IEEE 802.11-2020 §12.4.8): the exchange end to end, a wrong password, the anti-clogging
// token round trip, group 20 refused with 77 and the retry with Rejected Groups.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sae } from '@airlock/rsn';
import { seededRandom } from '@airlock/rsn/testing';
import { SaeStation, type SaeFrame, type SaeStationOptions, type SaeStationResult } from './sae-station.js';

const AP_MAC = Buffer.from('020000000100', 'hex');
const STA_MAC = Buffer.from('020000000200', 'hex');
const SSID = Buffer.from('airlock-sae');
const PASSWORD = Buffer.from('correct horse battery staple');
const TOKEN = Buffer.alloc(32, 0x7e);
const Status = sae.SaeStatus;

type Pwe = 'h2e' | 'hunt-and-peck';

/** The AP's side of one exchange, scripted: what it answers and what it derived. */
class ScriptedAp {
  keys: sae.SaeKeys | undefined;
  /** The station's Confirm verified (undefined before one arrived). */
  verified: boolean | undefined;
  /** Rejected Groups of the last Commit processed. */
  rejectedGroups: number[] | undefined;
  /** Commits seen with an anti-clogging token. */
  tokensSeen: Buffer[] = [];
  /** Commit bodies received, as sent. */
  commits: Buffer[] = [];
  private readonly h2e: boolean;

  constructor(
    private readonly pwe: Pwe,
    private readonly password: Buffer,
    private readonly opts: { requireToken?: boolean; identifier?: Buffer } = {},
  ) {
    this.h2e = pwe === 'h2e';
  }

  receive(frame: SaeFrame): SaeFrame[] {
    return frame.transaction === 1 ? this.onCommit(frame) : this.onConfirm(frame);
  }

  private onCommit(frame: SaeFrame): SaeFrame[] {
    this.commits.push(frame.body);
    assert.equal(frame.status, this.h2e ? Status.SAE_HASH_TO_ELEMENT : Status.SUCCESS);
    const group = sae.readCommitGroup(frame.body);
    assert.ok(group.ok);
    if (group.value !== 19) return [{ transaction: 1, status: Status.UNSUPPORTED_FINITE_CYCLIC_GROUP, body: sae.encodeUnsupportedGroupBody(group.value) }];
    const tokenLength = this.opts.requireToken && !this.h2e ? TOKEN.length : undefined;
    const fields = sae.decodeCommitBody(frame.body, { h2e: this.h2e, tokenLength });
    if (this.opts.requireToken && (!fields.ok || fields.value.token === undefined || !fields.value.token.equals(TOKEN))) {
      return [{ transaction: 1, status: Status.ANTI_CLOGGING_TOKEN_REQUIRED, body: sae.encodeAntiCloggingRequest(19, TOKEN, this.h2e) }];
    }
    assert.ok(fields.ok, fields.ok ? '' : fields.error.detail);
    if (fields.value.token !== undefined) this.tokensSeen.push(fields.value.token);
    this.rejectedGroups = fields.value.rejectedGroups;
    const peer = sae.decodePeerCommit(fields.value.scalar, fields.value.element);
    assert.ok(peer.ok);
    const pwe = this.h2e
      ? sae.h2ePwe(sae.SaePasswordElement.derive(SSID, this.password, this.opts.identifier), AP_MAC, STA_MAC)
      : sae.huntAndPeckPwe(this.password, AP_MAC, STA_MAC, this.opts.identifier, seededRandom('ap-blinding'));
    const own = sae.generateCommit(pwe, seededRandom(`ap-${this.commits.length}`));
    const keys = sae.processPeerCommit(own, peer.value, this.h2e ? fields.value.rejectedGroups : undefined);
    assert.ok(keys.ok);
    this.keys = keys.value;
    const sent = sae.encodeCommit(own);
    const body = sae.encodeCommitBody({ group: 19, scalar: sent.scalar, element: sent.element }, this.h2e);
    return [{ transaction: 1, status: this.h2e ? Status.SAE_HASH_TO_ELEMENT : Status.SUCCESS, body }];
  }

  private onConfirm(frame: SaeFrame): SaeFrame[] {
    assert.ok(this.keys);
    const c = sae.decodeConfirmBody(frame.body);
    assert.ok(c.ok);
    this.verified = sae.verifyPeerConfirm(this.keys, c.value.sendConfirm, c.value.confirm);
    // hostapd discards a Confirm that does not verify: no answer.
    return this.verified ? [this.confirm()] : [];
  }

  /** The AP's Confirm (Send-Confirm 1), also when it would not send it. */
  confirm(): SaeFrame {
    assert.ok(this.keys);
    return { transaction: 2, status: Status.SUCCESS, body: sae.encodeConfirmBody(1, sae.ownConfirm(this.keys, 1)) };
  }
}

function station(pwe: Pwe, extra: Partial<SaeStationOptions> = {}): SaeStation {
  return new SaeStation({ ssid: SSID, password: PASSWORD, ownMac: STA_MAC, apMac: AP_MAC, pwe, random: seededRandom(`sta-${pwe}`), ...extra });
}

/** Frames back and forth until neither side has anything to send (at most 12 steps). */
function run(sta: SaeStation, ap: ScriptedAp): { results: SaeStationResult[]; toAp: SaeFrame[] } {
  const results: SaeStationResult[] = [];
  const toAp: SaeFrame[] = [sta.start()];
  let queue = [...toAp];
  for (let step = 0; step < 12 && queue.length > 0; step++) {
    const next: SaeFrame[] = [];
    for (const f of queue) {
      for (const answer of ap.receive(f)) {
        const r = sta.receive(answer);
        results.push(r);
        next.push(...r.send);
      }
    }
    toAp.push(...next);
    queue = next;
  }
  return { results, toAp };
}

function doneOf(results: SaeStationResult[]): { pmk: Buffer; pmkid: Buffer } {
  const done = results.find((r) => r.done)?.done;
  assert.ok(done, `no done in ${JSON.stringify(results.map((r) => r.failed ?? r.dropped ?? 'ok'))}`);
  return done;
}

for (const pwe of ['h2e', 'hunt-and-peck'] as const) {
  void describe(`SAE station against the AP side (${pwe})`, () => {
    void it('commit, commit, confirm, confirm: the same PMK and PMKID on both sides, state Accepted', () => {
      const ap = new ScriptedAp(pwe, PASSWORD);
      const sta = station(pwe);
      const { results, toAp } = run(sta, ap);
      const done = doneOf(results);
      assert.equal(ap.verified, true);
      assert.ok(ap.keys);
      assert.deepEqual(done.pmk, ap.keys.pmk);
      assert.deepEqual(done.pmkid, ap.keys.pmkid);
      assert.equal(sta.state, 'Accepted');
      assert.deepEqual(toAp.map((f) => [f.transaction, f.status]), [[1, pwe === 'h2e' ? 126 : 0], [2, 0]]);
    });

    void it('wrong password: the AP\'s verify fails and the station reports "confirm mismatch"', () => {
      const ap = new ScriptedAp(pwe, Buffer.from('not the password'));
      const sta = station(pwe);
      const { results } = run(sta, ap);
      assert.equal(ap.verified, false);
      assert.equal(sta.state, 'Confirmed');
      assert.ok(!results.some((r) => r.done || r.failed));
      // The AP sends no Confirm; had it sent one, the station would refuse it.
      const r = sta.receive(ap.confirm());
      assert.equal(r.failed, 'confirm mismatch');
      assert.equal(sta.state, 'Failed');
    });

    void it('status 76: the same Commit again with the token, then the exchange completes', () => {
      const ap = new ScriptedAp(pwe, PASSWORD, { requireToken: true });
      const sta = station(pwe);
      const { results, toAp } = run(sta, ap);
      doneOf(results);
      assert.deepEqual(ap.tokensSeen, [TOKEN]);
      assert.deepEqual(toAp.map((f) => f.transaction), [1, 1, 2]);
      // Same scalar and element: only the token was added (§12.4.8.6.4).
      const first = sae.decodeCommitBody(toAp[0].body, { h2e: pwe === 'h2e' });
      const second = sae.decodeCommitBody(toAp[1].body, { h2e: pwe === 'h2e', tokenLength: pwe === 'h2e' ? undefined : 32 });
      assert.ok(first.ok && second.ok);
      assert.deepEqual(second.value.scalar, first.value.scalar);
      assert.deepEqual(second.value.element, first.value.element);
      assert.deepEqual(second.value.token, TOKEN);
    });

    void it('status 123: failed, unknown password identifier', () => {
      const sta = station(pwe, { identifier: Buffer.from('guest') });
      sta.start();
      const r = sta.receive({ transaction: 1, status: Status.UNKNOWN_PASSWORD_IDENTIFIER, body: Buffer.alloc(0) });
      assert.equal(r.failed, 'unknown password identifier');
    });

    void it('a password identifier goes into the Commit and both sides agree', () => {
      const id = Buffer.from('guest');
      const ap = new ScriptedAp(pwe, PASSWORD, { identifier: id });
      const sta = station(pwe, { identifier: id });
      const { results, toAp } = run(sta, ap);
      doneOf(results);
      const commit = sae.decodeCommitBody(toAp[0].body, { h2e: pwe === 'h2e' });
      assert.ok(commit.ok);
      assert.deepEqual(commit.value.passwordIdentifier, id);
    });

    void it('status 77 when already on group 19: failed', () => {
      const sta = station(pwe);
      sta.start();
      const r = sta.receive({ transaction: 1, status: Status.UNSUPPORTED_FINITE_CYCLIC_GROUP, body: sae.encodeUnsupportedGroupBody(19) });
      assert.equal(r.failed, 'the AP does not support group 19');
    });
  });
}

void describe('group 20 refused (status 77), then group 19 with Rejected Groups (H2E)', () => {
  void it('the retry lists group 20 and both sides salt keyseed with it', () => {
    const ap = new ScriptedAp('h2e', PASSWORD);
    const sta = station('h2e', { group: 20 });
    const { results, toAp } = run(sta, ap);
    const done = doneOf(results);
    assert.deepEqual(toAp.map((f) => f.transaction), [1, 1, 2]);
    const groups = toAp.slice(0, 2).map((f) => sae.readCommitGroup(f.body));
    assert.deepEqual(groups, [{ ok: true, value: 20 }, { ok: true, value: 19 }]);
    assert.deepEqual(ap.rejectedGroups, [20]);
    assert.equal(ap.verified, true);
    assert.ok(ap.keys);
    assert.deepEqual(done.pmk, ap.keys.pmk);
  });
  void it('the salt matters: the AP deriving without the list gets another PMK and the Confirm fails', () => {
    const sta = station('h2e', { group: 20 });
    sta.start();
    const refused = sta.receive({ transaction: 1, status: Status.UNSUPPORTED_FINITE_CYCLIC_GROUP, body: sae.encodeUnsupportedGroupBody(20) });
    assert.equal(refused.send.length, 1);
    const fields = sae.decodeCommitBody(refused.send[0].body, { h2e: true });
    assert.ok(fields.ok);
    assert.deepEqual(fields.value.rejectedGroups, [20]);
    const peer = sae.decodePeerCommit(fields.value.scalar, fields.value.element);
    assert.ok(peer.ok);
    const own = sae.generateCommit(sae.h2ePwe(sae.SaePasswordElement.derive(SSID, PASSWORD), AP_MAC, STA_MAC), seededRandom('ap'));
    const withSalt = sae.processPeerCommit(own, peer.value, [20]);
    const withoutSalt = sae.processPeerCommit(own, peer.value);
    assert.ok(withSalt.ok && withoutSalt.ok);
    assert.notDeepEqual(withSalt.value.pmk, withoutSalt.value.pmk);
    const sent = sae.encodeCommit(own);
    const answer = sta.receive({ transaction: 1, status: Status.SAE_HASH_TO_ELEMENT, body: sae.encodeCommitBody({ group: 19, scalar: sent.scalar, element: sent.element }, true) });
    const confirm = sae.decodeConfirmBody(answer.send[0].body);
    assert.ok(confirm.ok);
    assert.equal(sae.verifyPeerConfirm(withSalt.value, 1, confirm.value.confirm), true);
    assert.equal(sae.verifyPeerConfirm(withoutSalt.value, 1, confirm.value.confirm), false);
  });
  void it('with hunting-and-pecking the retry is on group 19 without a Rejected Groups element', () => {
    const ap = new ScriptedAp('hunt-and-peck', PASSWORD);
    const sta = station('hunt-and-peck', { group: 20 });
    const { results, toAp } = run(sta, ap);
    doneOf(results);
    assert.equal(toAp.length, 3);
    assert.equal(ap.rejectedGroups, undefined);
  });
});

void describe('SAE station: frames that do not fit are dropped and change nothing', () => {
  const h2eCommit = (sta: SaeStation): { ap: ScriptedAp; apCommit: SaeFrame } => {
    const ap = new ScriptedAp('h2e', PASSWORD);
    const [apCommit] = ap.receive(sta.start());
    return { ap, apCommit };
  };
  void it('a truncated AP Commit, then the real one', () => {
    const sta = station('h2e');
    const { apCommit } = h2eCommit(sta);
    const r = sta.receive({ ...apCommit, body: apCommit.body.subarray(0, 50) });
    assert.ok(r.dropped);
    assert.equal(sta.state, 'Committed');
    assert.equal(sta.receive(apCommit).send.length, 1);
    assert.equal(sta.state, 'Confirmed');
  });
  void it('our own Commit reflected back', () => {
    const sta = station('h2e');
    const mine = sta.start();
    const r = sta.receive({ transaction: 1, status: Status.SAE_HASH_TO_ELEMENT, body: mine.body });
    assert.match(r.dropped ?? '', /reflected/);
    assert.equal(sta.state, 'Committed');
  });
  void it('an AP Commit with an element off the curve', () => {
    const sta = station('h2e');
    const { apCommit } = h2eCommit(sta);
    const body = Buffer.from(apCommit.body);
    body[2 + 32 + 63] ^= 1;
    assert.ok(sta.receive({ ...apCommit, body }).dropped);
    assert.equal(sta.state, 'Committed');
  });
  void it('a Confirm before the AP\'s Commit, and an unknown transaction number', () => {
    const sta = station('h2e');
    sta.start();
    assert.ok(sta.receive({ transaction: 2, status: 0, body: Buffer.alloc(34) }).dropped);
    assert.ok(sta.receive({ transaction: 3, status: 0, body: Buffer.alloc(0) }).dropped);
    assert.equal(sta.state, 'Committed');
  });
  void it('a retransmitted AP Commit in Confirmed gets our Confirm again with Send-Confirm 2', () => {
    const sta = station('h2e');
    const { ap, apCommit } = h2eCommit(sta);
    const first = sta.receive(apCommit);
    const again = sta.receive(apCommit);
    const c1 = sae.decodeConfirmBody(first.send[0].body);
    const c2 = sae.decodeConfirmBody(again.send[0].body);
    assert.ok(c1.ok && c2.ok);
    assert.equal(c1.value.sendConfirm, 1);
    assert.equal(c2.value.sendConfirm, 2);
    assert.ok(ap.keys && sae.verifyPeerConfirm(ap.keys, 2, c2.value.confirm));
  });
  void it('the AP\'s Commit with status 0 under H2E: failed (the two sides disagree on the PWE method)', () => {
    const sta = station('h2e');
    const { apCommit } = h2eCommit(sta);
    assert.match(sta.receive({ ...apCommit, status: 0 }).failed ?? '', /status 0/);
  });
  void it('after Accepted, frames are dropped', () => {
    const ap = new ScriptedAp('h2e', PASSWORD);
    const sta = station('h2e');
    run(sta, ap);
    assert.equal(sta.state, 'Accepted');
    assert.ok(sta.receive(ap.confirm()).dropped);
  });
  void it('start() twice throws', () => {
    const sta = station('h2e');
    sta.start();
    assert.throws(() => sta.start());
  });
});

void describe('many stations on one SaePasswordElement', () => {
  void it('each completes with its own PMK', () => {
    const passwordElement = sae.SaePasswordElement.derive(SSID, PASSWORD);
    const pmks = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const mac = Buffer.from([2, 0, 0, 0, 3, i]);
      const sta = new SaeStation({ ssid: SSID, password: PASSWORD, ownMac: mac, apMac: AP_MAC, pwe: 'h2e', random: seededRandom(`m${i}`), passwordElement });
      const apPwe = sae.h2ePwe(passwordElement, AP_MAC, mac);
      const own = sae.generateCommit(apPwe, seededRandom(`ap${i}`));
      const staCommit = sae.decodeCommitBody(sta.start().body, { h2e: true });
      assert.ok(staCommit.ok);
      const peer = sae.decodePeerCommit(staCommit.value.scalar, staCommit.value.element);
      assert.ok(peer.ok);
      const keys = sae.processPeerCommit(own, peer.value);
      assert.ok(keys.ok);
      const sent = sae.encodeCommit(own);
      sta.receive({ transaction: 1, status: 126, body: sae.encodeCommitBody({ group: 19, scalar: sent.scalar, element: sent.element }, true) });
      const r = sta.receive({ transaction: 2, status: 0, body: sae.encodeConfirmBody(1, sae.ownConfirm(keys.value, 1)) });
      assert.ok(r.done);
      assert.deepEqual(r.done.pmk, keys.value.pmk);
      pmks.add(r.done.pmk.toString('hex'));
    }
    assert.equal(pmks.size, 4);
  });
});
