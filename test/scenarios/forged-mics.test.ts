/**
 * Forged MICs in the station's last message of each handshake, IEEE 802.11-2020 §12.7.6.5
 * (msg 4/4) and §12.7.7.3 (group msg 2/2): the Authenticator verifies the MIC with the
 * station's KCK before it acts on the frame (hostapd's wpa_receive(): "received EAPOL-Key
 * with invalid MIC"). A frame that fails is dropped and counted (CONVENTIONS.md point 6), so
 * the machine waits, retransmits and finally disconnects as for a lost answer: reason 15
 * (4-way handshake timeout) or 16 (group key handshake timeout).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { calculateEapolKeyMic, EAPOL_KEY_MIC_OFFSET, zeroedMicCopy, type Transition } from '@airlock/rsn';
import { Air, mac, type AirFrame } from './harness.js';

const BSSID = mac(0xb0, 1);

/** What a frame the station sent needs to be checked against its own KCK later. */
interface Sent {
  frame: Buffer;
  kck: Buffer;
}

/**
 * Asserts that `s.frame` is a frame the station MIC'd with its KCK and then forged: its MIC
 * does not verify, and with the flipped bit restored it does (so the MIC is the only defect).
 */
function assertOnlyMicForged(s: Sent, what: string): void {
  const zeroed = zeroedMicCopy(s.frame);
  assert.ok(zeroed !== undefined, `${what}: has a MIC field`);
  const mic = s.frame.subarray(EAPOL_KEY_MIC_OFFSET, EAPOL_KEY_MIC_OFFSET + 16);
  const right = calculateEapolKeyMic(s.kck, zeroed, 2);
  assert.ok(!right.equals(mic), `${what}: its MIC does not verify`);
  const repaired = Buffer.from(mic);
  repaired[0] ^= 0x01;
  assert.ok(right.equals(repaired), `${what}: apart from the MIC it is the station's genuine frame`);
}

/** The kinds of the effects the core emitted for one input, reports by kind and reason. */
function effectKinds(air: Air, i: number): string[] {
  return air.effectsOf(i).map((e) => (e.type === 'report' ? `${e.report.kind}:${e.report.kind === 'frame-dropped' ? e.report.reason : ''}` : e.type));
}

