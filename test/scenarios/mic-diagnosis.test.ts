/**
 * MIC-failure diagnosis (DESIGN.md "MIC-failure diagnosis", invariants 1, 2 and 11): when
 * msg 2/4 fails its MIC the core names the likely mistake. Scenarios on virtual time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatMac, macKey, type MicDiagnosis, type MicFailureCause } from '@airlock/rsn';
import { Air, mac, type AirFrame, type Verdict } from './harness.js';
import { keyRequest } from './frames.js';

const BSSID = mac(0xb0, 1);
const IFACE = mac(0xa0, 1);
/** The PAE group address, IEEE 802.1X-2020 Table 11-1 (what a wired supplicant sends EAPOL to). */
const PAE_GROUP = Buffer.from([0x01, 0x80, 0xc2, 0x00, 0x00, 0x03]);
/** Every cause (the `satisfies` keeps the list complete when a cause is added). */
const CAUSES = Object.keys({
  'psk-mismatch': 0,
  'pmk-mismatch': 0,
  'aa-mismatch': 0,
  'stale-anonce': 0,
  'ssid-mismatch': 0,
  'other-station-psk': 0,
  unknown: 0,
} satisfies Record<MicFailureCause, 0>) as MicFailureCause[];

/** Every cause's airlock_mic_failure_diagnoses_total sample, absent ones as 0. */
async function diagnosisCounts(air: Air): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const c of CAUSES) out[c] = await air.metric(`airlock_mic_failure_diagnoses_total{cause="${c}"}`);
  return out;
}

/** Every cause at 0. */
function zeroCounts(): Record<string, number> {
  return Object.fromEntries(CAUSES.map((c) => [c, 0]));
}

