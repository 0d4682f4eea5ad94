/**
 * Reconnect and reconciliation (issue 5 item 2, DESIGN.md "Reconnect") over real gRPC with
 * mTLS: a TCP proxy between the agent and the authenticator cuts the link; the agent
 * reconnects with backoff and its Hello carries its station table.
 *
 * - back within the grace period: no station is disconnected, keys and replay counters
 *   stay, and the next group rekey reaches every station;
 * - back after it: the stations the authenticator no longer holds are disconnected cleanly
 *   and authenticate again;
 * - the authenticator restarts: the same, as it holds nothing.
 * Each prints its figures (stations lost, time until all are authorized again).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { EdgeAgent, SimDriver, simBsses, simStations } from '@airlock/edge-agent';
import type { RunningAuthenticator } from '@airlock/authenticator';
import { agentCredentials } from '../support/test-pki.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { fetchMetrics, startTestAuthenticator, testConfig, TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

const STATIONS = 12;

interface Rig {
  auth: RunningAuthenticator;
  proxy: TcpProxy;
  driver: SimDriver;
  agent: EdgeAgent;
  close(): Promise<void>;
}

async function rig(graceS: number): Promise<Rig> {
  const auth = await startTestAuthenticator(testConfig(undefined, (c) => {
    c.agents.reconnectGraceS = graceS;
  }));
  const proxy = await TcpProxy.start(auth.grpcPort);
  const t = { agentNumber: 1, bsses: 2, stations: STATIONS, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
  const driver = new SimDriver({ bsses: simBsses(t), stations: simStations(t), behaviour: { joinSpreadMs: 300 }, seed: 7 });
  const agent = new EdgeAgent({ agentId: 'ap-1', target: `127.0.0.1:${proxy.port}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials('ap-1'), backoffInitialMs: 100, backoffMaxMs: 500 });
  await agent.start();
  const r: Rig = {
    auth,
    proxy,
    driver,
    agent,
    close: async () => {
      await agent.stop();
      await proxy.close();
      await r.auth.stop(500);
    },
  };
  return r;
}

/** Stations authorized at the radio and at the authenticator. */
async function allAuthorized(r: Rig, ms: number): Promise<boolean> {
  return waitFor(async () => r.driver.authorizedCount() === STATIONS && (await fetchMetrics(r.auth)).get('airlock_stations{state="authorized"}') === STATIONS, ms);
}

const disconnectsOf = (d: SimDriver): number => d.stats.disconnects;

void describe('agent reconnect and reconciliation', () => {
  void it('back within the grace period: no station is disconnected, keys stay, the next group rekey reaches all', async () => {
    const r = await rig(30);
    try {
      assert.ok(await allAuthorized(r, 10_000), 'all stations authorized first');
      const before = await fetchMetrics(r.auth);
      const successes = before.get('airlock_handshakes_total{result="success"}');
      const tks = new Map(r.driver.keyViews().map((k) => [k.sta, k.stationTk]));
      const welcomed = new Promise<void>((resolve) => r.agent.once('welcome', () => resolve()));
      const t0 = Date.now();
      r.proxy.cut();
      await welcomed;
      const back = Date.now() - t0;
      // The authenticator kept every station through the outage and after the new Hello.
      assert.equal(r.auth.service.core.phaseCounts().authorized, STATIONS);
      assert.ok(await allAuthorized(r, 2000));
      assert.equal(disconnectsOf(r.driver), 0, 'no Disconnect reached any station');
      const after = await fetchMetrics(r.auth);
      assert.equal(after.get('airlock_handshakes_total{result="success"}'), successes, 'no station had to run a new handshake');
      for (const k of r.driver.keyViews()) assert.ok(k.stationTk && tks.get(k.sta)?.equals(k.stationTk), `${k.sta}: same TK`);
      // The next group rekey reaches every station of both BSSes.
      for (const b of r.driver.bsses()) {
        const from = r.auth.service.core.groupKeyId(b.bssid);
        assert.ok(r.auth.service.rekeyGroup(b.bssid));
        assert.ok(await waitFor(() => r.driver.groupTxKeyId(b.bssid) !== from, 5000), 'the radio switched to the new GTK');
      }
      for (const k of r.driver.keyViews()) {
        assert.ok(k.stationGtk && k.apGtk?.equals(k.stationGtk.gtk), `${k.sta}: holds the new GTK`);
      }
      assert.equal(disconnectsOf(r.driver), 0);
      console.log(`reconnect within grace: link cut, agent welcomed again after ${back} ms; stations lost 0 of ${STATIONS}; handshakes rerun 0`);
    } finally {
      await r.close();
    }
  });

  void it('back after the grace period: its stations are disconnected cleanly and authenticate again', async () => {
    const r = await rig(1);
    try {
      assert.ok(await allAuthorized(r, 10_000));
      const successes = (await fetchMetrics(r.auth)).get('airlock_handshakes_total{result="success"}') ?? 0;
      r.proxy.refuse(true);
      r.proxy.cut();
      assert.ok(await waitFor(() => r.auth.service.core.size.stations === 0, 5000), 'the stations are dropped when the grace period ends');
      const t0 = Date.now();
      r.proxy.refuse(false);
      assert.ok(await allAuthorized(r, 15_000), 'all authorized again');
      const took = Date.now() - t0;
      assert.equal(disconnectsOf(r.driver), STATIONS, 'each station the agent still had was disconnected once');
      const m = await fetchMetrics(r.auth);
      assert.equal(m.get('airlock_handshakes_total{result="success"}'), successes + STATIONS, 'each ran a new handshake');
      for (const k of r.driver.keyViews()) assert.ok(k.apTk && k.stationTk && k.apTk.equals(k.stationTk), `${k.sta}: TK equal after re-authentication`);
      console.log(`reconnect after grace: stations lost ${STATIONS} of ${STATIONS}, all authorized again ${took} ms after the agent could reconnect`);
    } finally {
      await r.close();
    }
  });

  void it('the authenticator restarts under the agent: stations it cannot vouch for re-authenticate', async () => {
    const r = await rig(30);
    try {
      assert.ok(await allAuthorized(r, 10_000));
      const t0 = Date.now();
      await r.auth.stop(500);
      r.auth = await startTestAuthenticator(testConfig());
      r.proxy.retarget(r.auth.grpcPort);
      r.proxy.cut();
      assert.ok(await allAuthorized(r, 15_000), 'all authorized again by the new authenticator');
      const took = Date.now() - t0;
      assert.equal(disconnectsOf(r.driver), STATIONS, 'every station was disconnected once, then rejoined');
      assert.equal((await fetchMetrics(r.auth)).get('airlock_handshakes_total{result="success"}'), STATIONS);
      console.log(`authenticator restart: stations lost ${STATIONS} of ${STATIONS}, all authorized again after ${took} ms`);
    } finally {
      await r.close();
    }
  });
});
