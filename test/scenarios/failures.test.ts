/**
 * Failed and disturbed 4-way handshakes, IEEE 802.11-2020 §12.7.6 and hostapd's
 * wpa_receive() checks, on virtual time. DESIGN.md invariants 2, 3, 5, 7, 11 and
 * CONVENTIONS.md point 6 (bad frames are dropped, counted, and leave the state alone).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AKM, KeyInfo, encodeEapolKeyFrame, formatMac, newEapolKey } from '@airlock/rsn';
import { Air, mac, rsneFor, type AirFrame } from './harness.js';

const BSSID = mac(0xb0, 1);
const IFACE = mac(0xa0, 1);

/** A station's msg 2/4-shaped EAPOL-Key frame (bad MIC), to bend into malformed ones. */
function msg2Shaped(replayCounter: bigint): Buffer {
  return encodeEapolKeyFrame(
    newEapolKey({ keyInfo: 2 | KeyInfo.PAIRWISE | KeyInfo.MIC, replayCounter, nonce: Buffer.alloc(32, 0x11), keyData: rsneFor(AKM.PSK) }),
    1,
  );
}

void describe('4-way handshake failures', () => {
  void it('wrong passphrase: msg 1/4 sent 4 times, disconnect reason 15, counted as mic_failure, diagnosed "PSK mismatch"', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID, interfaceMac: IFACE, passphrases: ['correct horse battery staple'] });
    const sta = mac(0x5a, 1);
    const st = air.addStation({ mac: sta, passphrase: 'wrong horse battery staple' }, BSSID);
    const before = await air.metric('airlock_handshakes_total{result="mic_failure"}');
    air.associate(sta);
    air.run();

    const msg1 = air.transmissions(sta, 'msg1/4');
    assert.equal(msg1.length, 4, 'exactly 4 transmissions of msg 1/4 (dot11RSNAConfigPairwiseUpdateCount)');
    assert.deepEqual(msg1.map((x) => x.t), [0, 1000, 2000, 3000]);
    assert.equal(air.transmissions(sta, 'msg3/4').length, 0, 'an invalid MIC never advances the machine');
    assert.equal(air.effects('install-pairwise-key').length, 0);
    assert.equal(air.effects('set-port').length, 0);
    const disc = air.effects('disconnect', (e) => e.sta.equals(sta));
    assert.equal(disc.length, 1);
    assert.equal(disc[0].effect.reason, 15);
    assert.equal(disc[0].t, 4000);
    assert.deepEqual(st.disconnects, [15]);

    assert.equal(await air.metric('airlock_handshakes_total{result="mic_failure"}'), before + 1);
    assert.equal(await air.metric('airlock_handshakes_total{result="timeout"}'), 0);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="mic_failure"}'), 4, 'each msg 2/4 counted');
    assert.equal(await air.metric('airlock_mic_failure_diagnoses_total{cause="psk-mismatch"}'), 1, 'diagnosed once per handshake');

    const diag = air.reports('mic-failure-diagnosis');
    assert.equal(diag.length, 1);
    assert.equal(diag[0].diagnosis.cause, 'psk-mismatch');
    assert.match(diag[0].diagnosis.text, /PSK mismatch/);
    assert.equal(diag[0].diagnosis.aaAnnounced, formatMac(BSSID));
    assert.doesNotMatch(diag[0].diagnosis.text, /horse/, 'no passphrase in the diagnosis');

    // The station is gone; its history keeps the diagnosis.
    assert.equal(air.core.station(sta), undefined);
    const history = air.core.history(sta);
    assert.equal(history.length, 1);
    assert.equal(history[0].result, 'mic_failure');
    assert.equal(history[0].micFailures, 4);
    assert.equal(history[0].msg1Sent, 4);
    assert.equal(history[0].diagnosis?.cause, 'psk-mismatch');
    assert.match(history[0].diagnosis?.text ?? '', /PSK mismatch/);
    assert.equal(air.core.nextDeadline(), undefined);
  });

  void it('RSNE in msg 2/4 differs from the association RSNE: disconnect reason 17, result rejected', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 2);
    const st = air.addStation({ mac: sta, misbehave: { msg2Rsne: rsneFor(AKM.PSK, 0x000c) } }, BSSID);
    air.associate(sta);
    air.run();
    const disc = air.effects('disconnect', (e) => e.sta.equals(sta));
    assert.equal(disc.length, 1);
    assert.equal(disc[0].effect.reason, 17);
    const cause = air.causeOf(disc[0].i);
    assert.ok(cause.kind === 'event' && cause.event.type === 'eapol', 'the msg 2/4 itself leads to the disconnect');
    assert.deepEqual(st.disconnects, [17]);
    assert.equal(air.transmissions(sta, 'msg3/4').length, 0);
    assert.equal(air.effects('install-pairwise-key').length, 0);
    assert.equal(await air.metric('airlock_handshakes_total{result="rejected"}'), 1);
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 0);
    assert.equal(air.core.history(sta)[0]?.result, 'rejected');
  });

  void it('replayed msg 2/4 ignored: counted as replay, no effect on the handshake, which completes', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 3);
    air.addStation({ mac: sta }, BSSID);
    let msg2: Buffer | undefined;
    air.intercept = (f: AirFrame) => {
      if (f.dir === 'up' && f.info.kind === 'msg2/4' && msg2 === undefined) msg2 = Buffer.from(f.frame);
      // When msg 3/4 leaves, an attacker replays the accepted msg 2/4: it lands before msg 4/4.
      if (f.dir === 'down' && f.info.kind === 'msg3/4' && msg2 !== undefined) air.sendUp(sta, msg2);
      return 'deliver';
    };
    air.associate(sta);
    air.run();
    assert.ok(msg2 !== undefined);
    const copies = air.events('eapol').filter((e) => e.event.frame.equals(msg2!));
    assert.equal(copies.length, 2, 'the original and the replay reached the core');
    const replay = copies[1];
    const next = air.events('eapol').find((e) => e.i > replay.i);
    assert.ok(next !== undefined && next.event.frame.length < msg2.length, 'the replay arrived before msg 4/4');
    const effects = air.effectsOf(replay.i);
    assert.deepEqual(effects.map((e) => (e.type === 'report' ? `${e.report.kind}:${e.report.kind === 'frame-dropped' ? e.report.reason : ''}` : e.type)),
      ['frame-dropped:replay'], 'the replay only yields a drop');
    assert.equal(air.transmissions(sta, 'msg1/4').length, 1);
    assert.equal(air.transmissions(sta, 'msg3/4').length, 1, 'no second msg 3/4');
    assert.equal(air.reports('joined').length, 1);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="replay"}'), 1);

    // Replayed once more after the join: dropped, nothing else.
    air.intercept = undefined;
    air.sendUp(sta, msg2);
    air.run();
    const late = air.events('eapol').at(-1);
    assert.ok(late !== undefined);
    assert.deepEqual(air.effectsOf(late.i).map((e) => e.type), ['report']);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="replay"}'), 2);
    assert.equal(air.core.station(sta)?.portAuthorized, true);
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
    assert.deepEqual(air.violations, []);
  });

  void it('duplicated association event during the handshake: counted, no new ANonce, the handshake completes', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 4);
    const st = air.addStation({ mac: sta }, BSSID);
    air.associate(sta);
    const assoc = air.events('associated')[0].event;
    air.run({ until: 0 }); // msg 1/4 is in the air
    air.inject({ ...assoc }); // the agent reports the same association again
    air.run({ until: 1 }); // msg 1/4 delivered, msg 2/4 in the air
    air.inject({ ...assoc });
    air.run();

    assert.equal(await air.metric('airlock_frames_dropped_total{reason="duplicate_association"}'), 2);
    assert.equal(air.reports('duplicate-association').length, 2);
    const msg1 = air.transmissions(sta, 'msg1/4');
    assert.equal(msg1.length, 1, 'no second handshake started');
    assert.equal(air.reports('handshake').length, 1);
    assert.equal(await air.metric('airlock_handshakes_total{result="aborted"}'), 0);
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
    assert.equal(air.reports('joined').length, 1);
    assert.ok(air.effects('install-pairwise-key')[0]?.effect.key.equals(st.supplicant.ptk?.tk ?? Buffer.alloc(0)));
    assert.deepEqual(air.violations, []);
  });

  void it('duplicated association event after msg 2/4: the restart is visible (aborted) and the station still joins', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 6);
    const st = air.addStation({ mac: sta }, BSSID);
    air.associate(sta);
    const assoc = air.events('associated')[0].event;
    air.run({ until: 2 }); // msg 2/4 verified, msg 3/4 in the air
    assert.equal(air.transmissions(sta, 'msg3/4').length, 1);
    air.inject({ ...assoc });
    air.run();
    assert.equal(await air.metric('airlock_handshakes_total{result="aborted"}'), 1, 'the restart is counted, not silent');
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
    assert.equal(air.reports('joined').length, 1);
    assert.deepEqual(st.disconnects, []);
    const installs = air.effects('install-pairwise-key');
    assert.equal(installs.length, 1);
    assert.ok(installs[0].effect.key.equals(st.supplicant.ptk?.tk ?? Buffer.alloc(0)));
    assert.deepEqual(air.violations, []);
  });

  void it('duplicated association event after msg 2/4: the restarted handshake uses replay counters the station has not seen', () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 7);
    const st = air.addStation({ mac: sta }, BSSID);
    air.associate(sta);
    const assoc = air.events('associated')[0].event;
    air.run({ until: 2 });
    const before = air.transmissions(sta).at(-1);
    assert.ok(before !== undefined);
    air.inject({ ...assoc });
    air.run();
    const restarted = air.transmissions(sta, 'msg1/4').filter((x) => x.i > before.i);
    assert.ok(restarted.length > 0);
    assert.ok(restarted[0].info.replayCounter > before.info.replayCounter,
      `restarted msg 1/4 has replay counter ${restarted[0].info.replayCounter}, the station already saw ${before.info.replayCounter}`);
    assert.equal(st.log.filter((l) => l.effect.type === 'dropped' && l.effect.reason === 'replay').length, 0, 'the station drops nothing as a replay');
  });

  void it('unknown BSSID, unassociated station, truncated EAPOL-Key, key data length overflow, bad descriptor version: each a counted, named drop that leaves another handshake alone', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 5);
    const st = air.addStation({ mac: sta }, BSSID);
    air.associate(sta);
    air.run({ until: 0 }); // sta's msg 1/4 is in the air: its handshake is under way
    const stranger = mac(0x5c, 1);

    const truncated = msg2Shaped(1n).subarray(0, 4 + 50);
    truncated.writeUInt16BE(50, 2); // a consistent 802.1X header around a 50-octet EAPOL-Key body
    const cut = msg2Shaped(1n).subarray(0, 60); // declared body beyond the buffer
    const overflow = msg2Shaped(1n);
    overflow.writeUInt16BE(overflow.length, 4 + 93); // Key Data Length past the body
    const badVersion = msg2Shaped(1n);
    badVersion.writeUInt16BE((KeyInfo.PAIRWISE | KeyInfo.MIC | 1) & 0xffff, 4 + 1); // version 1 (HMAC-MD5/RC4) for AKM 2
    const cases = [
      { desc: 'association to a BSSID nobody announced', reason: 'unknown_bssid', event: { type: 'associated' as const, bssid: mac(0xbf, 9), sta: stranger, rsne: rsneFor(AKM.PSK), reassociation: false } },
      { desc: 'EAPOL from a station that is not associated', reason: 'unassociated_station', event: { type: 'eapol' as const, bssid: BSSID, sta: stranger, frame: msg2Shaped(1n) } },
      { desc: 'EAPOL-Key body of 50 octets', reason: 'malformed_eapol_key', event: { type: 'eapol' as const, bssid: BSSID, sta, frame: truncated } },
      { desc: 'EAPOL frame cut short', reason: 'malformed_eapol', event: { type: 'eapol' as const, bssid: BSSID, sta, frame: cut } },
      { desc: 'Key Data Length beyond the body', reason: 'malformed_eapol_key', event: { type: 'eapol' as const, bssid: BSSID, sta, frame: overflow } },
      { desc: 'key descriptor version 1', reason: 'bad_descriptor_version', event: { type: 'eapol' as const, bssid: BSSID, sta, frame: badVersion } },
    ];
    for (const c of cases) {
      const effects = air.inject(c.event);
      assert.equal(effects.length, 1, `${c.desc}: one effect`);
      const e = effects[0];
      assert.ok(e.type === 'report' && e.report.kind === 'frame-dropped', `${c.desc}: a frame-dropped report`);
      assert.equal(e.report.reason, c.reason, c.desc);
    }
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="unknown_bssid"}'), 1);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="unassociated_station"}'), 1);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="malformed_eapol_key"}'), 2);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="malformed_eapol"}'), 1);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="bad_descriptor_version"}'), 1);
    assert.equal(air.core.station(stranger), undefined, 'no state for the stranger');

    // The handshake under way is untouched: one msg 1/4, one msg 3/4, joined on time.
    air.run();
    assert.deepEqual(air.transmissions(sta).map((x) => x.info.kind), ['msg1/4', 'msg3/4']);
    assert.equal(air.reports('joined').length, 1);
    assert.ok(air.effects('install-pairwise-key')[0]?.effect.key.equals(st.supplicant.ptk?.tk ?? Buffer.alloc(0)));
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="replay"}'), 0);
    assert.deepEqual(air.violations, []);
  });
});

