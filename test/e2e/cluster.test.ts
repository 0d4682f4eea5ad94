/**
 * The authenticator on more than one core (issue 6 item 5): cluster.workers = 2, a real
 * authenticator process whose primary hands each agent connection to a worker, over mTLS.
 * The workers share their state through a real redis-server (issue 16), as separate
 * authenticators do.
 *
 * - agents spread over both workers, every station authorized, /metrics summed;
 * - an agent that reconnects to the other worker (this one holds its stations in reconnect
 *   grace) is taken over there: no station lost, no handshake rerun;
 * - a worker killed: its agents move to the other with their stations, none disconnected;
 * - PMKSA cache one for the cluster: a station authenticated by EAP (real FreeRADIUS) at an
 *   agent of one worker roams to an agent of the other with its PMKID: no EAP, no RADIUS,
 *   and the worker it left lets it go;
 * - a SIGHUP reload is done by the primary for every worker and counted once; the build info
 *   and each RADIUS server's up gauge are one series of value 1, not one per worker summed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EdgeAgent, SimDriver, simBsses, simStations } from '@airlock/edge-agent';
import { decodeEapol, decodeEapolKey, decodeKeyData, findKde, formatMac, KdeType } from '@airlock/rsn';
import { runCli } from '@airlock/authenticator/cli';
import { REPO_ROOT, startAuthenticatorProcess, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { accessRequestCount, CORP_SSID, metricSum, RADIUS_SECRET, startRadio, stationMac, ttlsStationSpec, type Radio } from '../support/enterprise.js';
import { startFreeRadius, type FreeRadius } from '../support/freeradius.js';
import { agentCredentials, serverTlsYaml, testPki, testPkiDir } from '../support/test-pki.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

const PSK_NETWORK = { ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 };

let redis: RedisServer;

async function startCluster(dir: string, name: string, extra: Record<string, unknown> = {}): Promise<AuthenticatorProcess> {
  await redis.command('FLUSHALL');
  return startAuthenticatorProcess(name, dir, {
    grpc: { plaintext: false, tls: serverTlsYaml() },
    cluster: { workers: 2 },
    redis: { url: redis.url, kek: randomBytes(32).toString('hex'), lease_ms: 3000 },
    log: { level: 'info' },
    networks: [PSK_NETWORK],
    ...extra,
  });
}

/** The worker each agent was last welcomed on, from the authenticator's log. */
function agentWorkers(auth: AuthenticatorProcess): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(auth.logFile, 'utf8').split('\n')) {
    if (!line.includes('"agent connected"')) continue;
    const rec = JSON.parse(line) as { agent?: string; worker?: number };
    if (rec.agent !== undefined && typeof rec.worker === 'number') out.set(rec.agent, rec.worker);
  }
  return out;
}

/** Worker id -> pid, from the primary's "worker ready" lines. */
function workerPids(auth: AuthenticatorProcess): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of readFileSync(auth.logFile, 'utf8').split('\n')) {
    if (!line.includes('"worker ready"')) continue;
    const rec = JSON.parse(line) as { workerId?: number; pid?: number };
    if (rec.workerId !== undefined && rec.pid !== undefined) out.set(rec.workerId, rec.pid);
  }
  return out;
}