void describe('forged MICs in msg 4/4 and group msg 2/2', () => {
  void it('forged msg 4/4 dropped as mic_failure: nothing installed, port closed, msg 3/4 sent 4 times, then disconnect reason 15', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 1);
    const st = air.addStation({ mac: sta, misbehave: { corruptMsg4Mic: true } }, BSSID);
    const sent: Sent[] = [];
    air.intercept = (f: AirFrame) => {
      if (f.dir === 'up' && f.info.kind === 'msg4/4') {
        const kck = st.supplicant.ptk?.kck;
        assert.ok(kck !== undefined, 'the station sends msg 4/4 with its PTK installed');
        sent.push({ frame: Buffer.from(f.frame), kck: Buffer.from(kck) });
      }
      return 'deliver';
    };
    air.associate(sta);
    air.run();

    const n = air.core.timing.pairwiseUpdateCount;
    const msg3 = air.transmissions(sta, 'msg3/4');
    assert.equal(msg3.length, n, `msg 3/4 sent ${n} times (dot11RSNAConfigPairwiseUpdateCount)`);
    for (let i = 1; i < msg3.length; i++) {
      assert.equal(msg3[i].t - msg3[i - 1].t, air.core.timing.subsequentTimeoutMs, `msg 3/4 #${i + 1} after the EAPOL-Key timeout`);
      assert.ok(msg3[i].info.replayCounter > msg3[i - 1].info.replayCounter, 'each retry has a new replay counter');
    }
    assert.equal(air.transmissions(sta, 'msg1/4').length, 1, 'msg 2/4 verified: the handshake never went back to msg 1/4');

    // The station answered every msg 3/4, each time with a msg 4/4 whose only defect is its MIC.
    assert.equal(sent.length, n);
    sent.forEach((s, i) => assertOnlyMicForged(s, `msg 4/4 #${i + 1}`));
    assert.ok(st.log.some((x) => x.effect.type === 'install-ptk'), 'the station itself installed its PTK');

    // Each forged msg 4/4 reached the core and only yielded a drop.
    const msg4Events = air.events('eapol').filter((e) => sent.some((s) => s.frame.equals(e.event.frame)));
    assert.equal(msg4Events.length, n);
    for (const e of msg4Events) assert.deepEqual(effectKinds(air, e.i), ['frame-dropped:mic_failure'], 'a forged msg 4/4 only yields a mic_failure drop');
    const drops = air.reports('frame-dropped').filter((r) => r.sta.equals(sta));
    assert.deepEqual(drops.map((r) => r.detail), Array.from({ length: n }, () => 'invalid MIC in msg 4/4'));
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="mic_failure"}'), n);

    // Nothing installed, the port never opened.
    assert.equal(air.effects('install-pairwise-key').length, 0, 'no InstallPairwiseKey');
    assert.equal(air.effects('set-port', (e) => e.authorized).length, 0, 'the port is never authorized');
    assert.equal(air.reports('joined').length, 0);
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 0);

    // In the end: deauthenticated with reason 15 after the last msg 3/4 timed out.
    const disc = air.effects('disconnect', (e) => e.sta.equals(sta));
    assert.equal(disc.length, 1);
    assert.equal(disc[0].effect.reason, 15, 'reason 15: 4-way handshake timeout');
    assert.equal(disc[0].t - msg3[n - 1].t, air.core.timing.subsequentTimeoutMs);
    assert.deepEqual(st.disconnects, [15]);
    // Every msg 4/4 came and failed its MIC: the handshake ends as mic_failure, as one whose
    // msg 2/4s all failed, not as a timeout (nothing went unanswered).
    assert.equal(await air.metric('airlock_handshakes_total{result="mic_failure"}'), 1);
    assert.equal(await air.metric('airlock_handshakes_total{result="timeout"}'), 0);
    const history = air.core.history(sta);
    assert.equal(history.length, 1);
    assert.equal(history[0].result, 'mic_failure');
    assert.equal(history[0].detail, `msg 3/4 sent ${n} times, every msg 4/4 failed its MIC`);
    assert.equal(history[0].msg3Sent, n);
    assert.equal(history[0].micFailures, n, 'every forged msg 4/4 counted as a MIC failure of the handshake');
    assert.equal(air.core.station(sta), undefined);
    assert.equal(air.core.nextDeadline(), undefined);
    assert.deepEqual(air.violations, []);
  });

  void it('forged group msg 2/2 dropped as mic_failure: group msg 1/2 sent 4 times, KEYERROR, disconnect reason 16; the rekey completes for the others', async () => {
    const transitions: Transition[] = [];
    const air = new Air({ core: { trace: (t) => transitions.push(t) } });
    air.addBss({ bssid: BSSID });
    const forger = mac(0x5a, 2);
    const honest = mac(0x5a, 3);
    const st = air.addStation({ mac: forger, misbehave: { corruptGroupMsg2Mic: true } }, BSSID);
    air.addStation({ mac: honest }, BSSID);
    air.associate(forger);
    air.associate(honest);
    air.run();
    assert.equal(air.reports('joined').length, 2, 'the 4-way handshake is not affected');

    const sent: Sent[] = [];
    air.intercept = (f: AirFrame) => {
      if (f.dir === 'up' && f.sta.equals(forger) && f.info.kind === 'group2/2') {
        const kck = st.supplicant.ptk?.kck;
        assert.ok(kck !== undefined);
        sent.push({ frame: Buffer.from(f.frame), kck: Buffer.from(kck) });
      }
      return 'deliver';
    };
    const start = air.timeline.length;
    const t0 = air.now;
    air.operator('rekeyGroup', (core, now) => core.rekeyGroup(BSSID, now));
    air.run();

    const n = air.core.timing.groupUpdateCount;
    const msg1 = air.transmissions(forger, 'group1/2').filter((x) => x.i >= start);
    assert.equal(msg1.length, n, `group msg 1/2 sent ${n} times (dot11RSNAConfigGroupUpdateCount)`);
    assert.equal(air.transmissions(honest, 'group1/2').filter((x) => x.i >= start).length, 1);

    assert.equal(sent.length, n, 'the station answered every group msg 1/2');
    sent.forEach((s, i) => assertOnlyMicForged(s, `group msg 2/2 #${i + 1}`));
    const msg2Events = air.events('eapol').filter((e) => sent.some((s) => s.frame.equals(e.event.frame)));
    assert.equal(msg2Events.length, n);
    for (const e of msg2Events) assert.deepEqual(effectKinds(air, e.i), ['frame-dropped:mic_failure'], 'a forged group msg 2/2 only yields a mic_failure drop');
    const drops = air.reports('frame-dropped').filter((r) => r.sta.equals(forger));
    assert.deepEqual(drops.map((r) => r.detail), Array.from({ length: n }, () => 'invalid MIC in group msg 2/2'));
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="mic_failure"}'), n);

    // The station's group key machine gives up: KEYERROR, then reason 16.
    const groupSteps = transitions.filter((t) => t.machine === 'PTK_GROUP' && t.sta?.equals(forger)).map((t) => t.to);
    assert.ok(groupSteps.includes('KEYERROR'), `group key machine of the forger: ${groupSteps.join(' -> ')}`);
    assert.ok(!groupSteps.includes('REKEYESTABLISHED'), 'a forged group msg 2/2 never completes the group key handshake');
    const keyError = transitions.filter((t) => t.machine === 'PTK_GROUP' && t.to === 'KEYERROR');
    assert.equal(keyError.length, 1, 'only the forger reaches KEYERROR');
    const disc = air.effects('disconnect');
    assert.equal(disc.length, 1, 'only the forger is disconnected');
    assert.ok(disc[0].effect.sta.equals(forger));
    assert.equal(disc[0].effect.reason, 16, 'reason 16: group key handshake timeout');
    assert.ok(disc[0].t - t0 > msg1[n - 1].t - t0, 'after the last group msg 1/2 timed out');
    assert.deepEqual(st.disconnects, [16]);
    const left = air.reports('station-left').filter((r) => r.sta.equals(forger));
    assert.equal(left.length, 1);
    assert.equal(left[0].reason, 16);
    assert.equal(left[0].initiator, 'authenticator');
    assert.equal(left[0].wasAuthorized, true);

    // The rekey goes on without it: the honest station holds the new GTK, which becomes the TX key.
    const installs = air.effects('install-group-key').filter((x) => x.i >= start);
    assert.deepEqual(installs.map((x) => x.effect.setTx), [false, true]);
    assert.ok(disc[0].i < installs[1].i, 'the TX switch waits for the forger to be dealt with');
    assert.ok(air.station(honest).supplicant.gtk?.gtk.equals(installs[0].effect.key));
    assert.equal(air.station(honest).disconnects.length, 0);
    assert.equal(air.core.station(forger), undefined);
    assert.equal(air.core.station(honest)?.portAuthorized, true);
    assert.deepEqual(air.violations, []);
  });
});