void describe('station bounds', () => {
  void it('an association beyond the per-BSS limit is refused with reason 5 and counted; the others join', async () => {
    const air = new Air({ core: { maxStationsPerBss: 2 } });
    air.addBss({ bssid: BSSID, interfaceMac: IFACE });
    const stas = [1, 2, 3].map((i) => mac(0x5a, i));
    for (const s of stas) air.addStation({ mac: s }, BSSID);
    for (const s of stas) air.associate(s);
    air.run();
    assert.equal(air.effects('set-port', (e) => e.authorized).length, 2, 'the first two join');
    const refused = air.effects('disconnect', (e) => e.sta.equals(stas[2]));
    assert.equal(refused.length, 1);
    assert.equal(refused[0].effect.reason, 5, 'reason 5: AP unable to handle all associated STAs');
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="station_limit"}'), 1);
    // When one leaves, there is room again.
    air.leave(stas[0]);
    air.associate(stas[2]);
    air.run();
    assert.equal(air.effects('set-port', (e) => e.authorized && e.sta.equals(stas[2])).length, 1);
  });

  void it('the per-agent limit counts stations over all of the agent\'s BSSes', () => {
    const air = new Air({ core: { maxStationsPerAgent: 1 } });
    const other = mac(0xb0, 2);
    air.addBss({ bssid: BSSID });
    air.addBss({ bssid: other });
    air.addStation({ mac: mac(0x5a, 1) }, BSSID);
    air.addStation({ mac: mac(0x5a, 2) }, other);
    air.associate(mac(0x5a, 1));
    air.associate(mac(0x5a, 2));
    air.run();
    assert.equal(air.effects('set-port', (e) => e.authorized).length, 1);
    assert.equal(air.effects('disconnect', (e) => e.reason === 5).length, 1);
  });
});
