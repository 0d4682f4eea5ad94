/**
 * The rig of the closed-loop join benchmarks (psk-burst and its kin, sae-burst): a real
 * authenticator process over mTLS serving one network, the load generator process
 * (load-process.ts) with its sim agents, the crypto floor of one join measured in this
 * process before either starts, the warm-up pass, and the measured pass turned into the
 * contract line (scenario.ts BenchResult).
 */
import { histogramQuantile } from '@airlock/authenticator';
import { intOption, round, type BenchContext, type BenchResult } from '../scenario.js';
import { startAuthenticatorProcess, type AuthenticatorProcess } from '../../support/authenticator-process.js';
import { testPki, TEST_PKI_AGENTS } from '../../support/test-pki.js';
import { startRedis } from '../../support/redis.js';
import { randomBytes } from 'node:crypto';
import { LoadProcess } from './load-process.js';
import type { JoinRun } from './sim-load.js';
import { quantile } from './stats.js';

/** What the rig serves and how its floor is measured. */
export interface JoinRigSpec {
  ssid: string;
  /** The passphrase of the PSK network, or the SAE password. */
  passphrase: string;
  /** The rest of networks[0] of the authenticator's configuration (akms, sae, ...), beside ssid and passphrases. */
  network: Record<string, unknown>;
  /** The load's BSSes are SAE-only and its stations WPA3 (LoadSpec.wpa3). */
  wpa3?: boolean;
  /** The crypto floor of one join in CPU µs, over `iterations` (crypto-floor.ts). */
  floor(iterations: number): number;
  /** Defaults of the options `stations` (per agent; 1000) and `floor-iterations` (20000). */
  defaults?: { stations?: number; floorIterations?: number };
}

/** A running rig. */
export interface JoinRig {
  auth: AuthenticatorProcess;
  workers: number;
  load: LoadProcess;
  agents: number;
  stations: number;
  bsses: number;
  floorUs: number;
  stop(): Promise<void>;
}

/** Starts the rig: options agents, stations (per agent), bsses (per agent), floor-iterations, workers, redis-url. */
export async function startJoinRig(ctx: BenchContext, name: string, spec: JoinRigSpec, nodeArgs: string[] = []): Promise<JoinRig> {
  const agents = intOption(ctx, 'agents', 8);
  const perAgent = intOption(ctx, 'stations', spec.defaults?.stations ?? 1000);
  const bsses = intOption(ctx, 'bsses', 4);
  const floorIterations = intOption(ctx, 'floor-iterations', spec.defaults?.floorIterations ?? 20000);
  const workers = intOption(ctx, 'workers', 1);
  const certified = TEST_PKI_AGENTS.filter((a) => /^ap-\d+$/.test(a)).length;
  if (agents > certified) throw new Error(`--agents: at most ${certified} (agents with a test certificate)`);
  const pki = testPki();
  // Measured first, while this process is otherwise quiet.
  const floorUs = spec.floor(floorIterations);
  ctx.progress(`${name}: crypto floor ${round(floorUs)} µs per join (${floorIterations} iterations)`);
  // Workers share their state through Redis (cluster.workers > 1 needs redis.url): one of their own unless --redis-url gives it.
  const ownRedis = workers !== 1 && ctx.options.get('redis-url') === undefined ? await startRedis() : undefined;
  const redisUrl = ctx.options.get('redis-url') ?? ownRedis?.url;
  const auth = await startAuthenticatorProcess(`${name}-authenticator`, ctx.workDir, {
    grpc: { plaintext: false, tls: { cert: pki.authenticator.cert, key: pki.authenticator.key, ca: pki.ca.cert, agent_ca: pki.issuers.agent.cert } },
    log: { level: 'warn' },
    cluster: { workers },
    // A few very large simulated agents carry the whole load: lift the per-agent caps that
    // protect against one misbehaving AP (documented in BENCHMARKS.md).
    limits: { agent_messages_per_s: 10_000_000, agent_message_burst: 10_000_000, max_stations_per_bss: 1_000_000, max_stations_per_agent: 10_000_000, eapol_per_station_per_s: 100, eapol_burst_per_station: 100 },
    networks: [{ ssid: spec.ssid, passphrases: [spec.passphrase], ...spec.network }],
    // --redis-url (psk-redis, or the workers' own): the shared store on, every authorized station's state written to it.
    ...(redisUrl === undefined ? {} : { redis: { url: redisUrl, kek: randomBytes(32).toString('hex') } }),
  }, { nodeArgs });
  ctx.progress(`${name}: authenticator pid ${auth.pid}, ${workers} worker(s) (log ${auth.logFile})`);
  let load: LoadProcess | undefined;
  try {
    load = await LoadProcess.start({
      target: `localhost:${auth.grpcTarget.split(':')[1]}`,
      agents,
      stationsPerAgent: perAgent,
      bssesPerAgent: bsses,
      ssid: spec.ssid,
      passphrase: spec.passphrase,
      firstAgentNumber: 1,
      pkiDir: pki.dir,
      ...(spec.wpa3 === true ? { wpa3: true } : {}),
    });
    await load.connect();
  } catch (e) {
    await load?.stop();
    await auth.stop();
    await ownRedis?.stop();
    throw e;
  }
  const l = load;
  return {
    auth,
    workers,
    load: l,
    agents,
    stations: agents * perAgent,
    bsses: agents * bsses,
    floorUs,
    async stop() {
      await l.stop();
      await auth.stop();
      await ownRedis?.stop();
    },
  };
}

