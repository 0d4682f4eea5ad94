/**
 * Scenario failover (issue 16): `--instances` authenticator processes (default 3) on one
 * real redis-server, `--agents` simulated agents (default 1,000) with `--stations` stations
 * each (default 10: 10,000 in all) from the load generator process, each agent knowing every
 * instance and starting on one of them in turn. Every station joins; once Redis holds every
 * station's security association, the first instance is killed (SIGKILL). Its agents
 * reconnect to the next instance, which takes their BSSes over.
 *
 * failover_ms: per agent of the killed instance, from its stream lost to its next Welcome
 * (the instance sends it once the agent's stations' state is restored), at the agent.
 * stations_disconnected, handshakes_repeated, eap_repeated: what the failover cost the
 * stations (all must be 0). redis_ops_per_join: Redis operations of every instance during
 * the joins, per join.
 */
import { randomBytes } from 'node:crypto';
import { intOption, round, type BenchContext, type BenchResult, type Scenario } from '../scenario.js';
import { startAuthenticatorProcess, type AuthenticatorProcess } from '../../support/authenticator-process.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { measurePskCryptoFloor } from '../support/crypto-floor.js';
import { LoadProcess } from '../support/load-process.js';
import { quantile } from '../support/stats.js';

const SSID = 'airlock-bench-failover';
const PASSPHRASE = 'bench passphrase 123';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function sum(insts: AuthenticatorProcess[], name: string, match: (key: string) => boolean = (k) => k === name): Promise<number> {
  let n = 0;
  for (const a of insts) for (const [k, v] of await a.metrics()) if (match(k)) n += v;
  return n;
}

/** Security associations in Redis: fields s:<sta> of every BSS hash. */
async function stored(redis: RedisServer): Promise<number> {
  const text = await redis.command('EVAL', "local n = 0 for _, k in ipairs(redis.call('KEYS', 'airlock:bss:*')) do for _, f in ipairs(redis.call('HKEYS', k)) do if string.sub(f, 1, 2) == 's:' then n = n + 1 end end end return n", '0');
  return Number(/^:(\d+)/.exec(text)?.[1] ?? NaN);
}

