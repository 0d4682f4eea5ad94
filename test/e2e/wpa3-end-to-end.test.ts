/**
 * WPA3-Personal end to end over real gRPC on 127.0.0.1: an authenticator with an SAE-only
 * network and a transition-mode network, sim agents whose stations run SAE over the relayed
 * Authentication frames (the agent relays them as it relays EAPOL), then the 4-way
 * handshake with AKM 8 and PMF. A station with a wrong password fails at the Confirm and
 * never starts a handshake; the Admin API's explain says so.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AKM } from '@airlock/rsn';
import type { RunningAuthenticator } from '@airlock/authenticator';
import { runCli } from '@airlock/authenticator/cli';
import type { EdgeAgent, SimDriver } from '@airlock/edge-agent';
import { fetchMetrics, pskNetwork, startSimAgents, startTestAuthenticator, testConfig, TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';
import { testPkiDir } from '../support/test-pki.js';

const TRANSITION_SSID = 'airlock-transition';
const STATIONS = 12;

void describe('WPA3-Personal end to end over gRPC', () => {
  let auth: RunningAuthenticator;
  let agents: EdgeAgent[];
  let drivers: SimDriver[];

  before(async () => {
    auth = await startTestAuthenticator(
      testConfig([pskNetwork({ akms: ['sae'] }), pskNetwork({ ssid: TRANSITION_SSID, akms: ['psk', 'sae'], passphrases: [TEST_PASSPHRASE] })]),
    );
    // Agent 1: SAE only; its last station has a wrong password. Agent 2: transition mode, every second station WPA3.
    ({ agents, drivers } = await startSimAgents(auth, 2, STATIONS, (i) => {
      if (i === 1) {
        return {
          bsses: [1, 2].map((b) => ({ bssid: Buffer.from([0x02, 0xa1, 0, 1, 0, b]), ssid: TEST_SSID, akm: AKM.SAE })),
          stations: Array.from({ length: STATIONS }, (_v, s) => ({ mac: Buffer.from([0x02, 0x5a, 0, 1, 0, s + 1]), passphrase: s === STATIONS - 1 ? 'not the password' : TEST_PASSPHRASE, wpa3: true })),
          behaviour: { joinSpreadMs: 200, rejoinAfterDisconnect: false, awayMs: [600_000, 600_000] },
        };
      }
      return {
        bsses: [1, 2].map((b) => ({ bssid: Buffer.from([0x02, 0xa1, 0, 2, 0, b]), ssid: TRANSITION_SSID, sae: true })),
        stations: Array.from({ length: STATIONS }, (_v, s) => ({ mac: Buffer.from([0x02, 0x5a, 0, 2, 0, s + 1]), passphrase: TEST_PASSPHRASE, wpa3: s % 2 === 1 })),
      };
    }));
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await auth.stop(500);
  });

  void it('SAE stations and WPA2 stations join; the wrong password fails at the Confirm, counted, with no handshake', async () => {
    const ok = await waitFor(() => drivers[0].authorizedCount() === STATIONS - 1 && drivers[1].authorizedCount() === STATIONS, 20000);
    assert.ok(ok, `authorized: ${drivers.map((d) => d.authorizedCount()).join(', ')}`);
    await waitFor(() => drivers[0].saeFailuresOf(Buffer.from([0x02, 0x5a, 0, 1, 0, STATIONS])) > 0, 5000);
    let m = await fetchMetrics(auth);
    await waitFor(async () => (m = await fetchMetrics(auth)).get('airlock_stations{state="authorized"}') === 2 * STATIONS - 1, 5000);
    assert.equal(m.get('airlock_stations{state="authorized"}'), 2 * STATIONS - 1);
    // SAE: every WPA3 station of agent 1 and half of agent 2's; the wrong password once.
    assert.equal(m.get('airlock_sae_authentications_total{result="accepted"}'), STATIONS - 1 + STATIONS / 2);
    assert.equal(m.get('airlock_sae_authentications_total{result="wrong_password"}'), 1);
    assert.equal(m.get('airlock_join_duration_seconds_count{akm="sae"}'), STATIONS - 1 + STATIONS / 2);
    assert.equal(m.get('airlock_join_duration_seconds_count{akm="psk"}'), STATIONS / 2);
    assert.equal(m.get('airlock_handshakes_total{result="mic_failure"}'), 0, 'a wrong SAE password never reaches the 4-way handshake');
    for (const d of drivers) assert.deepEqual(d.violations, []);
    // The TK each WPA3 station derived from its SAE PMK is the one the agent installed.
    for (const k of drivers[0].keyViews().filter((v) => v.state === 'authorized')) assert.ok(k.apTk !== undefined && k.stationTk !== undefined && k.apTk.equals(k.stationTk), k.sta);
  });

  void it('`airlock explain` names the wrong password for the station that could not join', async () => {
    const out: string[] = [];
    const code = await runCli(['explain', '02:5a:00:01:00:0c', '--server', `localhost:${auth.adminPort}`, '--pki-dir', testPkiDir()], { out: (l) => out.push(l), err: (l) => out.push(l) });
    const text = out.join('\n');
    assert.equal(code, 0, text);
    assert.match(text, /not associated now/);
    assert.match(text, /sae {2}SAE failed \(wrong password\)/);
  });
});
