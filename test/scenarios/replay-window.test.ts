/**
 * The EAPOL-Key Replay Counter window of the authenticator (IEEE 802.11-2020 §12.7.2;
 * architecture invariant 3): a msg 2/4 or msg 4/4 may carry any of the last 4 replay
 * counters sent to the station (hostapd's RSNA_MAX_EAPOL_RETRIES), so a slow station's
 * answer to an earlier transmission still counts; an older counter is a replay, dropped and
 * counted, and leaves the handshake where it was. Tested at the edge of the window.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Air, mac, type AirFrame } from './harness.js';

const BSSID = mac(0xb7, 1);
const SECOND = 1000;

const upKind = (kind: string) => (f: AirFrame) => f.dir === 'up' && f.info.kind === kind;

/** Every frame of the station that matches `match` is held in the air; the rest is delivered. */
function holdAll(air: Air, match: (f: AirFrame) => boolean): void {
  air.intercept = (f) => (match(f) ? 'hold' : 'deliver');
}

/** The held frame that carries `counter`. */
function heldWith(air: Air, counter: bigint): Air['held'][number] {
  const h = air.held.find((x) => x.frame.info.replayCounter === counter);
  assert.ok(h !== undefined, `a held frame with replay counter ${counter}`);
  return h;
}

/** The 'eapol' event that delivered `frame` to the core, and the effects of handling it. */
function handling(air: Air, frame: Buffer): ReturnType<Air['effectsOf']> {
  const ev = air.events('eapol').filter((e) => e.event.frame.equals(frame));
  assert.equal(ev.length, 1, 'the frame reached the core once');
  return air.effectsOf(ev[0].i);
}