/** Exactly one diagnosis was reported, for `sta`, and the handshake record carries the same one. */
function onlyDiagnosis(air: Air, sta: Buffer): MicDiagnosis {
  const diag = air.reports('mic-failure-diagnosis');
  assert.equal(diag.length, 1, `one diagnosis, got ${JSON.stringify(diag.map((d) => d.diagnosis.text))}`);
  assert.ok(diag[0].sta.equals(sta));
  assert.deepEqual(air.core.history(sta)[0]?.diagnosis, diag[0].diagnosis, 'the handshake record keeps the diagnosis');
  return diag[0].diagnosis;
}

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
  void it('station on a wireless BSS derived its PTK with AA = the PAE group address (the wired-port mistake): diagnosed as AA mismatch naming 01:80:c2:00:00:03', async () => {
    const air = new Air();
    // The interface MAC is a candidate too, and is tried first: the diagnosis must not stop at it.
    air.addBss({ bssid: BSSID, interfaceMac: IFACE });
    const sta = mac(0x5a, 4);
    const st = air.addStation({ mac: sta, aa: PAE_GROUP }, BSSID);
    air.associate(sta);
    air.run();

    const d = onlyDiagnosis(air, sta);
    assert.equal(d.cause, 'aa-mismatch');
    assert.equal(d.aaUsed, '01:80:c2:00:00:03');
    assert.equal(d.aaAnnounced, formatMac(BSSID));
    assert.match(d.text, /^AA mismatch: the station derived its PTK with AA 01:80:c2:00:00:03 \(the PAE group address\); the agent announced BSSID /);
    assert.ok(d.text.includes(formatMac(BSSID)), d.text);
    assert.ok(!d.text.includes(formatMac(IFACE)), `the interface MAC is not the AA it used: ${d.text}`);
    assert.deepEqual(await diagnosisCounts(air), { ...zeroCounts(), 'aa-mismatch': 1 });
    assert.equal(air.reports('joined').length, 0);
    assert.deepEqual(st.disconnects, [15]);
  });

  void it("station uses the per-station PSK configured for another station's MAC (station_psks): diagnosed as other-station-psk naming that MAC", async () => {
    const air = new Air();
    const cfg = air.addBss({ bssid: BSSID, ssid: 'airlock-ppsk' });
    const owner = mac(0x5a, 5);
    const wrong = mac(0x5a, 6);
    // networks[].station_psks: one PSK for `owner` (and one for a third station), applied as
    // a configuration reload is (the service builds the same map, keyed by macKey).
    air.operator('reload station_psks', (core, now) =>
      core.updateNetwork(
        {
          ...cfg.network,
          stationPassphrases: new Map([
            [macKey(owner), ['owner-only passphrase']],
            [macKey(mac(0x5a, 7)), ['third station passphrase']],
          ]),
        },
        now,
      ),
    );
    air.addStation({ mac: owner, passphrase: 'owner-only passphrase' }, BSSID);
    air.associate(owner);
    air.run();
    assert.equal(air.reports('joined').length, 1, 'the owner joins with its own PSK: the station PSK is configured');
    assert.equal(air.reports('mic-failure-diagnosis').length, 0);

    const st = air.addStation({ mac: wrong, passphrase: 'owner-only passphrase' }, BSSID);
    air.associate(wrong);
    air.run();

    const d = onlyDiagnosis(air, wrong);
    assert.equal(d.cause, 'other-station-psk');
    assert.equal(d.text, `PSK mismatch: the station uses the per-station PSK configured for ${formatMac(owner)} on SSID "airlock-ppsk"`);
    assert.equal(d.aaUsed, undefined);
    assert.deepEqual(await diagnosisCounts(air), { ...zeroCounts(), 'other-station-psk': 1 });
    assert.equal(air.reports('joined').length, 1, 'only the owner joined');
    assert.deepEqual(st.disconnects, [15]);
  });

  // The SSID spellings the core tries (ssidVariants): trimmed, lower case, upper case, a
  // trailing space, a trailing NUL, and the other SSIDs of the authenticator.
  const variants: { desc: string; network: string; station: string; otherSsid?: string }[] = [
    { desc: 'in lower case', network: 'Airlock Lab', station: 'airlock lab' },
    { desc: 'in upper case', network: 'Airlock Lab', station: 'AIRLOCK LAB' },
    { desc: 'with a trailing space', network: 'Airlock Lab', station: 'Airlock Lab ' },
    { desc: 'trimmed (the configured SSID ends in a space)', network: 'Airlock Lab ', station: 'Airlock Lab' },
    { desc: 'with a trailing NUL (a C string)', network: 'Airlock Lab', station: 'Airlock Lab\0' },
    { desc: 'of another network of the authenticator', network: 'Airlock Lab', station: 'Airlock Guest', otherSsid: 'Airlock Guest' },
  ];
  for (const v of variants) {
    void it(`station derived its PSK from the SSID ${v.desc}: diagnosed as SSID mismatch naming both spellings`, async () => {
      const air = new Air();
      air.addBss({ bssid: BSSID, ssid: v.network });
      if (v.otherSsid !== undefined) air.addBss({ bssid: mac(0xb0, 2), ssid: v.otherSsid });
      const sta = mac(0x5a, 8);
      const st = air.addStation({ mac: sta, ssid: v.station }, BSSID);
      air.associate(sta);
      air.run();

      const d = onlyDiagnosis(air, sta);
      assert.equal(d.cause, 'ssid-mismatch', d.text);
      assert.equal(d.text, `SSID mismatch: the passphrase is right but the station derived its PSK with SSID ${JSON.stringify(v.station)}; the network's SSID is ${JSON.stringify(v.network)}`);
      assert.deepEqual(await diagnosisCounts(air), { ...zeroCounts(), 'ssid-mismatch': 1 });
      assert.deepEqual(st.disconnects, [15]);
    });
  }
  void it('station with its own per-station PSK (station_psks, no shared passphrase) derived it from the SSID in lower case: diagnosed as SSID mismatch, not a wrong passphrase', async () => {
    const air = new Air();
    const cfg = air.addBss({ bssid: BSSID, ssid: 'Airlock PPSK' });
    const sta = mac(0x5a, 9);
    air.operator('reload station_psks', (core, now) =>
      core.updateNetwork({ ...cfg.network, passphrases: [], stationPassphrases: new Map([[macKey(sta), ['this station passphrase']]]) }, now),
    );
    const st = air.addStation({ mac: sta, passphrase: 'this station passphrase', ssid: 'airlock ppsk' }, BSSID);
    air.associate(sta);
    air.run();

    const d = onlyDiagnosis(air, sta);
    assert.equal(d.cause, 'ssid-mismatch', d.text);
    assert.equal(d.text, `SSID mismatch: the passphrase is right but the station derived its PSK with SSID "airlock ppsk"; the network's SSID is "Airlock PPSK"`);
    assert.deepEqual(await diagnosisCounts(air), { ...zeroCounts(), 'ssid-mismatch': 1 });
    assert.deepEqual(st.disconnects, [15]);
  });
});
