/**
 * EAPOL-Key retransmissions and crossed frames, IEEE 802.11-2020 §12.7.6 and hostapd's
 * wpa_auth.c timers, on virtual time. DESIGN.md invariants 2, 3 and 7.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Air, keyFrameInfo, mac, type AirFrame, type Verdict } from './harness.js';

const BSSID = mac(0xb0, 1);

/** An interceptor that applies `verdict` to the n-th (0-based) frame matching `match`, and delivers the rest. */
function nth(match: (f: AirFrame) => boolean, n: number, verdict: Verdict): (f: AirFrame) => Verdict {
  let seen = 0;
  return (f) => (match(f) && seen++ === n ? verdict : 'deliver');
}

const down = (kind: string) => (f: AirFrame) => f.dir === 'down' && f.info.kind === kind;
const up = (kind: string) => (f: AirFrame) => f.dir === 'up' && f.info.kind === kind;

void describe('EAPOL-Key retransmissions', () => {
  void it('msg 1/4 lost, no TX status: retransmitted after 1000 ms with the same ANonce and a higher replay counter', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID, reportsTxStatus: false });
    const sta = mac(0x5a, 1);
    air.addStation({ mac: sta }, BSSID);
    air.intercept = nth(down('msg1/4'), 0, 'drop');
    air.now = 50;
    air.associate(sta);
    air.run();
    const msg1 = air.transmissions(sta, 'msg1/4');
    assert.equal(msg1.length, 2);
    assert.equal(msg1[0].t, 50);
    assert.equal(msg1[0].effect.ref, undefined, 'no TX status asked from an agent that does not report it');
    assert.equal(msg1[1].t, 50 + 1000, 'first timeout without TX status is 1000 ms');
    assert.ok(msg1[1].info.nonce.equals(msg1[0].info.nonce), 'a retransmitted msg 1/4 keeps its ANonce');
    assert.ok(msg1[1].info.replayCounter > msg1[0].info.replayCounter, 'a retransmission has a higher replay counter');
    const msg2 = air.events('eapol');
    assert.equal(msg2.length, 2, 'msg 2/4 and msg 4/4');
    assert.equal(air.reports('joined').length, 1);
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
    assert.deepEqual(air.violations, []);
  });

  void it('msg 1/4 lost, TX status reported: retransmitted 100 ms after the TX status', () => {
    const air = new Air({ txStatusDelayMs: 7 });
    air.addBss({ bssid: BSSID, reportsTxStatus: true });
    const sta = mac(0x5a, 2);
    air.addStation({ mac: sta }, BSSID);
    air.intercept = nth(down('msg1/4'), 0, 'drop');
    air.now = 50;
    air.associate(sta);
    air.run();
    const msg1 = air.transmissions(sta, 'msg1/4');
    assert.equal(msg1.length, 2);
    const ref = msg1[0].effect.ref;
    assert.ok(ref !== undefined, 'the first msg 1/4 asks for TX status');
    const status = air.events('tx-status').find((e) => e.event.ref === ref);
    assert.ok(status !== undefined);
    assert.equal(status.t, 57);
    assert.equal(msg1[1].t, status.t + 100, 'first timeout is 100 ms from the TX status');
    assert.ok(msg1[1].info.nonce.equals(msg1[0].info.nonce));
    assert.ok(msg1[1].info.replayCounter > msg1[0].info.replayCounter);
    assert.equal(air.reports('joined').length, 1);
    assert.deepEqual(air.violations, []);
  });

  void it('msg 1/4 lost and its TX status lost too: retransmitted after 1000 ms', () => {
    const air = new Air({ loseTxStatus: true });
    air.addBss({ bssid: BSSID, reportsTxStatus: true });
    const sta = mac(0x5a, 3);
    air.addStation({ mac: sta }, BSSID);
    air.intercept = nth(down('msg1/4'), 0, 'drop');
    air.associate(sta);
    air.run();
    const msg1 = air.transmissions(sta, 'msg1/4');
    assert.equal(msg1.length, 2);
    assert.ok(msg1[0].effect.ref !== undefined);
    assert.equal(msg1[1].t - msg1[0].t, 1000, 'without the awaited TX status the long timeout guards');
    assert.equal(air.reports('joined').length, 1);
  });

  void it('mute station: msg 1/4 sent 4 times (100 ms after TX status, then 1000 ms), then disconnect with reason 15', async () => {
    const air = new Air({ txStatusDelayMs: 5 });
    air.addBss({ bssid: BSSID, reportsTxStatus: true });
    const sta = mac(0x5a, 4);
    const st = air.addStation({ mac: sta, misbehave: { dropAll: true } }, BSSID);
    air.associate(sta);
    air.run();
    const msg1 = air.transmissions(sta, 'msg1/4');
    assert.deepEqual(msg1.map((x) => x.t), [0, 105, 1105, 2105]);
    assert.equal(new Set(msg1.map((x) => x.info.nonce.toString('hex'))).size, 1, 'one ANonce for all tries');
    for (let i = 1; i < msg1.length; i++) assert.ok(msg1[i].info.replayCounter > msg1[i - 1].info.replayCounter);
    const disc = air.effects('disconnect', (e) => e.sta.equals(sta));
    assert.equal(disc.length, 1);
    assert.equal(disc[0].effect.reason, 15);
    assert.equal(disc[0].t, 3105);
    assert.deepEqual(st.disconnects, [15]);
    assert.equal(await air.metric('airlock_handshakes_total{result="timeout"}'), 1);
    assert.equal(air.core.station(sta), undefined);
    assert.equal(air.core.nextDeadline(), undefined);
  });

  void it('msg 2/4 answering an older copy of msg 1/4 (the retransmission crossed the answer) is accepted', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 5);
    air.addStation({ mac: sta }, BSSID);
    air.intercept = nth(up('msg2/4'), 0, 'hold');
    air.associate(sta);
    // The first msg 2/4 is held in the air past the 1000 ms timeout: msg 1/4 goes out again.
    air.run({ until: 1000 });
    const msg1 = air.transmissions(sta, 'msg1/4');
    assert.equal(msg1.length, 2);
    assert.equal(air.held.length, 1);
    const old = air.held[0];
    assert.equal(old.frame.info.replayCounter, msg1[0].info.replayCounter);
    // Now the old answer arrives, ahead of the answer to the retransmission.
    air.release(old);
    air.run();

    const eapol = air.events('eapol');
    const first = eapol[0];
    assert.equal(first.event.frame.equals(old.frame.frame), true, 'the old msg 2/4 reaches the core first');
    const answer = air.effectsOf(first.i);
    const msg3 = answer.filter((e) => e.type === 'transmit-eapol');
    assert.equal(msg3.length, 1, 'the old msg 2/4 is accepted: msg 3/4 follows it');
    const msg3s = air.transmissions(sta, 'msg3/4');
    assert.equal(msg3s.length, 1);
    assert.ok(msg3s[0].info.nonce.equals(msg1[0].info.nonce));
    // The answer to the retransmission comes late and is a replay now.
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="replay"}'), 1);
    assert.equal(air.reports('joined').length, 1);
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
    assert.deepEqual(air.violations, []);
  });

  void it('msg 3/4 retransmitted, msg 4/4 carrying the earlier replay counter is accepted', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 6);
    const st = air.addStation({ mac: sta }, BSSID);
    // Hold the first msg 4/4; lose the retransmitted msg 3/4.
    const hold4 = nth(up('msg4/4'), 0, 'hold');
    const drop3 = nth(down('msg3/4'), 1, 'drop');
    air.intercept = (f) => {
      const a = hold4(f);
      const b = drop3(f);
      return a !== 'deliver' ? a : b;
    };
    air.associate(sta);
    air.run({ until: 1500 });
    const msg3 = air.transmissions(sta, 'msg3/4');
    assert.equal(msg3.length, 2, 'msg 3/4 retransmitted');
    assert.equal(msg3[1].t - msg3[0].t, 1000);
    assert.ok(msg3[1].info.replayCounter > msg3[0].info.replayCounter);
    assert.ok(msg3[1].info.nonce.equals(msg3[0].info.nonce));
    assert.equal(air.effects('install-pairwise-key').length, 0, 'no install without a valid msg 4/4');
    assert.equal(air.held.length, 1);
    const msg4 = air.held[0];
    assert.equal(msg4.frame.info.replayCounter, msg3[0].info.replayCounter, 'the held msg 4/4 answers the first msg 3/4');
    air.release(msg4);
    air.run();
    const installs = air.effects('install-pairwise-key', (e) => e.sta.equals(sta));
    assert.equal(installs.length, 1, 'msg 4/4 with the earlier replay counter accepted');
    const cause = air.causeOf(installs[0].i);
    assert.ok(cause.kind === 'event' && cause.event.type === 'eapol' && cause.event.frame.equals(msg4.frame.frame));
    assert.ok(installs[0].effect.key.equals(st.supplicant.ptk?.tk ?? Buffer.alloc(0)));
    assert.equal(air.reports('joined').length, 1);
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
    assert.deepEqual(air.violations, []);
  });

  void it('every frame duplicated in the air: one handshake, the extra copies dropped as replays on both sides', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 7);
    const st = air.addStation({ mac: sta }, BSSID);
    air.intercept = () => 'duplicate';
    air.associate(sta);
    air.run();
    assert.deepEqual(air.transmissions(sta).map((x) => x.info.kind), ['msg1/4', 'msg3/4'], 'no retransmission, no restart');
    assert.equal(air.effects('install-pairwise-key').length, 1);
    assert.ok(air.effects('install-pairwise-key')[0].effect.key.equals(st.supplicant.ptk?.tk ?? Buffer.alloc(0)));
    assert.equal(air.reports('joined').length, 1);
    // Two msg 1/4 copies answered twice each (4 msg 2/4), 2 msg 4/4: all but one of each are replays.
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="replay"}'), 3 + 1);
    assert.equal(st.log.filter((l) => l.effect.type === 'dropped' && l.effect.reason === 'replay').length, 1, 'the station drops the second msg 3/4');
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
    assert.deepEqual(air.violations, []);
  });

  void it('msg 1/4 reordered behind its retransmission: the station answers the newer copy and drops the late one as a replay', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 8);
    const st = air.addStation({ mac: sta }, BSSID);
    // The first msg 1/4 copy is slow to reach the station (1500 ms): the retransmission overtakes it.
    let n = 0;
    air.intercept = (f) => (f.dir === 'down' && f.info.kind === 'msg1/4' && n++ === 0 ? { delayMs: 1500 } : 'deliver');
    air.associate(sta);
    air.run();
    const msg1 = air.transmissions(sta, 'msg1/4');
    assert.equal(msg1.length, 2);
    const msg2 = air.events('eapol').filter((e) => keyFrameInfo(e.event.frame).kind === 'msg2/4');
    assert.equal(msg2.length, 1);
    assert.equal(keyFrameInfo(msg2[0].event.frame).replayCounter, msg1[1].info.replayCounter, 'msg 2/4 answers the retransmission');
    const late = st.log.filter((l) => l.effect.type === 'dropped' && l.effect.reason === 'replay');
    assert.equal(late.length, 1, 'the late msg 1/4 copy is a replay for the station');
    assert.equal(late[0].t, msg1[0].t + 1 + 1500);
    assert.equal(air.transmissions(sta, 'msg3/4').length, 1);
    assert.equal(air.reports('joined').length, 1);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="replay"}'), 0);
    assert.deepEqual(air.violations, []);
  });
});
