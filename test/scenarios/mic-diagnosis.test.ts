/**
 * MIC-failure diagnosis (DESIGN.md "MIC-failure diagnosis", invariants 1, 2 and 11): when
 * msg 2/4 fails its MIC the core names the likely mistake. Scenarios on virtual time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatMac } from '@airlock/rsn';
import { Air, mac, type AirFrame, type Verdict } from './harness.js';
import { keyRequest } from './frames.js';

const BSSID = mac(0xb0, 1);
const IFACE = mac(0xa0, 1);

void describe('MIC-failure diagnosis', () => {
  void it('station derived its PTK with AA = the agent interface MAC: diagnosed as AA mismatch, naming both addresses', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID, interfaceMac: IFACE });
    const sta = mac(0x5a, 1);
    const st = air.addStation({ mac: sta, aa: IFACE }, BSSID);
    air.associate(sta);
    air.run();

    const diag = air.reports('mic-failure-diagnosis');
    assert.equal(diag.length, 1);
    const d = diag[0].diagnosis;
    assert.equal(d.cause, 'aa-mismatch');
    assert.equal(d.aaUsed, formatMac(IFACE));
    assert.equal(d.aaAnnounced, formatMac(BSSID));
    assert.match(d.text, /AA mismatch/);
    assert.ok(d.text.includes(formatMac(IFACE)) && d.text.includes(formatMac(BSSID)), d.text);
    assert.equal(await air.metric('airlock_mic_failure_diagnoses_total{cause="aa-mismatch"}'), 1);
    assert.equal(await air.metric('airlock_handshakes_total{result="mic_failure"}'), 1);
    assert.deepEqual(st.disconnects, [15]);
    assert.equal(air.core.history(sta)[0]?.diagnosis?.cause, 'aa-mismatch');
  });

  void it('station answered msg 1/4 of an earlier handshake of its association (PTK rekey): diagnosed as stale ANonce', () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 2);
    const st = air.addStation({ mac: sta }, BSSID);
    air.associate(sta);
    air.run();
    const firstMsg1 = air.transmissions(sta, 'msg1/4')[0];
    assert.equal(air.reports('joined').length, 1);

    // The station asks for a PTK rekey; the new msg 1/4 (new ANonce) is lost, and a copy of
    // the station that still holds the first handshake's msg 1/4 answers it.
    let rekeyMsg1: AirFrame | undefined;
    air.intercept = (f): Verdict => {
      if (f.dir === 'down' && f.info.kind === 'msg1/4' && rekeyMsg1 === undefined) {
        rekeyMsg1 = f;
        return 'drop';
      }
      return 'deliver';
    };
    const ptk = st.supplicant.ptk;
    assert.ok(ptk !== undefined);
    air.sendUp(sta, keyRequest({ kck: ptk.kck, descriptorVersion: 2, replayCounter: 1n, pairwise: true }));
    air.run({ until: air.now + 10 });
    assert.ok(rekeyMsg1 !== undefined, 'the rekey msg 1/4 left');
    assert.ok(!rekeyMsg1.info.nonce.equals(firstMsg1.info.nonce), 'the rekey has a fresh ANonce');
    const stale = Buffer.from(firstMsg1.effect.frame);
    stale.writeBigUInt64BE(rekeyMsg1.info.replayCounter, 4 + 5);
    const answer = air.freshSupplicant(sta).receive(stale);
    assert.equal(answer[0]?.type, 'transmit');
    air.sendUp(sta, answer[0].type === 'transmit' ? answer[0].frame : Buffer.alloc(0));
    air.run({ until: air.now + 10 });

    const diag = air.reports('mic-failure-diagnosis');
    assert.equal(diag.length, 1, 'the stale msg 2/4 fails its MIC and is diagnosed');
    assert.equal(diag[0].diagnosis.cause, 'stale-anonce');
    assert.match(diag[0].diagnosis.text, /stale ANonce/);
    assert.equal(air.transmissions(sta, 'msg3/4').length, 1, 'no msg 3/4 answers the stale msg 2/4');
  });

  void it('a late reassociation event restarted the handshake and the station answers the old msg 1/4: a stale ANonce, never "PSK mismatch"', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 3);
    air.addStation({ mac: sta }, BSSID);
    // The station's msg 2/4 (to the first ANonce) is slow; meanwhile the agent reports a
    // (re)association the core takes as new, and the new msg 1/4 is lost.
    let held = false;
    let lost = false;
    air.intercept = (f): Verdict => {
      if (f.dir === 'up' && f.info.kind === 'msg2/4' && !held) {
        held = true;
        return 'hold';
      }
      if (f.dir === 'down' && f.info.kind === 'msg1/4' && held && !lost) {
        lost = true;
        return 'drop';
      }
      return 'deliver';
    };
    air.associate(sta);
    const assoc = air.events('associated')[0].event;
    air.run({ until: 1 });
    assert.equal(air.held.length, 1);
    air.inject({ ...assoc, reassociation: true, previousBssid: BSSID });
    const msg1 = air.transmissions(sta, 'msg1/4');
    assert.equal(msg1.length, 2, 'the core restarted the handshake');
    assert.ok(!msg1[1].info.nonce.equals(msg1[0].info.nonce));
    const stale = air.held[0];
    air.release(stale);
    air.run();

    // The late answer to the old ANonce is either a counted replay (the replay counter kept
    // increasing across the restart) or diagnosed as what it is: a stale ANonce.
    const arrival = air.events('eapol').find((e) => e.event.frame.equals(stale.frame.frame));
    assert.ok(arrival !== undefined);
    const diag = air.reports('mic-failure-diagnosis');
    const dropped = air.effectsOf(arrival.i).flatMap((e) => (e.type === 'report' && e.report.kind === 'frame-dropped' ? [e.report.reason] : []));
    assert.ok(dropped.length === 1, `the stale msg 2/4 is dropped, got ${JSON.stringify(dropped)}`);
    if (dropped[0] !== 'replay') {
      assert.equal(diag.length, 1);
      assert.equal(diag[0].diagnosis.cause, 'stale-anonce', `diagnosed: ${diag[0].diagnosis.text}`);
    }
    assert.equal(await air.metric('airlock_mic_failure_diagnoses_total{cause="psk-mismatch"}'), 0, 'the passphrase is right');
    assert.equal(air.reports('joined').length, 1, 'the station joins with the retransmitted msg 1/4');
  });
});
