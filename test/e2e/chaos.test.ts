/**
 * Chaos end to end (issue 5 item 5), each test printing its figures:
 * - `kill -9` of an agent process in the middle of its stations' handshakes, then a restart;
 * - the authenticator restarted while three agents' stations are joining;
 * - a TCP proxy between agents and authenticator that delays every chunk, stalls the link
 *   for seconds, and cuts it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import type { RunningAuthenticator } from '@airlock/authenticator';
import { EdgeAgent, SimDriver, simBsses, simStations } from '@airlock/edge-agent';
import { REPO_ROOT } from '../support/authenticator-process.js';
import { agentCredentials, testPkiDir } from '../support/test-pki.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { fetchMetrics, startTestAuthenticator, testConfig, TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

const AGENT_MAIN = join(REPO_ROOT, 'services/edge-agent/dist/main.js');

/** The sim agent as its own process (what `kill -9` can hit). */
function agentProcess(port: number, stations: number): ChildProcess {
  return spawn(process.execPath, [AGENT_MAIN, '--agent-id', 'ap-1', '--agent-number', '1', '--authenticator', `localhost:${port}`, '--pki-dir', testPkiDir(), '--bsses', '2', '--stations', String(stations), '--ssid', TEST_SSID, '--passphrase', TEST_PASSPHRASE, '--log-level', 'warn',
    // A lossy air: frames are lost and retransmitted, so handshakes last long enough to be cut.
    '--loss', '0.1', '--delay-ms', '1-5'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

const authorized = async (auth: RunningAuthenticator): Promise<number> => (await fetchMetrics(auth)).get('airlock_stations{state="authorized"}') ?? 0;

/** Sim agents in this process, through `target`. */
async function simAgents(target: string, n: number, stations: number, joinSpreadMs: number): Promise<{ agents: EdgeAgent[]; drivers: SimDriver[] }> {
  const agents: EdgeAgent[] = [];
  const drivers: SimDriver[] = [];
  for (let i = 1; i <= n; i++) {
    const t = { agentNumber: i, bsses: 2, stations, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
    const driver = new SimDriver({ bsses: simBsses(t), stations: simStations(t), behaviour: { joinSpreadMs }, seed: i });
    drivers.push(driver);
    agents.push(new EdgeAgent({ agentId: `ap-${i}`, target, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials(`ap-${i}`), backoffInitialMs: 100, backoffMaxMs: 1000 }));
  }
  await Promise.all(agents.map((a) => a.start()));
  return { agents, drivers };
}

void describe('chaos', () => {
  void it('kill -9 of an agent mid-handshake, then a restart: all its stations are authorized again', async () => {
    const STATIONS = 30;
    const auth = await startTestAuthenticator(testConfig());
    let child = agentProcess(auth.grpcPort, STATIONS);
    try {
      // Mid-join: some stations done, others in their handshakes (joins spread over 2 s).
      // Read and kill in the same tick, so the counts are those at the kill.
      let before = 0;
      let inFlight = 0;
      assert.ok(await waitFor(() => {
        const c = auth.service.core.phaseCounts();
        if (c.authorized < 5 || c.authenticating === 0) return false;
        before = c.authorized;
        inFlight = c.authenticating;
        child.kill('SIGKILL');
        return true;
      }, 15_000), 'some stations authorized, some in their handshakes');
      await new Promise<void>((r) => child.once('exit', () => r()));
      const t0 = Date.now();
      assert.ok(await waitFor(() => auth.service.agents().length === 0, 5000), 'the authenticator saw the stream go');
      child = agentProcess(auth.grpcPort, STATIONS);
      assert.ok(await waitFor(async () => (await authorized(auth)) === STATIONS && auth.service.core.size.stations === STATIONS, 40_000), `all ${STATIONS} authorized again`);
      const took = Date.now() - t0;
      const m = await fetchMetrics(auth);
      assert.equal(m.get('airlock_handshakes_total{result="mic_failure"}') ?? 0, 0);
      assert.ok(inFlight > 0);
      console.log(`chaos kill -9: ${before} of ${STATIONS} stations authorized and ${inFlight} in their handshakes when the agent was killed; the restarted agent (empty station table) had all ${STATIONS} authorized ${took} ms after the kill`);
    } finally {
      child.kill('SIGKILL');
      await auth.stop(500);
    }
  });

  void it('the authenticator restarts while 3 agents x 30 stations are joining: every station is authorized again', async () => {
    const N = 3;
    const STATIONS = 30;
    let auth = await startTestAuthenticator(testConfig());
    const proxy = await TcpProxy.start(auth.grpcPort);
    const { agents, drivers } = await simAgents(`localhost:${proxy.port}`, N, STATIONS, 3000);
    try {
      assert.ok(await waitFor(async () => (await authorized(auth)) >= 20, 10_000));
      const before = await authorized(auth);
      const t0 = Date.now();
      await auth.stop(500);
      auth = await startTestAuthenticator(testConfig());
      proxy.retarget(auth.grpcPort);
      proxy.cut();
      assert.ok(await waitFor(async () => drivers.every((d) => d.authorizedCount() === STATIONS) && (await authorized(auth)) === N * STATIONS, 30_000), `authorized: ${drivers.map((d) => d.authorizedCount()).join(', ')}`);
      const took = Date.now() - t0;
      for (const d of drivers) {
        assert.deepEqual(d.violations, []);
        for (const k of d.keyViews()) assert.ok(k.apTk && k.stationTk && k.apTk.equals(k.stationTk), `${k.sta}: TK equal`);
      }
      console.log(`chaos authenticator restart: ${before} of ${N * STATIONS} authorized at the restart (the rest joining); stations disconnected by the new authenticator ${drivers.reduce((s, d) => s + d.stats.disconnects, 0)}; all ${N * STATIONS} authorized again after ${took} ms`);
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
      await proxy.close();
      await auth.stop(500);
    }
  });

  void it('a link that delays, stalls and is cut: stations join through the delay, survive the stall and the cut without a disconnect', async () => {
    const N = 2;
    const STATIONS = 20;
    const auth = await startTestAuthenticator(testConfig(undefined, (c) => {
      c.grpc.keepaliveTimeMs = 20_000;
    }));
    const proxy = await TcpProxy.start(auth.grpcPort);
    proxy.delay(40);
    const t0 = Date.now();
    const { agents, drivers } = await simAgents(`localhost:${proxy.port}`, N, STATIONS, 1000);
    try {
      assert.ok(await waitFor(async () => drivers.every((d) => d.authorizedCount() === STATIONS) && (await authorized(auth)) === N * STATIONS, 30_000), 'all joined through a 40 ms each-way delay');
      const joinedIn = Date.now() - t0;
      const m1 = await fetchMetrics(auth);
      // A 3 s stall: bytes wait in the proxy, nothing is lost, nothing is torn down.
      proxy.stall(true);
      await new Promise((r) => setTimeout(r, 3000));
      proxy.stall(false);
      proxy.delay(0);
      // Group rekeys across the link after the stall reach every station.
      for (const d of drivers) for (const b of d.bsses()) assert.ok(auth.service.rekeyGroup(b.bssid));
      assert.ok(await waitFor(() => drivers.every((d) => d.bsses().every((b) => d.groupTxKeyId(b.bssid) === 2)), 10_000), 'the rekey after the stall completed');
      // Cut: the agents reconnect within the grace period.
      proxy.cut();
      assert.ok(await waitFor(() => agents.every((a) => a.counters.reconnects >= 1 && a.connected), 10_000), 'reconnected');
      const m2 = await fetchMetrics(auth);
      assert.equal(m2.get('airlock_stations{state="authorized"}'), N * STATIONS);
      assert.equal(drivers.reduce((s, d) => s + d.stats.disconnects, 0), 0, 'no station was disconnected');
      assert.equal(m2.get('airlock_handshakes_total{result="success"}'), m1.get('airlock_handshakes_total{result="success"}'), 'no handshake had to run again');
      for (const d of drivers) assert.deepEqual(d.violations, []);
      console.log(`chaos link: ${N * STATIONS} stations joined through a 40 ms each-way delay in ${joinedIn} ms; after a 3 s stall and a cut: stations lost 0, handshakes rerun 0, reconnects ${agents.map((a) => a.counters.reconnects).join('/')}`);
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
      await proxy.close();
      await auth.stop(500);
    }
  });
});
