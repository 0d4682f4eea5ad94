/**
 * PTK rekey asked for by the station with an EAPOL-Key request (IEEE 802.11-2020 §12.7.2,
 * Request bit; §12.7.10.2 PTKRequest), on virtual time. DESIGN.md: "a rekey msg 1/4 must
 * leave protected" (order is the contract), invariant 11.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Air, mac, type AirFrame, type Verdict } from './harness.js';
import { keyRequest } from './frames.js';

const BSSID = mac(0xb0, 1);

/** A joined station, and the request that starts its PTK rekey. */
function joined(sta: Buffer): { air: Air; requestRekey: () => void } {
  const air = new Air();
  air.addBss({ bssid: BSSID });
  const st = air.addStation({ mac: sta }, BSSID);
  air.associate(sta);
  air.run();
  assert.equal(air.reports('joined').length, 1);
  return {
    air,
    requestRekey: () => {
      const ptk = st.supplicant.ptk;
      assert.ok(ptk !== undefined);
      air.sendUp(sta, keyRequest({ kck: ptk.kck, descriptorVersion: 2, replayCounter: 1n, pairwise: true }));
    },
  };
}

void describe('PTK rekey', () => {
  void it('PTK rekey requested by the station: fresh ANonce, a new TK equal to the station one, and the port stays open', () => {
    const sta = mac(0x5a, 1);
    const { air, requestRekey } = joined(sta);
    const st = air.station(sta);
    const oldTk = Buffer.from(st.supplicant.ptk?.tk ?? Buffer.alloc(0));
    const start = air.timeline.length;
    requestRekey();
    air.run();
    const tx = air.transmissions(sta).filter((x) => x.i >= start);
    assert.deepEqual(tx.map((x) => x.info.kind), ['msg1/4', 'msg3/4']);
    const first = air.transmissions(sta, 'msg1/4')[0];
    assert.ok(!tx[0].info.nonce.equals(first.info.nonce), 'a fresh ANonce');
    assert.ok(tx[0].info.replayCounter > first.info.replayCounter, 'replay counter keeps increasing within the association');
    const installs = air.effects('install-pairwise-key').filter((x) => x.i >= start);
    assert.equal(installs.length, 1);
    assert.ok(installs[0].effect.key.equals(st.supplicant.ptk?.tk ?? Buffer.alloc(0)), 'new TK equals the station TK');
    assert.ok(!installs[0].effect.key.equals(oldTk));
    assert.equal(air.effects('set-port').filter((x) => x.i >= start && !x.effect.authorized).length, 0, 'the port is never closed');
    assert.equal(air.effects('disconnect').length, 0);
    assert.equal(air.radio(sta)?.portAuthorized, true);
  });

  void it('PTK rekey: msg 1/4 and msg 3/4 leave protected with the PTK in use', () => {
    const sta = mac(0x5a, 2);
    const { air, requestRekey } = joined(sta);
    const start = air.timeline.length;
    requestRekey();
    air.run();
    const tx = air.transmissions(sta).filter((x) => x.i >= start);
    assert.deepEqual(tx.map((x) => [x.info.kind, x.effect.protected]), [['msg1/4', true], ['msg3/4', true]]);
    assert.deepEqual(air.violations, []);
  });

  void it('PTK rekey is not a join: no second joined report, no second join-duration sample', async () => {
    const sta = mac(0x5a, 3);
    const { air, requestRekey } = joined(sta);
    air.runFor(60_000);
    requestRekey();
    air.run();
    assert.equal(air.effects('install-pairwise-key').length, 2, 'the rekey completed');
    assert.equal(air.reports('joined').length, 1);
    assert.equal(await air.metric('airlock_join_duration_seconds_count{akm="psk"}'), 1);
  });

  void it('invalid MIC in a rekey msg 2/4 never advances the machine: dropped as mic_failure, no msg 3/4', async () => {
    const sta = mac(0x5a, 4);
    const { air, requestRekey } = joined(sta);
    const start = air.timeline.length;
    let corrupted = 0;
    air.intercept = (f: AirFrame): Verdict => {
      if (f.dir === 'up' && f.info.kind === 'msg2/4' && corrupted === 0) {
        corrupted++;
        f.frame[4 + 77] ^= 0x01; // one bit of the Key MIC
      }
      return 'deliver';
    };
    requestRekey();
    air.run({ until: air.now + 10 });
    assert.equal(corrupted, 1);
    const bad = air.events('eapol').filter((e) => e.i >= start)[1];
    assert.ok(bad !== undefined, 'the corrupted msg 2/4 reached the core');
    const effects = air.effectsOf(bad.i);
    assert.ok(effects.every((e) => e.type === 'report'), `only reports, got ${effects.map((e) => e.type).join(', ')}`);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="mic_failure"}'), 1);
    assert.equal(air.transmissions(sta, 'msg3/4').filter((x) => x.i >= start).length, 0, 'no msg 3/4 for an invalid MIC');
    // The retransmitted msg 1/4 gets a good answer: the rekey completes.
    air.run();
    assert.equal(air.effects('install-pairwise-key').filter((x) => x.i >= start).length, 1);
    assert.equal(air.effects('disconnect').length, 0);
  });
});
