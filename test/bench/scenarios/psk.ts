/**
 * Scenarios psk-burst and psk-steady (issue 6): WPA2-PSK joins against a real authenticator
 * process over mTLS, from the load generator process (test/bench/load/main.ts: sim agents
 * whose stations run packages/supplicant).
 *
 * - psk-burst: closed loop, `--concurrency` joins in flight at all times: the maximum rate.
 * - psk-steady: open loop at half of that maximum (measured first in the same run, or
 *   `--rate`), for the join latency at a sustainable load.
 *
 * A join is association -> msg 1/4 .. msg 4/4 -> key install -> port authorized, timed by
 * the load generator. Before the measured pass every station joins once and leaves (JIT,
 * PSK cache, connection warm-up); the measured pass is each station's second join.
 * `auth_cpu_us_per_handshake` is the authenticator's CPU over the measured pass divided by
 * its joins; `crypto_floor_us_per_handshake` is the same handshake's crypto alone
 * (crypto-floor.ts measurePskCryptoFloor), measured in this process before the load starts.
 */
import { intOption, round, type BenchContext, type BenchResult, type Scenario } from '../scenario.js';
import { measurePskCryptoFloor } from '../support/crypto-floor.js';
import { measured, startJoinRig, warmUp, type JoinRig } from '../support/join-rig.js';
import { flameGraphSvg, type CpuProfile } from '../support/flamegraph.js';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { startRedis } from '../../support/redis.js';
import { join } from 'node:path';

const SSID = 'airlock-bench-psk';
const PASSPHRASE = 'bench passphrase 123';

/** The rig of the PSK scenarios: one WPA2-PSK network, the PSK handshake's floor. */
function startRig(ctx: BenchContext, name: string, nodeArgs: string[] = []): Promise<JoinRig> {
  return startJoinRig(ctx, name, { ssid: SSID, passphrase: PASSPHRASE, network: { akms: ['psk'], group_rekey_s: 0 }, floor: measurePskCryptoFloor }, nodeArgs);
}

