/**
 * Interop, WPA-PSK on a wired port: the real wpa_supplicant 2.10 (`-D wired`,
 * key_mgmt=WPA-PSK) in a network namespace ↔ veth ↔ the agent's wired driver (libpcap) →
 * gRPC → the authenticator (IEEE 802.11-2020 §12.7.6, the 4-way handshake).
 *
 * wpa_supplicant's wired driver sends nothing first in WPA-PSK mode, so the station is
 * configured statically at the agent and the authenticator starts with msg 1/4. Its AA is
 * its BSSID, the PAE group address 01:80:c2:00:00:03. It verifies msg 3/4's MIC, decrypts
 * the Key Data and then stops with "WPA: Could not find AP from the scan results" (a wire
 * has no Beacon RSNE to compare msg 3/4's with): that is the expected end of a wired WPA
 * handshake with this supplicant (DESIGN.md, "Real components").
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AKM } from '@airlock/rsn';
import { fetchMetrics, waitFor } from '../support/topology.js';
import { assertInteropPrerequisites, countLines, expectLinesInOrder, startRig, wiredHandshakeLines, wiredNetwork, type Rig } from './harness.js';

const SSID = 'airlock-wired-psk';
const PASSPHRASE = 'wired passphrase 123';
const STEP_MS = 5000;

function supplicantNetwork(psk: string): Record<string, string> {
  return { key_mgmt: 'WPA-PSK', ssid: SSID, psk, proto: 'RSN', pairwise: 'CCMP', group: 'CCMP' };
}

void describe('interop: wpa_supplicant 2.10 -D wired, key_mgmt=WPA-PSK', () => {
  let rig: Rig | undefined;

  before(async () => {
    await assertInteropPrerequisites({ radius: false });
  });

  after(async () => {
    await rig?.close();
  });

  void it('msg 2/4 verifies at the authenticator; wpa_supplicant verifies msg 3/4 and decrypts its key data', async () => {
    try {
      rig = await startRig({
        network: wiredNetwork(SSID, { akms: ['psk'], passphrases: [PASSPHRASE] }),
        port: { akm: AKM.PSK },
        staticStation: true,
        supplicant: supplicantNetwork(PASSPHRASE),
      });
      const r = rig;
      await expectLinesInOrder(r.supplicant, wiredHandshakeLines(r.sta), STEP_MS);
      // The authenticator verified msg 2/4 (else no msg 3/4) and waits for msg 4/4.
      const view = r.auth.service.core.station(r.sta);
      assert.ok(view, 'the authenticator knows the station');
      assert.equal(view.ptkState, 'PTKINITNEGOTIATING');
      assert.equal(view.handshake?.micFailures, 0);
      assert.ok((view.handshake?.msg3Sent ?? 0) >= 1, 'msg 3/4 sent');
      assert.equal(countLines(r.supplicant, 'WPA: Sending EAPOL-Key 2/4'), 1, 'one msg 2/4: no retransmission was needed');
      const m = await fetchMetrics(r.auth);
      assert.equal(m.get('airlock_handshakes_total{result="mic_failure"}'), 0);
      // The wire: one frame in (msg 2/4), frames out to the station's MAC, padded.
      assert.equal(r.driver.counters.framesReceived, 1);
      assert.equal(r.driver.counters.sendErrors, 0);
      assert.equal(r.driver.station(r.sta)?.static, true);
    } finally {
      await rig?.close();
      rig = undefined;
    }
  });

  void it('a wrong passphrase: 4 msg 1/4, 4 invalid msg 2/4 MICs, mic_failure, diagnosis "PSK mismatch"', async () => {
    try {
      rig = await startRig({
        network: wiredNetwork(SSID, { akms: ['psk'], passphrases: [PASSPHRASE] }),
        port: { akm: AKM.PSK },
        staticStation: true,
        staticRejoinMs: 0,
        supplicant: supplicantNetwork('not the passphrase'),
        tweak: (c) => {
          c.eapol.firstTimeoutNoTxStatusMs = 200;
          c.eapol.subsequentTimeoutMs = 200;
        },
      });
      const r = rig;
      const history = (): ReturnType<typeof r.auth.service.core.history> => r.auth.service.core.history(r.sta);
      assert.ok(await waitFor(() => history().length > 0, 5000), 'the handshake ends');
      const h = history()[0];
      assert.equal(h.result, 'mic_failure', `result ${h.result}: ${h.detail ?? ''}`);
      assert.equal(h.msg1Sent, 4, 'dot11RSNAConfigPairwiseUpdateCount = 4 transmissions of msg 1/4');
      assert.equal(h.micFailures, 4);
      assert.equal(h.msg3Sent, 0);
      assert.equal(h.diagnosis?.cause, 'psk-mismatch');
      assert.match(h.diagnosis?.text ?? '', /^PSK mismatch/);
      assert.equal(countLines(r.supplicant, /WPA: RX message 1 of 4-Way Handshake/), 4);
      assert.equal(countLines(r.supplicant, 'WPA: Sending EAPOL-Key 2/4'), 4);
      assert.equal(countLines(r.supplicant, /WPA: RX message 3 of 4-Way Handshake/), 0);
      const m = await fetchMetrics(r.auth);
      assert.equal(m.get('airlock_handshakes_total{result="mic_failure"}'), 1);
      // Disconnected with reason 15 (4-way handshake timeout): the driver forgot the station.
      assert.ok(await waitFor(() => r.driver.station(r.sta) === undefined, 2000), 'the driver forgets the disconnected station');
    } finally {
      await rig?.close();
      rig = undefined;
    }
  });
});