void describe('replay counter window (4 counters)', () => {
  void it('msg 2/4 carrying the 5th oldest replay counter sent is dropped as a replay, the 4th oldest is accepted', async () => {
    // Five msg 1/4 transmissions, so that five counters exist: the window does not depend on
    // dot11RSNAConfigPairwiseUpdateCount (hostapd's neither).
    const air = new Air({ timing: { pairwiseUpdateCount: 5 } });
    air.addBss({ bssid: BSSID });
    const sta = mac(0x7a, 1);
    air.addStation({ mac: sta }, BSSID);
    holdAll(air, upKind('msg2/4'));
    air.associate(sta);
    air.run({ until: 4 * SECOND + 500 });
    const msg1 = air.transmissions(sta, 'msg1/4');
    assert.equal(msg1.length, 5, 'msg 1/4 sent 5 times');
    assert.equal(air.held.length, 5, 'the station answered each copy; every answer is held');
    assert.equal(air.core.station(sta)?.ptkState, 'PTKSTART');

    // The answer to the first copy: its counter is the 5th oldest sent, outside the window.
    const fifthOldest = heldWith(air, msg1[0].info.replayCounter);
    air.release(fifthOldest);
    air.runFor(10);
    const ignored = handling(air, fifthOldest.frame.frame);
    assert.deepEqual(ignored.filter((e) => e.type !== 'report'), [], 'nothing sent, installed or disconnected');
    const drops = ignored.flatMap((e) => (e.type === 'report' && e.report.kind === 'frame-dropped' ? [e.report] : []));
    assert.deepEqual(drops.map((r) => r.reason), ['replay']);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="replay"}'), 1);
    assert.equal(air.transmissions(sta, 'msg3/4').length, 0);
    assert.equal(air.core.station(sta)?.ptkState, 'PTKSTART', 'the replay left the handshake where it was');

    // The answer to the second copy: the 4th oldest counter sent, still in the window.
    const fourthOldest = heldWith(air, msg1[1].info.replayCounter);
    air.release(fourthOldest);
    air.run();
    const accepted = handling(air, fourthOldest.frame.frame);
    const msg3 = accepted.filter((e) => e.type === 'transmit-eapol');
    assert.equal(msg3.length, 1, 'msg 3/4 answers the msg 2/4 with the 4th oldest counter');
    const sent3 = air.transmissions(sta, 'msg3/4');
    assert.equal(sent3.length, 1);
    assert.ok(sent3[0].info.replayCounter > msg1[4].info.replayCounter, 'msg 3/4 takes a new counter');
    assert.equal(air.reports('joined').length, 1);
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="replay"}'), 1);
    assert.deepEqual(air.station(sta).disconnects, []);
    assert.deepEqual(air.violations, []);
  });

  void it('msg 4/4 carrying the 5th oldest replay counter sent is dropped as a replay, the 4th oldest is accepted', async () => {
    const air = new Air({ timing: { pairwiseUpdateCount: 5 } });
    air.addBss({ bssid: BSSID });
    const sta = mac(0x7a, 2);
    const st = air.addStation({ mac: sta }, BSSID);
    holdAll(air, upKind('msg4/4'));
    air.associate(sta);
    air.run({ until: 4 * SECOND + 500 });
    const msg1 = air.transmissions(sta, 'msg1/4');
    const msg3 = air.transmissions(sta, 'msg3/4');
    assert.equal(msg1.length, 1);
    assert.equal(msg3.length, 5, 'msg 3/4 sent 5 times');
    assert.equal(air.held.length, 5, 'the station answered each copy of msg 3/4; every answer is held');
    assert.equal(air.effects('install-pairwise-key').length, 0);

    // Counters sent so far: msg 1/4's, then the five of msg 3/4. The answer to the first
    // msg 3/4 carries the 5th oldest.
    const fifthOldest = heldWith(air, msg3[0].info.replayCounter);
    air.release(fifthOldest);
    air.runFor(10);
    const ignored = handling(air, fifthOldest.frame.frame);
    assert.deepEqual(ignored.filter((e) => e.type !== 'report'), [], 'nothing installed, sent or disconnected');
    assert.deepEqual(ignored.flatMap((e) => (e.type === 'report' && e.report.kind === 'frame-dropped' ? [e.report.reason] : [])), ['replay']);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="replay"}'), 1);
    assert.equal(air.core.station(sta)?.ptkState, 'PTKINITNEGOTIATING', 'the replay left the handshake where it was');

    const fourthOldest = heldWith(air, msg3[1].info.replayCounter);
    air.release(fourthOldest);
    air.run();
    const installs = handling(air, fourthOldest.frame.frame).filter((e) => e.type === 'install-pairwise-key');
    assert.equal(installs.length, 1, 'msg 4/4 with the 4th oldest counter installs the PTK');
    assert.ok(installs[0].key.equals(st.supplicant.ptk?.tk ?? Buffer.alloc(0)));
    assert.equal(air.reports('joined').length, 1);
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
    assert.deepEqual(air.station(sta).disconnects, []);
    assert.deepEqual(air.violations, []);
  });

  void it('slow station: msg 2/4 answering the first of 4 msg 1/4 transmissions completes the handshake', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x7a, 3);
    const st = air.addStation({ mac: sta }, BSSID);
    holdAll(air, upKind('msg2/4'));
    air.associate(sta);
    // The authenticator gives up 1000 ms after its 4th transmission (at 3000 ms).
    air.run({ until: 3 * SECOND + 500 });
    const msg1 = air.transmissions(sta, 'msg1/4');
    assert.equal(msg1.length, 4, 'msg 1/4 sent 4 times (dot11RSNAConfigPairwiseUpdateCount)');
    // Only the answer to the first copy ever arrives; the others are lost.
    const first = heldWith(air, msg1[0].info.replayCounter);
    air.intercept = undefined;
    air.release(first);
    air.held.length = 0;
    air.run();

    const answer = handling(air, first.frame.frame);
    assert.equal(answer.filter((e) => e.type === 'transmit-eapol').length, 1, 'msg 3/4 follows the slow msg 2/4');
    assert.equal(air.transmissions(sta, 'msg1/4').length, 4, 'no further msg 1/4');
    assert.equal(air.effects('install-pairwise-key', (e) => e.sta.equals(sta)).length, 1);
    assert.ok(air.radio(sta)?.tk?.equals(st.supplicant.ptk?.tk ?? Buffer.alloc(0)));
    assert.equal(air.radio(sta)?.portAuthorized, true);
    assert.equal(air.reports('joined').length, 1);
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="replay"}'), 0);
    assert.deepEqual(st.disconnects, []);
    assert.deepEqual(air.violations, []);
  });

  void it('slow station: msg 4/4 answering the first of 4 msg 3/4 transmissions completes the handshake', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x7a, 4);
    const st = air.addStation({ mac: sta }, BSSID);
    holdAll(air, upKind('msg4/4'));
    air.associate(sta);
    air.run({ until: 3 * SECOND + 500 });
    const msg3 = air.transmissions(sta, 'msg3/4');
    assert.equal(msg3.length, 4, 'msg 3/4 sent 4 times');
    const first = heldWith(air, msg3[0].info.replayCounter);
    air.intercept = undefined;
    air.release(first);
    air.held.length = 0;
    air.run();

    const installs = handling(air, first.frame.frame).filter((e) => e.type === 'install-pairwise-key');
    assert.equal(installs.length, 1, 'the slow msg 4/4 installs the PTK');
    assert.ok(installs[0].key.equals(st.supplicant.ptk?.tk ?? Buffer.alloc(0)));
    assert.equal(air.radio(sta)?.portAuthorized, true);
    assert.equal(air.reports('joined').length, 1);
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
    assert.deepEqual(st.disconnects, []);
    assert.deepEqual(air.violations, []);
  });
});