async function runBurst(ctx: BenchContext): Promise<BenchResult> {
  const concurrency = intOption(ctx, 'concurrency', 1024);
  const timeoutMs = intOption(ctx, 'timeout-s', 120) * 1000;
  // --flame FILE: profile the authenticator over the whole run and draw it as a flame graph.
  const flame = ctx.options.get('flame');
  const profDir = join(ctx.workDir, 'psk-burst-profile');
  const rig = await startRig(ctx, 'psk-burst', flame === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
  let stopped = false;
  try {
    await warmUp(ctx, 'psk-burst', rig, concurrency, timeoutMs);
    ctx.progress(`psk-burst: measuring ${rig.stations} joins, ${concurrency} at a time`);
    const r = await measured('psk-burst', rig, () => rig.load.joinAll(concurrency, timeoutMs), { concurrency });
    lastBurstRate = r.handshakes_per_s;
    if (flame !== undefined) {
      await rig.stop(); // the profile is written as the process exits
      stopped = true;
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (file === undefined) throw new Error(`no CPU profile in ${profDir}`);
      const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile;
      writeFileSync(flame, flameGraphSvg(profile, `airlock authenticator, psk-burst (${String(r.handshakes)} joins at ${r.handshakes_per_s}/s after as many warm-up joins; idle time left out)`));
      ctx.progress(`psk-burst: flame graph in ${flame}`);
      return { ...r, flame_graph: flame };
    }
    return r;
  } finally {
    if (!stopped) await rig.stop();
  }
}

/** The maximum rate psk-burst measured in this run (psk-steady runs at half of it). */
let lastBurstRate: number | undefined;

async function runSteady(ctx: BenchContext): Promise<BenchResult> {
  const timeoutMs = intOption(ctx, 'timeout-s', 120) * 1000;
  const concurrency = intOption(ctx, 'concurrency', 1024);
  const rig = await startRig(ctx, 'psk-steady');
  try {
    await warmUp(ctx, 'psk-steady', rig, concurrency, timeoutMs);
    let max = lastBurstRate;
    const given = ctx.options.get('rate');
    if (given !== undefined) max = 2 * intOption(ctx, 'rate', 1);
    if (max === undefined) {
      // No burst result in this run: measure the maximum here (the warm-up left every station away).
      ctx.progress('psk-steady: measuring the maximum rate first (closed loop)');
      const b = await rig.load.joinAll(concurrency, timeoutMs);
      max = b.joined / (b.wallMs / 1000);
      await rig.load.leaveAll();
      while (((await rig.auth.metrics()).get('airlock_stations{state="authorized"}') ?? 0) > 0) await new Promise((r) => setTimeout(r, 50));
    }
    const rate = Math.max(1, Math.round(max / 2));
    ctx.progress(`psk-steady: measuring ${rig.stations} joins at ${rate}/s (half of ${round(max)}/s)`);
    return await measured('psk-steady', rig, () => rig.load.joinAtRate(rate, timeoutMs), { offered_rate_per_s: rate, max_rate_per_s: round(max) });
  } finally {
    await rig.stop();
  }
}

const OPTIONS = { agents: '8', stations: '1000 (per agent)', bsses: '4', concurrency: '1024', 'floor-iterations': '20000', 'timeout-s': '120', workers: '1 (cluster.workers of the authenticator)' };

/** The psk-burst scenario. */
export const pskBurst: Scenario = {
  name: 'psk-burst',
  summary: 'WPA2-PSK joins, closed loop: the maximum handshake rate',
  options: { ...OPTIONS, flame: '(none: FILE.svg draws the authenticator CPU profile)' },
  run: runBurst,
};

/** The psk-steady scenario. */
export const pskSteady: Scenario = {
  name: 'psk-steady',
  summary: 'WPA2-PSK joins, open loop at half the psk-burst maximum (or --rate): join latency',
  options: { ...OPTIONS, rate: '(half of the psk-burst maximum)' },
  run: runSteady,
};

/**
 * psk-burst twice in one run, with `base` options and then with `variant` options added:
 * the second run's line, named `scenario`, with the ratio of the two join rates as
 * `ratioField` and the first run's figures as `<prefix>_*`.
 */
async function burstPair(ctx: BenchContext, scenario: string, base: Record<string, string>, variant: Record<string, string>, ratioField: string, prefix: string): Promise<BenchResult> {
  const withOptions = (o: Record<string, string>): BenchContext => ({ ...ctx, options: new Map([...ctx.options, ...Object.entries(o)]) });
  const first = await runBurst(withOptions(base));
  ctx.progress(`${scenario}: ${first.handshakes_per_s}/s first; now ${JSON.stringify(variant)}`);
  const second = await runBurst(withOptions({ ...base, ...variant }));
  return {
    ...second,
    scenario,
    [ratioField]: round(second.handshakes_per_s / first.handshakes_per_s, 2),
    [`${prefix}_handshakes_per_s`]: first.handshakes_per_s,
    [`${prefix}_auth_cpu_us_per_handshake`]: first.auth_cpu_us_per_handshake,
    [`${prefix}_load_cpu_us_per_handshake`]: first['load_cpu_us_per_handshake'],
    [`${prefix}_join_p99_ms`]: first.join_p99_ms,
  };
}

/**
 * psk-cores: psk-burst against a single-process authenticator, then against one with two
 * workers (cluster.workers: 2, sharing their state through a Redis of their own), in the
 * same run: the 1 -> 2 core scaling ratio. The load generator and Redis run on the same two
 * cores throughout.
 */
function runCores(ctx: BenchContext): Promise<BenchResult> {
  return burstPair(ctx, 'psk-cores', { workers: '1' }, { workers: '2' }, 'core_scaling_ratio', 'workers_1');
}

/** The psk-cores scenario. */
export const pskCores: Scenario = {
  name: 'psk-cores',
  summary: 'psk-burst on 1 worker, then on 2 (cluster.workers, on a Redis of their own): the 1 -> 2 core scaling ratio',
  options: (({ workers: _, ...rest }) => rest)(OPTIONS),
  run: runCores,
};

/**
 * psk-redis: psk-burst against one authenticator without a shared store, then with Redis
 * (redis.url: every authorized station's security association written to a real
 * redis-server, leases renewed), in the same run: the join rate ratio (issue 16 target:
 * >= 0.8). Redis runs on the same two cores.
 */
async function runPskRedis(ctx: BenchContext): Promise<BenchResult> {
  const redis = await startRedis();
  try {
    return await burstPair(ctx, 'psk-redis', {}, { 'redis-url': redis.url }, 'redis_join_rate_ratio', 'without_redis');
  } finally {
    await redis.stop();
  }
}

/** The psk-redis scenario. */
export const pskRedis: Scenario = {
  name: 'psk-redis',
  summary: 'psk-burst without a shared store, then with Redis: the join rate ratio',
  options: OPTIONS,
  run: runPskRedis,
};