function simAgent(id: string, n: number, target: string, stations: number): { agent: EdgeAgent; driver: SimDriver } {
  const t = { agentNumber: n, bsses: 2, stations, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
  const driver = new SimDriver({ bsses: simBsses(t), stations: simStations(t), behaviour: { joinSpreadMs: 200 }, seed: n });
  const agent = new EdgeAgent({ agentId: id, target, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials(id), backoffInitialMs: 100, backoffMaxMs: 500 });
  return { agent, driver };
}

void describe('authenticator on two workers (cluster.workers: 2)', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-cluster-'));
    redis = await startRedis();
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await redis.stop();
  });

  void it('spreads agents over both workers; every station is authorized; /metrics sums the workers', async () => {
    const auth = await startCluster(dir, 'spread');
    const agents: { agent: EdgeAgent; driver: SimDriver }[] = [];
    try {
      const m0 = await auth.metrics();
      assert.equal(m0.get('airlock_cluster_workers'), 2);
      for (let i = 1; i <= 4; i++) {
        const a = simAgent(`ap-${i}`, i, `127.0.0.1:${auth.grpcPort}`, 10);
        agents.push(a);
        await a.agent.start();
      }
      assert.ok(await waitFor(async () => agents.every((a) => a.driver.authorizedCount() === 10) && (await auth.metrics()).get('airlock_stations{state="authorized"}') === 40, 20_000), 'all 40 stations authorized');
      const m = await auth.metrics();
      assert.equal(m.get('airlock_agents_connected'), 4, 'agents summed over the workers');
      assert.equal(m.get('airlock_handshakes_total{result="success"}'), 40);
      assert.ok((m.get('process_cpu_seconds_total') ?? 0) > 0);
      const placed = agentWorkers(auth);
      assert.equal(placed.size, 4);
      const perWorker = new Map<number, number>();
      for (const w of placed.values()) perWorker.set(w, (perWorker.get(w) ?? 0) + 1);
      assert.deepEqual([...perWorker.values()], [2, 2], `two agents per worker: ${JSON.stringify([...placed])}`);
      for (const a of agents) for (const k of a.driver.keyViews()) assert.ok(k.apTk && k.stationTk?.equals(k.apTk), `${k.sta}: TK equal`);
      // The Admin API (the primary asks every worker): all agents and all 40 stations.
      const out: string[] = [];
      const cli = async (...args: string[]): Promise<unknown> => {
        out.length = 0;
        const code = await runCli([...args, '--server', `localhost:${auth.adminPort}`, '--pki-dir', testPkiDir(), '--json'], { out: (l) => out.push(l), err: (l) => out.push(l) });
        assert.equal(code, 0, out.join('\n'));
        return JSON.parse(out.join('\n'));
      };
      const listed = (await cli('agents')) as { agentId: string; worker: number; stations: number }[];
      assert.deepEqual(listed.map((a) => a.agentId), ['ap-1', 'ap-2', 'ap-3', 'ap-4']);
      assert.deepEqual(new Set(listed.map((a) => a.worker)).size, 2, 'agents of both workers');
      assert.equal(listed.reduce((n, a) => n + a.stations, 0), 40);
      assert.equal(((await cli('stations', '--state', 'authorized')) as unknown[]).length, 40);
    } finally {
      await Promise.allSettled(agents.map((a) => a.agent.stop()));
      await auth.stop();
    }
  });

  void it('an agent reconnecting to the other worker (this one holds its stations in grace) is taken over there: none lost, no handshake rerun', async () => {
    const auth = await startCluster(dir, 'moved', { agents: { reconnect_grace_s: 30 } });
    const proxy = await TcpProxy.start(auth.grpcPort);
    const a = simAgent('ap-5', 5, `127.0.0.1:${proxy.port}`, 8);
    const b = simAgent('ap-6', 6, `127.0.0.1:${auth.grpcPort}`, 8);
    const idle: Socket[] = [];
    try {
      await a.agent.start();
      await b.agent.start();
      assert.ok(await waitFor(() => a.driver.authorizedCount() === 8 && b.driver.authorizedCount() === 8, 10_000));
      const home = agentWorkers(auth).get('ap-5');
      assert.ok(home !== undefined && home !== agentWorkers(auth).get('ap-6'), 'the two agents on different workers');
      const successes = (await auth.metrics()).get('airlock_handshakes_total{result="success"}');
      // Cut ap-5's link and keep it out; meanwhile connections that never speak fill its
      // worker, so the next connection goes to the other worker.
      proxy.refuse(true);
      proxy.cut();
      const connectionsOf = async (w: number): Promise<number> => (await auth.metrics()).get(`airlock_cluster_worker_connections{worker="${w}"}`) ?? 0;
      const other = agentWorkers(auth).get('ap-6')!;
      assert.ok(await waitFor(async () => (await connectionsOf(home)) === 0, 5000), 'the cut connection closed');
      while ((await connectionsOf(home)) <= (await connectionsOf(other))) {
        idle.push(connect(auth.grpcPort, '127.0.0.1'));
        await new Promise((r) => setTimeout(r, 50));
      }
      const welcomed = new Promise<void>((resolve) => a.agent.once('welcome', () => resolve()));
      proxy.refuse(false);
      await welcomed;
      assert.equal(agentWorkers(auth).get('ap-5'), other, `welcomed by the other worker; log:\n${readFileSync(auth.logFile, 'utf8').slice(-4000)}`);
      // The worker it left lets its stations go (the takeover told it): 16 held, not 24.
      assert.ok(await waitFor(async () => (await auth.metrics()).get('airlock_stations{state="authorized"}') === 16, 5000));
      const m = await auth.metrics();
      assert.equal(a.driver.stats.disconnects, 0, 'no station disconnected');
      assert.equal(m.get('airlock_handshakes_total{result="success"}'), successes, 'no handshake rerun');
      assert.ok((m.get('airlock_store_takeovers_total{result="ok"}') ?? 0) >= 3, 'taken over from the shared store (one takeover per agent at first, one more)');
      console.log(`cluster reconnect: ${idle.length} idle connection(s) made the agent land on worker ${other}, which took it over; stations lost 0 of 8`);
    } finally {
      for (const s of idle) s.destroy();
      await Promise.allSettled([a.agent.stop(), b.agent.stop()]);
      await proxy.close();
      await auth.stop();
    }
  });

  void it('a worker killed: its agents reconnect to the other, which takes their stations over (none disconnected), and a new worker takes its place', async () => {
    const auth = await startCluster(dir, 'crash');
    const agents = [simAgent('ap-9', 9, `127.0.0.1:${auth.grpcPort}`, 6), simAgent('ap-10', 10, `127.0.0.1:${auth.grpcPort}`, 6)];
    try {
      for (const a of agents) await a.agent.start();
      assert.ok(await waitFor(() => agents.every((a) => a.driver.authorizedCount() === 6), 10_000));
      const placed = agentWorkers(auth);
      const victim = placed.get('ap-9')!;
      const survivor = agents[1];
      const pid = workerPids(auth).get(victim);
      assert.ok(pid !== undefined, 'the pid of ap-9\'s worker is in the log');
      const t0 = Date.now();
      process.kill(pid, 'SIGKILL');
      assert.ok(await waitFor(() => agentWorkers(auth).get('ap-9') !== victim, 10_000), 'ap-9 welcomed by another worker');
      assert.ok(await waitFor(async () => agents[0].driver.authorizedCount() === 6 && (await auth.metrics()).get('airlock_stations{state="authorized"}') === 12, 15_000), 'all authorized again');
      const took = Date.now() - t0;
      assert.equal(agents[0].driver.stats.disconnects, 0, "no station of ap-9 was disconnected: the other worker took them over from the shared store");
      assert.equal(survivor.driver.stats.disconnects, 0, 'the other worker\'s agent saw nothing');
      assert.ok(await waitFor(async () => (await auth.metrics()).get('airlock_cluster_workers') === 2, 15_000), 'a new worker took the dead one\'s place');
      console.log(`cluster worker killed: ap-9's 6 stations held by the other worker after ${took} ms, none disconnected; ap-10's stations untouched`);
    } finally {
      await Promise.allSettled(agents.map((a) => a.agent.stop()));
      await auth.stop();
    }
  });

  void it('SIGHUP: the primary reloads every worker and counts each reload once; build info and RADIUS server up are 1, not summed', async () => {
    // RADIUS servers nobody sends to (PSK only): every worker's client holds them alive.
    const server = (name: string) => ({ name, host: '127.0.0.1', auth_port: 9, acct_port: 9, secret: RADIUS_SECRET });
    const auth = await startCluster(dir, 'sighup', { radius: { servers: [server('one'), server('two')], interim_interval_s: 0 } });
    try {
      const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'services/authenticator/package.json'), 'utf8')) as { version: string };
      const series = (m: Map<string, number>, name: string): [string, number][] => [...m].filter(([k]) => k.startsWith(`${name}{`)).sort();
      const logged = (msg: string): number => readFileSync(auth.logFile, 'utf8').split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).length;
      const m0 = await auth.metrics();
      assert.equal(m0.get('airlock_cluster_workers'), 2);
      assert.deepEqual(series(m0, 'airlock_build_info'), [[`airlock_build_info{version="${version}"}`, 1]], 'one build, not one per process');
      assert.deepEqual(series(m0, 'airlock_config_reloads_total'), [['airlock_config_reloads_total{result="applied"}', 0], ['airlock_config_reloads_total{result="rejected"}', 0]]);
      assert.deepEqual(series(m0, 'airlock_radius_server_up'), [['airlock_radius_server_up{server="one"}', 1], ['airlock_radius_server_up{server="two"}', 1]], 'alive on both workers: 1, not 2');

      // A good file: server "two" goes, "three" comes, on both workers.
      writeFileSync(auth.configFile, `${JSON.stringify({ ...auth.config, radius: { servers: [server('one'), server('three')], interim_interval_s: 0 } }, null, 2)}\n`);
      auth.signal('SIGHUP');
      assert.ok(await waitFor(() => logged('configuration reloaded') === 1, 5000), 'reloaded');
      const m1 = await auth.metrics();
      assert.deepEqual(series(m1, 'airlock_config_reloads_total'), [['airlock_config_reloads_total{result="applied"}', 1], ['airlock_config_reloads_total{result="rejected"}', 0]], 'counted once, not once per worker');
      assert.deepEqual(series(m1, 'airlock_radius_server_up'), [['airlock_radius_server_up{server="one"}', 1], ['airlock_radius_server_up{server="three"}', 1]], 'the removed server is gone from every worker');

      // An invalid file: rejected by the primary before any worker sees it.
      writeFileSync(auth.configFile, '{"networks": [{"ssid": "x", "akms": ["psk"], "passphrases": ["short"]}]}\n');
      auth.signal('SIGHUP');
      assert.ok(await waitFor(() => logged('configuration reload rejected: the file is invalid; the running configuration stays') === 1, 5000), 'rejected');
      const m2 = await auth.metrics();
      assert.deepEqual(series(m2, 'airlock_config_reloads_total'), [['airlock_config_reloads_total{result="applied"}', 1], ['airlock_config_reloads_total{result="rejected"}', 1]]);
      assert.deepEqual(series(m2, 'airlock_build_info'), [[`airlock_build_info{version="${version}"}`, 1]]);
    } finally {
      await auth.stop();
    }
  });

  void describe('PMKSA cache shared by the workers', () => {
    let radius: FreeRadius;
    let auth: AuthenticatorProcess;
    let radio: Radio | undefined;
    before(async () => {
      const pki = testPki();
      radius = await startFreeRadius({ secret: RADIUS_SECRET, users: [{ name: 'alice', password: 'alice-pw' }], pki: { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key } });
      auth = await startCluster(dir, 'pmksa', {
        networks: [{ ssid: CORP_SSID, akms: ['8021x'], passphrases: [] }],
        radius: { servers: [{ name: 'primary', host: '127.0.0.1', auth_port: radius.authPort, acct_port: radius.acctPort, secret: RADIUS_SECRET }], interim_interval_s: 0 },
      });
    });
    after(async () => {
      await radio?.stop();
      await auth?.stop();
      await radius?.stop();
    });

    void it('a station authenticated at an agent of one worker roams to an agent of the other with its PMKID: no EAP, no RADIUS', async () => {
      const caPem = readFileSync(testPki().ca.cert, 'utf8');
      const sta = stationMac(60, 1);
      radio = await startRadio(auth, { agents: 2, stations: [ttlsStationSpec(sta, 'alice', 'alice-pw', caPem, { home: 0 })], behaviour: { rejoinAfterDisconnect: false } }, 7);
      assert.ok(await waitFor(() => agentWorkers(auth).size === 2, 5000), 'both agents welcomed');
      const workers = agentWorkers(auth);
      assert.ok(workers.get('ap-7') !== undefined && workers.get('ap-7') !== workers.get('ap-8'), `ap-7 and ap-8 on different workers: ${JSON.stringify([...workers])}`);
      assert.ok(await waitFor(() => radio!.sim.authorizedCount() === 1, 15_000), `EAP-TTLS through FreeRADIUS at ap-7; authenticator log:\n${readFileSync(auth.logFile, 'utf8').slice(-3000)}`);
      assert.ok(await waitFor(async () => metricSum(await auth.metrics(), 'airlock_stations', { state: 'authorized' }) === 1, 5000));
      const before = await auth.metrics();
      assert.equal(metricSum(before, 'airlock_eap_authentications_total', { result: 'accept' }), 1);
      const pmk = radio.sim.lastMsk(sta)!.subarray(0, 32);

      const to = radio.bssids[radio.bssIndex(1, 0)];
      radio.sim.join(sta, radio.bssIndex(1, 0));
      assert.ok(await waitFor(() => radio!.sim.keyViews().some((k) => k.sta === formatMac(sta) && k.state === 'authorized' && k.bssid === formatMac(to)), 5000), 'authorized at ap-8');
      // The worker the station left let it go: one station, authorized, in the sum.
      assert.ok(await waitFor(async () => metricSum(await auth.metrics(), 'airlock_stations') === 1 && metricSum(await auth.metrics(), 'airlock_stations', { state: 'authorized' }) === 1, 5000), 'the station is held by one worker only');
      const m = await auth.metrics();
      assert.equal(metricSum(m, 'airlock_eap_authentications_total'), metricSum(before, 'airlock_eap_authentications_total'), 'no EAP authentication for the roam');
      assert.equal(accessRequestCount(m), accessRequestCount(before), 'no Access-Request for the roam');
      assert.deepEqual(radio.views[1].eapTo(sta), [], 'ap-8 sent the station no EAP packet');
      const view = radio.sim.keyViews().find((k) => k.sta === formatMac(sta))!;
      assert.ok(view.apTk && view.stationTk?.equals(view.apTk), 'TK equal after the roam');
      // Msg 1/4 from ap-8 carries the PMKID of the PMK made at ap-7, for ap-8's BSSID.
      const f = decodeEapol(radio.views[1].keyFramesTo(sta)[0].frame);
      assert.ok(f.ok);
      const k = decodeEapolKey(f.value.body);
      assert.ok(k.ok);
      const kd = decodeKeyData(k.value.keyData);
      assert.ok(kd.ok);
      const want = createHmac('sha1', pmk).update('PMK Name', 'latin1').update(to).update(sta).digest().subarray(0, 16);
      assert.equal(findKde(kd.value, KdeType.PMKID)?.toString('hex'), want.toString('hex'), 'PMKID for the new AA');
      // Station events happen in the workers and reach the primary's Admin API (IPC), the
      // station's in order: EAP at ap-7, connected there, then connected at ap-8 from the cache.
      // The join at ap-8 is an event once the agent confirmed the port (the radio's view can
      // be ahead of it), and the primary holds events 50 ms to put them in time order: ask
      // until it is there.
      let out: string[] = [];
      const ask = async (): Promise<boolean> => {
        out = [];
        const code = await runCli(['events', '--sta', formatMac(sta), '--json', '--server', `localhost:${auth.adminPort}`, '--pki-dir', testPkiDir()], { out: (l) => out.push(l), err: (l) => out.push(l) });
        assert.equal(code, 0, out.join('\n'));
        return out.some((l) => (JSON.parse(l) as { kind: string; agentId: string }).kind === 'connected' && l.includes('"agentId":"ap-8"'));
      };
      await waitFor(ask, 5000);
      const events = out.map((l) => JSON.parse(l) as { kind: string; agentId: string; pmksaCached: boolean; seq: number });
      const connected = events.filter((e) => e.kind === 'connected');
      assert.deepEqual(connected.map((e) => [e.agentId, e.pmksaCached]), [['ap-7', false], ['ap-8', true]], JSON.stringify(events));
      assert.ok(events.findIndex((e) => e.kind === 'eap-success') < events.indexOf(connected[0]));
      assert.ok(events.every((e, i) => i === 0 || e.seq > events[i - 1].seq));
    });
  });
});