async function runFailover(ctx: BenchContext): Promise<BenchResult> {
  const instances = intOption(ctx, 'instances', 3);
  const agents = intOption(ctx, 'agents', 1000);
  const perAgent = intOption(ctx, 'stations', 10);
  const concurrency = intOption(ctx, 'concurrency', 1024);
  const timeoutMs = intOption(ctx, 'timeout-s', 300) * 1000;
  if (instances < 2) throw new Error('--instances: at least 2 (one is killed)');
  const floorUs = measurePskCryptoFloor(intOption(ctx, 'floor-iterations', 20000));
  const redis = await startRedis();
  const config = {
    grpc: { plaintext: true, max_pending_handshakes_per_source: 1_000_000 },
    log: { level: 'warn' },
    agents: { reconnect_grace_s: 30 },
    redis: { url: redis.url, kek: randomBytes(32).toString('hex') },
    networks: [{ ssid: SSID, akms: ['psk'], passphrases: [PASSPHRASE], group_rekey_s: 0 }],
  };
  const insts: AuthenticatorProcess[] = [];
  let load: LoadProcess | undefined;
  try {
    for (let i = 0; i < instances; i++) insts.push(await startAuthenticatorProcess(`failover-${i}`, ctx.workDir, config));
    ctx.progress(`failover: ${instances} instances on Redis ${redis.url}; ${agents} agents x ${perAgent} stations`);
    load = await LoadProcess.start({ target: insts[0].grpcTarget, alternates: insts.slice(1).map((a) => a.grpcTarget), agents, stationsPerAgent: perAgent, bssesPerAgent: 1, ssid: SSID, passphrase: PASSPHRASE, firstAgentNumber: 1, ownConnections: true });
    await load.connect(timeoutMs);
    const cpu0 = insts.map((a) => a.procCpuUs());
    const ops0 = await sum(insts, '', (k) => k.startsWith('airlock_store_operations_total') || k.startsWith('airlock_store_takeovers_total'));
    const run = await load.joinAll(concurrency, timeoutMs);
    ctx.progress(`failover: ${run.joined} joined in ${round(run.wallMs / 1000)} s`);
    const end = Date.now() + timeoutMs;
    while ((await stored(redis)) < run.joined && Date.now() < end) await sleep(100);
    const ops = (await sum(insts, '', (k) => k.startsWith('airlock_store_operations_total') || k.startsWith('airlock_store_takeovers_total'))) - ops0;
    const cpu = insts.map((a) => a.procCpuUs()).reduce((n, c, i) => n + c - cpu0[i], 0);
    const rssKb = insts.reduce((n, a) => n + a.rssKb(), 0);

    const victim = insts[0];
    const vm = await victim.metrics();
    const moving = vm.get('airlock_agents_connected') ?? 0;
    const movingStations = vm.get('airlock_stations{state="authorized"}') ?? 0;
    const survivors = insts.slice(1);
    const success0 = await sum(survivors, 'airlock_handshakes_total{result="success"}');
    const eap0 = await sum(survivors, '', (k) => k.startsWith('airlock_eap_authentications_total'));
    await load.watchFailovers();
    const before = await load.failovers();
    ctx.progress(`failover: killing instance 0 (${moving} agents, ${movingStations} stations)`);
    victim.signal('SIGKILL');
    await victim.stop();
    let after = await load.failovers();
    while ((after.ms.length < moving || (await sum(survivors, 'airlock_stations{state="authorized"}')) < run.joined) && Date.now() < end) {
      await sleep(50);
      after = await load.failovers();
    }
    const held = await sum(survivors, 'airlock_stations{state="authorized"}');
    const check = await load.check();
    return {
      scenario: 'failover',
      instances,
      stations: run.joined,
      stations_disconnected: after.disconnects - before.disconnects,
      eap_repeated: (await sum(survivors, '', (k) => k.startsWith('airlock_eap_authentications_total'))) - eap0,
      failover_ms_p50: round(quantile(after.ms, 0.5), 1),
      failover_ms_p99: round(quantile(after.ms, 0.99), 1),
      redis_ops_per_join: round(ops / run.joined, 2),
      agents,
      handshakes_per_s: round(run.joined / (run.wallMs / 1000)),
      join_p50_ms: round(quantile(run.latenciesMs, 0.5), 2),
      join_p99_ms: round(quantile(run.latenciesMs, 0.99), 2),
      auth_cpu_us_per_handshake: round(cpu / run.joined, 1),
      crypto_floor_us_per_handshake: round(floorUs, 1),
      rss_mb: round(rssKb / 1024),
      rss_kb_per_station: round(rssKb / run.joined, 2),
      agents_moved: after.ms.length,
      agents_not_back: moving - after.ms.length,
      stations_moved: movingStations,
      stations_held_after: held,
      handshakes_repeated: (await sum(survivors, 'airlock_handshakes_total{result="success"}')) - success0,
      rejoins: after.joins - before.joins,
      failover_ms_max: round(after.ms.reduce((m, x) => Math.max(m, x), 0), 1),
      key_mismatches: check.keyMismatches,
      ordering_violations: check.violations,
      agent_link: 'plaintext, one TCP connection per agent',
    };
  } finally {
    await load?.stop();
    for (const a of insts) await a.stop();
    await redis.stop();
  }
}

/** The failover scenario. */
export const failover: Scenario = {
  name: 'failover',
  summary: 'several instances on Redis; the one serving a third of the agents is killed: failover time, stations disconnected (0)',
  options: { instances: '3', agents: '1000', stations: '10 (per agent)', concurrency: '1024', 'floor-iterations': '20000', 'timeout-s': '300' },
  run: runFailover,
};
