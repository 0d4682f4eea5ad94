/**
 * Scenarios scale and mass-rejoin (issue 6): one authenticator process, `--agents` agent
 * streams (default 10,000), each on its own TCP connection, with `--stations` stations each
 * (default 10: 100,000 in all), from the load generator process.
 *
 * - scale: connects every agent, joins every station (closed loop), then holds them idle;
 *   reports the authenticator's RSS and V8 heap per agent stream (connected, no stations)
 *   and per station (joined, after the idle period).
 * - mass-rejoin: joins every station, then restarts the authenticator: the agents
 *   reconnect, their Hellos list stations the new process cannot vouch for, every one is
 *   disconnected and rejoins at once. Reports the time from the restart until all are
 *   authorized again, and the handshakes that timed out.
 *
 * AgentLink runs over mTLS as in production (`--link mtls`, the default: a certificate per
 * agent from fleet-pki.ts), or in plaintext (`--link plaintext`). The agents are sim agents
 * with one BSS each.
 */
import { histogramQuantile } from '@airlock/authenticator';
import { intOption, round, type BenchContext, type BenchResult, type Scenario } from '../scenario.js';
import { startAuthenticatorProcess, type AuthenticatorProcess } from '../../support/authenticator-process.js';
import { measurePskCryptoFloor } from '../support/crypto-floor.js';
import { fleetPki } from '../support/fleet-pki.js';
import { LoadProcess } from '../support/load-process.js';
import { serverTlsYaml } from '../../support/test-pki.js';
import { quantile } from '../support/stats.js';
import { startRedis } from '../../support/redis.js';
import { randomBytes } from 'node:crypto';

const SSID = 'airlock-bench-scale';
const PASSPHRASE = 'bench passphrase 123';

type Link = 'mtls' | 'plaintext';

function linkOption(ctx: BenchContext): Link {
  const v = ctx.options.get('link') ?? 'mtls';
  if (v !== 'mtls' && v !== 'plaintext') throw new Error(`--link: mtls or plaintext, got ${JSON.stringify(v)}`);
  return v;
}