/** Joins every station once and lets it leave again (warm-up). */
export async function warmUp(ctx: BenchContext, name: string, rig: JoinRig, concurrency: number, timeoutMs: number): Promise<void> {
  ctx.progress(`${name}: warm-up: ${rig.stations} joins, ${concurrency} at a time`);
  const w = await rig.load.joinAll(concurrency, timeoutMs);
  if (w.joined !== rig.stations) throw new Error(`warm-up: ${w.joined}/${rig.stations} joined (failures ${JSON.stringify(w.failures)}, timed out ${w.timedOut}); see ${rig.auth.logFile}`);
  await rig.load.leaveAll();
  const until = Date.now() + 30_000;
  while (((await rig.auth.metrics()).get('airlock_stations{state="authorized"}') ?? 0) > 0) {
    if (Date.now() > until) throw new Error('warm-up: stations still authorized 30 s after leaving');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The change of an authenticator metric over the measured pass (0 when absent). */
export type MetricDelta = (key: string) => number;

/**
 * Runs `pass` and builds the contract line from what it and the authenticator measured:
 * the contract's fields, `extra`, the common ones, then what `more` adds from the
 * authenticator's metric changes over the pass.
 */
export async function measured(name: string, rig: JoinRig, pass: () => Promise<JoinRun>, extra: Record<string, unknown>, more?: (d: MetricDelta) => Record<string, unknown>): Promise<BenchResult> {
  const m0 = await rig.auth.metrics();
  const cpu0 = await rig.auth.cpuUs();
  const loadCpu0 = rig.load.cpuUs();
  const rss0 = rig.auth.rssKb();
  const run = await pass();
  const cpu1 = await rig.auth.cpuUs();
  const loadCpu1 = rig.load.cpuUs();
  const m1 = await rig.auth.metrics();
  const rss1 = rig.auth.rssKb();
  const check = await rig.load.check();
  const d = (k: string): number => (m1.get(k) ?? 0) - (m0.get(k) ?? 0);
  const hist = new Map<string, number>();
  for (const [k, v] of m1) if (k.startsWith('airlock_join_duration_seconds')) hist.set(k, v - (m0.get(k) ?? 0));
  const ok = run.joined;
  return {
    scenario: name,
    agents: rig.agents,
    stations: ok,
    handshakes_per_s: round(ok / (run.wallMs / 1000)),
    join_p50_ms: round(quantile(run.latenciesMs, 0.5), 2),
    join_p99_ms: round(quantile(run.latenciesMs, 0.99), 2),
    auth_cpu_us_per_handshake: round((cpu1 - cpu0) / ok, 1),
    crypto_floor_us_per_handshake: round(rig.floorUs, 1),
    rss_mb: round(rss1 / 1024),
    rss_kb_per_station: round((rss1 - rss0) / ok, 2),
    workers: rig.workers,
    ...extra,
    handshakes: ok,
    failed: run.failed,
    failures: run.failures,
    timed_out: run.timedOut,
    duration_s: round(run.wallMs / 1000, 2),
    cpu_ratio_to_floor: round((cpu1 - cpu0) / ok / rig.floorUs, 2),
    auth_handshakes_success: d('airlock_handshakes_total{result="success"}'),
    auth_handshakes_failed: d('airlock_handshakes_total{result="mic_failure"}') + d('airlock_handshakes_total{result="timeout"}'),
    server_join_p50_ms: round(histogramQuantile(hist, 'airlock_join_duration_seconds', 0.5) * 1000, 2),
    server_join_p99_ms: round(histogramQuantile(hist, 'airlock_join_duration_seconds', 0.99) * 1000, 2),
    load_cpu_us_per_handshake: round((loadCpu1 - loadCpu0) / ok, 1),
    key_mismatches: check.keyMismatches,
    ordering_violations: check.violations,
    ...more?.(d),
  };
}
