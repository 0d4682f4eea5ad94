/**
 * End to end over real gRPC on 127.0.0.1: authenticator + 3 sim agents x 20 stations.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningAuthenticator } from '@airlock/authenticator';
import type { EdgeAgent, SimDriver } from '@airlock/edge-agent';
import { fetchMetrics, startSimAgents, startTestAuthenticator, waitFor } from '../support/topology.js';

void describe('PSK end to end over gRPC: 3 agents x 20 stations', () => {
  let auth: RunningAuthenticator;
  let agents: EdgeAgent[];
  let drivers: SimDriver[];

  before(async () => {
    auth = await startTestAuthenticator();
    ({ agents, drivers } = await startSimAgents(auth, 3, 20));
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await auth.stop(500);
  });

  void it('authorizes all 60 stations', async () => {
    const ok = await waitFor(() => drivers.every((d) => d.authorizedCount() === 20), 15000);
    assert.ok(ok, `authorized: ${drivers.map((d) => d.authorizedCount()).join(', ')}`);
    // The radio opens the port before the authenticator hears the agent confirm it.
    let m = await fetchMetrics(auth);
    await waitFor(async () => (m = await fetchMetrics(auth)).get('airlock_stations{state="authorized"}') === 60, 5000);
    assert.equal(m.get('airlock_agents_connected'), 3);
    assert.equal(m.get('airlock_stations{state="authorized"}'), 60);
    assert.equal(m.get('airlock_handshakes_total{result="success"}'), 60);
    assert.equal(m.get('airlock_handshakes_total{result="mic_failure"}'), 0);
    assert.equal(m.get('airlock_join_duration_seconds_count{akm="psk"}'), 60);
  });

  void it('installs on the agent side exactly the TK and GTK each supplicant derived', () => {
    let checked = 0;
    for (const d of drivers) {
      assert.deepEqual(d.violations, []);
      for (const k of d.keyViews()) {
        assert.equal(k.state, 'authorized', k.sta);
        assert.ok(k.apTk && k.stationTk, `${k.sta}: keys on both sides`);
        assert.ok(k.apTk.equals(k.stationTk), `${k.sta}: TK installed at the agent equals the station's`);
        assert.ok(k.stationGtk && k.apGtk, `${k.sta}: GTK on both sides`);
        assert.ok(k.apGtk.equals(k.stationGtk.gtk), `${k.sta}: GTK equal`);
        checked++;
      }
    }
    assert.equal(checked, 60);
  });
});