function authConfig(link: Link, workers: number): Record<string, unknown> {
  return {
    cluster: { workers },
    // Workers share their state through Redis (filled in by the scenario that starts it).
    ...(workers === 1 ? {} : { redis: { url: '', kek: randomBytes(32).toString('hex') } }),
    // Every simulated AP connects from 127.0.0.1, where a real fleet comes from as many
    // addresses as APs: the per-source cap on handshakes (TLS, or the HTTP/2 preface in
    // plaintext) would hold the whole fleet to 64 at a time (grpc.max_pending_handshakes, the
    // total, still applies). Plaintext too: without it a mass rejoin's 10,000 reconnects
    // were refused 64 at a time, again and again.
    grpc: link === 'mtls' ? { plaintext: false, tls: serverTlsYaml(), max_pending_handshakes_per_source: 1_000_000 } : { plaintext: true, max_pending_handshakes_per_source: 1_000_000 },
    log: { level: 'warn' },
    agents: { reconnect_grace_s: 30 },
    networks: [{ ssid: SSID, akms: ['psk'], passphrases: [PASSPHRASE], group_rekey_s: 0 }],
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitAuthorized(auth: AuthenticatorProcess, n: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (((await auth.metrics()).get('airlock_stations{state="authorized"}') ?? 0) >= n) return true;
    await sleep(200);
  }
  return false;
}

async function heapKb(auth: AuthenticatorProcess): Promise<number> {
  return ((await auth.metrics()).get('nodejs_heap_size_used_bytes') ?? NaN) / 1024;
}

/** What both scenarios share: options, the authenticator's configuration, the agents' certificates, the crypto floor (measured first, while quiet). */
interface Shared {
  agents: number;
  perAgent: number;
  concurrency: number;
  timeoutMs: number;
  floorUs: number;
  config: Record<string, unknown>;
  /** The agents' certificates (mTLS), or undefined (plaintext). */
  pkiDir: string | undefined;
  /** Fields every result line ends with. */
  linkFields: { agent_link: string; workers: number };
}

function shared(ctx: BenchContext): Shared {
  const agents = intOption(ctx, 'agents', 10_000);
  const link = linkOption(ctx);
  const workers = intOption(ctx, 'workers', 1);
  return {
    agents,
    perAgent: intOption(ctx, 'stations', 10),
    concurrency: intOption(ctx, 'concurrency', 1024),
    timeoutMs: intOption(ctx, 'timeout-s', 600) * 1000,
    floorUs: measurePskCryptoFloor(intOption(ctx, 'floor-iterations', 20000)),
    config: authConfig(link, workers),
    pkiDir: link === 'mtls' ? fleetPki(agents, (t) => ctx.progress(t)) : undefined,
    linkFields: { agent_link: `${link === 'mtls' ? 'mTLS' : 'plaintext'}, one TCP connection per agent`, workers },
  };
}

/** The load generator for `auth`: `agents` agents of `perAgent` stations, each on its own connection. */
function startLoad(auth: AuthenticatorProcess, o: { agents: number; perAgent: number; pkiDir: string | undefined }, rejoinAfterDisconnectMs?: number): Promise<LoadProcess> {
  // mTLS: dial the name in the authenticator's certificate (an IP address as TLS server name is deprecated).
  const target = o.pkiDir === undefined ? auth.grpcTarget : `localhost:${auth.grpcPort}`;
  return LoadProcess.start({ target, agents: o.agents, stationsPerAgent: o.perAgent, bssesPerAgent: 1, ssid: SSID, passphrase: PASSPHRASE, firstAgentNumber: 1, ownConnections: true, rejoinAfterDisconnectMs, pkiDir: o.pkiDir });
}

async function runScale(ctx: BenchContext): Promise<BenchResult> {
  const { agents, perAgent, concurrency, timeoutMs, floorUs, config, pkiDir, linkFields } = shared(ctx);
  const idleS = intOption(ctx, 'idle-s', 10);
  const redis = linkFields.workers === 1 ? undefined : await startRedis();
  if (redis !== undefined) (config['redis'] as { url: string }).url = redis.url;
  const auth = await startAuthenticatorProcess('scale-authenticator', ctx.workDir, config).catch(async (e: unknown) => {
    await redis?.stop();
    throw e;
  });
  let load: LoadProcess | undefined;
  try {
    await sleep(1000);
    const rss0 = auth.rssKb();
    const heap0 = await heapKb(auth);
    ctx.progress(`scale: ${agents} agents x ${perAgent} stations; authenticator pid ${auth.pid}, RSS ${round(rss0 / 1024)} MiB`);
    load = await startLoad(auth, { agents, perAgent, pkiDir });
    const tc = Date.now();
    await load.connect(timeoutMs);
    const connectS = (Date.now() - tc) / 1000;
    await sleep(2000);
    const rss1 = auth.rssKb();
    const heap1 = await heapKb(auth);
    ctx.progress(`scale: ${agents} streams connected in ${round(connectS)} s; RSS ${round(rss1 / 1024)} MiB`);
    const cpu0 = await auth.cpuUs();
    const run = await load.joinAll(concurrency, timeoutMs);
    const cpu1 = await auth.cpuUs();
    ctx.progress(`scale: ${run.joined} joined in ${round(run.wallMs / 1000)} s; holding idle ${idleS} s`);
    await sleep(idleS * 1000);
    const rss2 = auth.rssKb();
    const heap2 = await heapKb(auth);
    const check = await load.check();
    const m = await auth.metrics();
    return {
      scenario: 'scale',
      agents,
      stations: run.joined,
      handshakes_per_s: round(run.joined / (run.wallMs / 1000)),
      join_p50_ms: round(quantile(run.latenciesMs, 0.5), 2),
      join_p99_ms: round(quantile(run.latenciesMs, 0.99), 2),
      auth_cpu_us_per_handshake: round((cpu1 - cpu0) / run.joined, 1),
      crypto_floor_us_per_handshake: round(floorUs, 1),
      rss_mb: round(rss2 / 1024),
      rss_kb_per_station: round((rss2 - rss1) / run.joined, 2),
      rss_kb_per_agent_stream: round((rss1 - rss0) / agents, 2),
      heap_kb_per_station: round((heap2 - heap1) / run.joined, 2),
      heap_kb_per_agent_stream: round((heap1 - heap0) / agents, 2),
      rss_mb_start: round(rss0 / 1024),
      rss_mb_streams: round(rss1 / 1024),
      connect_s: round(connectS, 1),
      idle_s: idleS,
      failed: run.failed,
      timed_out: run.timedOut,
      agents_connected: m.get('airlock_agents_connected'),
      stations_authorized: m.get('airlock_stations{state="authorized"}'),
      key_mismatches: check.keyMismatches,
      ordering_violations: check.violations,
      ...linkFields,
    };
  } finally {
    await load?.stop();
    await auth.stop();
    await redis?.stop();
  }
}

async function runMassRejoin(ctx: BenchContext): Promise<BenchResult> {
  // Workers share their stations through Redis, where a restart keeps them: nothing would rejoin.
  if (intOption(ctx, 'workers', 1) !== 1) throw new Error('--workers: mass-rejoin measures a restart that forgets every station; workers keep them in the shared store (see the failover scenario): use 1');
  const { agents, perAgent, concurrency, timeoutMs, floorUs, config, pkiDir, linkFields } = shared(ctx);
  let auth = await startAuthenticatorProcess('mass-rejoin-authenticator', ctx.workDir, config);
  let load: LoadProcess | undefined;
  try {
    const port = Number(auth.grpcTarget.split(':')[1]);
    load = await startLoad(auth, { agents, perAgent, pkiDir }, 0);
    await load.connect(timeoutMs);
    const first = await load.joinAll(concurrency, timeoutMs);
    ctx.progress(`mass-rejoin: ${first.joined} joined in ${round(first.wallMs / 1000)} s; restarting the authenticator`);
    const total = first.joined;
    // Every station rejoins by itself once the new authenticator disconnects it: time those joins at the stations.
    await load.watchJoins();
    const t0 = Date.now();
    await auth.stop();
    // The same port: the agents reconnect to where they were.
    auth = await startAuthenticatorProcess('mass-rejoin-authenticator-2', ctx.workDir, config, { grpcPort: port });
    const rssStart = auth.rssKb();
    const ok = await waitAuthorized(auth, total, timeoutMs);
    const tookS = (Date.now() - t0) / 1000;
    const rejoinMs = await load.joinLatencies();
    const m = await auth.metrics();
    const check = await load.check();
    return {
      scenario: 'mass-rejoin',
      agents,
      stations: m.get('airlock_stations{state="authorized"}') ?? 0,
      handshakes_per_s: round((m.get('airlock_handshakes_total{result="success"}') ?? 0) / tookS),
      // As in every scenario: association to port authorized, timed at the stations (here
      // the rejoins after the restart). The server's histogram, as server_join_*.
      join_p50_ms: round(quantile(rejoinMs, 0.5), 2),
      join_p99_ms: round(quantile(rejoinMs, 0.99), 2),
      auth_cpu_us_per_handshake: round(((m.get('process_cpu_seconds_total') ?? NaN) * 1e6) / (m.get('airlock_handshakes_total{result="success"}') ?? NaN), 1),
      crypto_floor_us_per_handshake: round(floorUs, 1),
      rss_mb: round(auth.rssKb() / 1024),
      // The new process's RSS growth from its start (agents reconnecting) over the stations.
      rss_kb_per_station: round((auth.rssKb() - rssStart) / (m.get('airlock_stations{state="authorized"}') ?? NaN), 2),
      rejoin_s: round(tookS, 2),
      rejoins_timed: rejoinMs.length,
      server_join_p50_ms: round(histogramQuantile(m, 'airlock_join_duration_seconds', 0.5) * 1000, 2),
      server_join_p99_ms: round(histogramQuantile(m, 'airlock_join_duration_seconds', 0.99) * 1000, 2),
      all_authorized: ok,
      handshake_timeouts: m.get('airlock_handshakes_total{result="timeout"}') ?? 0,
      handshake_failures: (m.get('airlock_handshakes_total{result="mic_failure"}') ?? 0) + (m.get('airlock_handshakes_total{result="rejected"}') ?? 0),
      key_mismatches: check.keyMismatches,
      ordering_violations: check.violations,
      ...linkFields,
    };
  } finally {
    await load?.stop();
    await auth.stop();
  }
}

const OPTIONS = { agents: '10000', stations: '10 (per agent)', concurrency: '1024', 'floor-iterations': '20000', 'timeout-s': '600', link: 'mtls (or plaintext)', workers: '1 (cluster.workers of the authenticator; more share their state through a Redis the scenario starts; scale only)' };

/** The scale scenario. */
export const scale: Scenario = {
  name: 'scale',
  summary: '10,000 agent streams and 100,000 stations joined, then idle: RSS per station and per agent stream',
  options: { ...OPTIONS, 'idle-s': '10' },
  run: runScale,
};

/** The mass-rejoin scenario. */
export const massRejoin: Scenario = {
  name: 'mass-rejoin',
  summary: 'every station rejoins at once after an authenticator restart: time until all are authorized, timeouts',
  options: OPTIONS,
  run: runMassRejoin,
};
