/**
 * DESIGN.md invariant 1 (AA is the announced BSSID) and "MIC-failure diagnosis", end to end
 * over real gRPC: an agent whose BSS table announces the wrong BSSID. Its stations derive
 * their PTK with the radio's real BSSID as AA (IEEE 802.11-2020 §12.7.1.3), the
 * authenticator with the announced one, so every msg 2/4 fails its MIC; after
 * dot11RSNAConfigPairwiseUpdateCount transmissions of msg 1/4 the stations are
 * disconnected with reason 15, and the diagnosis names the AA the stations used (the
 * agent's interface MAC) next to the announced BSSID.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningAuthenticator } from '@airlock/authenticator';
import { simStations, type EdgeAgent, type SimDriver } from '@airlock/edge-agent';
import { formatMac, Reason } from '@airlock/rsn';
import { fetchMetrics, startSimAgents, startTestAuthenticator, testConfig, TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

/** The radio's real BSSID: what the stations use as AA (and what the sim reports as interface_mac). */
const REAL_BSSID = Buffer.from([0x02, 0xa1, 0x00, 0x01, 0x00, 0x01]);
/** What the misconfigured agent announces instead. */
const ANNOUNCED_BSSID = Buffer.from([0x06, 0xa1, 0x00, 0x01, 0x00, 0x09]);
const STATIONS = 4;
const PAIRWISE_UPDATE_COUNT = 4;

void describe('agent announcing a wrong BSSID', () => {
  let auth: RunningAuthenticator;
  let agents: EdgeAgent[] = [];
  let drivers: SimDriver[] = [];
  const disconnects: { sta: string; reason: number }[] = [];

  before(async () => {
    // Short EAPOL timeouts so the retries run out in well under a second.
    auth = await startTestAuthenticator(testConfig(undefined, (c) => {
      c.eapol.pairwiseUpdateCount = PAIRWISE_UPDATE_COUNT;
      c.eapol.firstTimeoutMs = 30;
      c.eapol.firstTimeoutNoTxStatusMs = 60;
      c.eapol.subsequentTimeoutMs = 60;
    }));
    ({ agents, drivers } = await startSimAgents(auth, 1, STATIONS, (i) => ({
      bsses: [{ bssid: REAL_BSSID, ssid: TEST_SSID, announceBssid: ANNOUNCED_BSSID }],
      stations: simStations({ agentNumber: i, bsses: 1, stations: STATIONS, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE }),
      behaviour: { joinSpreadMs: 100, rejoinAfterDisconnect: false },
    })));
    drivers[0].on('disconnected', (sta: string, reason: number) => disconnects.push({ sta, reason }));
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await auth?.stop(500);
  });

  void it('an agent that announces a wrong BSSID causes mic_failure and the diagnosis names the AA mismatch', async () => {
    const allDisconnected = await waitFor(() => disconnects.length >= STATIONS, 5000);
    assert.ok(allDisconnected, `disconnected: ${JSON.stringify(disconnects)}`);

    // Every station is disconnected with reason 15 (4-way handshake timeout) and none got in.
    assert.deepEqual(
      disconnects.map((d) => d.reason),
      Array.from({ length: STATIONS }, () => Reason.FOURWAY_HANDSHAKE_TIMEOUT),
    );
    assert.equal(drivers[0].authorizedCount(), 0);
    assert.deepEqual(drivers[0].violations, []);

    const m = await fetchMetrics(auth);
    assert.equal(m.get('airlock_handshakes_total{result="mic_failure"}'), STATIONS);
    assert.equal(m.get('airlock_handshakes_total{result="success"}'), 0);
    assert.equal(m.get('airlock_handshakes_total{result="timeout"}'), 0);
    assert.equal(m.get('airlock_mic_failure_diagnoses_total{cause="aa-mismatch"}'), STATIONS);
    // Each msg 2/4 answering one of the msg 1/4 transmissions failed its MIC and was counted.
    assert.ok((m.get('airlock_frames_dropped_total{reason="mic_failure"}') ?? 0) >= STATIONS);
    assert.equal(m.get('airlock_stations{state="authorized"}'), 0);

    const real = formatMac(REAL_BSSID);
    const announced = formatMac(ANNOUNCED_BSSID);
    for (const k of drivers[0].keyViews()) {
      const sta = Buffer.from(k.sta.replaceAll(':', ''), 'hex');
      const history = auth.service.core.history(sta);
      assert.equal(history.length, 1, `${k.sta}: one handshake, no silent restart`);
      const hs = history[0];
      assert.equal(hs.result, 'mic_failure', k.sta);
      assert.equal(hs.bssid, announced, `${k.sta}: the authenticator used the announced BSSID as AA`);
      assert.equal(hs.msg1Sent, PAIRWISE_UPDATE_COUNT, `${k.sta}: msg 1/4 sent dot11RSNAConfigPairwiseUpdateCount times`);
      assert.ok(hs.micFailures >= 1, `${k.sta}: MIC failures counted`);
      const d = hs.diagnosis;
      assert.ok(d !== undefined, `${k.sta}: a diagnosis is recorded`);
      assert.equal(d.cause, 'aa-mismatch');
      assert.equal(d.aaUsed, real);
      assert.equal(d.aaAnnounced, announced);
      assert.match(d.text, /AA mismatch/);
      assert.ok(d.text.includes(real), `${k.sta}: the text names the AA the station used: ${d.text}`);
      assert.ok(d.text.includes(announced), `${k.sta}: the text names the announced BSSID: ${d.text}`);
      assert.ok(d.text.indexOf(real) < d.text.indexOf(announced), `${k.sta}: the AA used comes first: ${d.text}`);
      assert.match(d.anonceFp, /^[0-9a-f]{8}$/);
      assert.match(d.snonceFp, /^[0-9a-f]{8}$/);
    }
  });
});
