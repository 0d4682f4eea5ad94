/**
 * Scenario eap-tls (issue 3 "Benchmark"): the WPA2-Enterprise join rate through airlock
 * against the same FreeRADIUS driven directly, without airlock, by the same EAP peer code
 * acting as its own RADIUS client. Same FreeRADIUS, same certificates, same concurrency,
 * the same number of authentications on each path (`--n` per round), the paths alternating
 * over `--rounds` rounds in one run:
 *
 * - direct:  EapPeer -> RadiusClient -> FreeRADIUS (EAP-TLS until Access-Accept; MSK checked
 *            against MS-MPPE keys).
 * - airlock: sim agents (this process) -> gRPC -> authenticator process -> RADIUS ->
 *            FreeRADIUS, then the 4-way handshake; a join ends when the port is authorized.
 *
 * `ratio` = airlock joins/s / direct authentications/s, each over all rounds. The stations
 * of every round stay joined (and their agents connected) to the end, so `rss_kb_per_station`
 * is the authenticator's RSS growth from before the first round over all joined stations.
 */
import { RadiusClient, type RadiusServer } from '@airlock/radius';
import { AKM } from '@airlock/rsn';
import { histogramQuantile } from '@airlock/authenticator';
import { intOption, round, type BenchContext, type BenchResult, type Scenario } from '../scenario.js';
import { startAuthenticatorProcess, type AuthenticatorProcess } from '../../support/authenticator-process.js';
import { measureEapTlsCryptoFloor, recordConversation } from '../support/crypto-floor.js';
import { runDirect } from '../support/direct-eap.js';
import { procCpuUs } from '../../support/proc.js';
import { BENCH_RADIUS_SECRET, startRadiusFixture } from '../support/radius-fixture.js';
import { SimLoad } from '../support/sim-load.js';
import { quantile } from '../support/stats.js';

const SSID = 'airlock-bench-corp';

/** Counter and histogram samples of `after` minus `before` (same keys). */
function delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) out.set(k, v - (before.get(k) ?? 0));
  return out;
}

/** Sums of one path over the rounds. */
interface PathTotals {
  ok: number;
  failed: number;
  wallMs: number;
  latenciesMs: number[];
  /** CPU of this process (the load, or the direct path's peer and RADIUS client), in µs. */
  runnerCpuUs: number;
  /** CPU of radiusd, in µs. */
  radiusCpuUs: number;
}

function totals(): PathTotals {
  return { ok: 0, failed: 0, wallMs: 0, latenciesMs: [], runnerCpuUs: 0, radiusCpuUs: 0 };
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const n = intOption(ctx, 'n', 200);
  const rounds = intOption(ctx, 'rounds', 3);
  const concurrency = intOption(ctx, 'concurrency', 20);
  const agents = intOption(ctx, 'agents', 4);
  const bsses = intOption(ctx, 'bsses', 2);
  // At least 1000 joins before the measured rounds: with fewer, V8's optimizing compiler is
  // still working on background threads during them (about 1 ms of CPU per join that a
  // --cpu-prof of the main thread cannot see), and code changes are judged against that noise.
  const warmup = intOption(ctx, 'warmup', 1000);
  const certificates = intOption(ctx, 'certificates', 4);
  const floorIterations = intOption(ctx, 'floor-iterations', 3000);
  const timeoutMs = intOption(ctx, 'timeout-s', 180) * 1000;
  const perAgent = Math.ceil(n / agents);
  const perRound = perAgent * agents; // both paths: `n` rounded up to a multiple of `agents`

  ctx.progress(`eap-tls: FreeRADIUS + PKI (${certificates} client certificates)`);
  const fx = await startRadiusFixture(certificates);
  const radiusCpu = (): number => (fx.radiusPid === undefined ? NaN : procCpuUs(fx.radiusPid));
  const secret = Buffer.from(BENCH_RADIUS_SECRET);
  const server: RadiusServer = { name: 'freeradius', host: '127.0.0.1', authPort: fx.radius.authPort, acctPort: fx.radius.acctPort, secret };
  const client = new RadiusClient({ servers: [server] });
  const loads: SimLoad[] = [];
  let auth: AuthenticatorProcess | undefined;
  try {
    const conversation = await recordConversation(server, fx.eapTls(0), SSID);
    ctx.progress(`eap-tls: one EAP-TLS (${conversation.tlsVersion ?? '?'}) authentication = ${conversation.roundTrips.length} RADIUS round trips`);
    // Measured first, while this process is otherwise quiet.
    const floor = measureEapTlsCryptoFloor(conversation, secret, floorIterations);

    await client.start();
    auth = await startAuthenticatorProcess('eap-tls-authenticator', ctx.workDir, {
      log: { level: 'info' },
      // The direct path sends no accounting; neither does airlock here, so FreeRADIUS does the same work.
      radius: { servers: [{ name: 'freeradius', host: '127.0.0.1', auth_port: fx.radius.authPort, acct_port: fx.radius.acctPort, secret: BENCH_RADIUS_SECRET }], accounting: false },
      networks: [{ ssid: SSID, akms: ['8021x'], group_rekey_s: 0 }],
    });
    ctx.progress(`eap-tls: authenticator pid ${auth.pid} (log ${auth.logFile})`);
    const simOptions = { target: auth.grpcTarget, bssesPerAgent: bsses, ssid: SSID, akm: AKM.IEEE8021X, eap: (i: number) => fx.eapTls(i) };

    // Warm-up of both paths (JIT, FreeRADIUS threads); not measured.
    const directWarm = await runDirect(client, warmup, concurrency, (i) => fx.eapTls(i), SSID);
    if (directWarm.failed > 0) throw new Error(`direct path warm-up: ${directWarm.failed} failed: ${directWarm.errors.join('; ')}`);
    const warm = new SimLoad({ ...simOptions, agents: 1, stationsPerAgent: warmup, firstAgentNumber: 900 });
    loads.push(warm);
    await warm.connect();
    const warmRun = await warm.joinAll(concurrency, timeoutMs);
    if (warmRun.joined !== warmup) throw new Error(`airlock path warm-up: ${warmRun.joined}/${warmup} joined (failures ${JSON.stringify(warmRun.failures)}, timed out ${warmRun.timedOut}); see ${auth.logFile}`);

    // Rounds alternate the paths, so that drift (heap growth, FreeRADIUS state) hits both alike.
    const direct = totals();
    const airlock = totals();
    const failures: Record<string, number> = {};
    const roundRatios: number[] = [];
    const roundRates: { airlock: number[]; direct: number[] } = { airlock: [], direct: [] };
    const directErrors: string[] = [];
    let timedOut = 0;
    let authCpu = { total: 0, user: 0, system: 0, procfs: 0 };
    let served = { handshakes: 0, accepts: 0 };
    let joinHistogram = new Map<string, number>();
    const rss0 = auth.rssKb();
    for (let r = 0; r < rounds; r++) {
      ctx.progress(`eap-tls: round ${r + 1}/${rounds}: direct path, ${perRound} authentications, ${concurrency} at a time`);
      const fr0 = radiusCpu();
      const d = await runDirect(client, perRound, concurrency, (i) => fx.eapTls(i), SSID);
      direct.radiusCpuUs += radiusCpu() - fr0;
      direct.ok += d.ok;
      direct.failed += d.failed;
      direct.wallMs += d.wallMs;
      direct.latenciesMs.push(...d.latenciesMs);
      direct.runnerCpuUs += d.clientCpuUs;
      directErrors.push(...d.errors);

      ctx.progress(`eap-tls: round ${r + 1}/${rounds}: airlock path, ${agents} agents x ${perAgent} stations, ${concurrency} joining at a time`);
      const load = new SimLoad({ ...simOptions, agents, stationsPerAgent: perAgent, firstAgentNumber: 1 + r * agents });
      loads.push(load);
      await load.connect();
      const m0 = await auth.metrics();
      const proc0 = auth.procCpuUs();
      const fa0 = radiusCpu();
      const j = await load.joinAll(concurrency, timeoutMs);
      airlock.radiusCpuUs += radiusCpu() - fa0;
      const proc = auth.procCpuUs() - proc0;
      const md = delta(m0, await auth.metrics());
      airlock.ok += j.joined;
      airlock.failed += j.failed;
      airlock.wallMs += j.wallMs;
      airlock.latenciesMs.push(...j.latenciesMs);
      airlock.runnerCpuUs += j.loadCpuUs;
      timedOut += j.timedOut;
      for (const [k, v] of Object.entries(j.failures)) failures[k] = (failures[k] ?? 0) + v;
      const sample = (k: string): number => (md.get(k) ?? NaN) * 1e6;
      authCpu = {
        total: authCpu.total + sample('process_cpu_seconds_total'),
        user: authCpu.user + sample('process_cpu_user_seconds_total'),
        system: authCpu.system + sample('process_cpu_system_seconds_total'),
        procfs: authCpu.procfs + proc,
      };
      served = { handshakes: served.handshakes + (md.get('airlock_handshakes_total{result="success"}') ?? 0), accepts: served.accepts + (md.get('airlock_eap_authentications_total{result="accept"}') ?? 0) };
      joinHistogram = new Map([...md].filter(([k]) => k.startsWith('airlock_join_duration_seconds_bucket')).map(([k, v]) => [k, v + (joinHistogram.get(k) ?? 0)]));
      roundRates.airlock.push(round(j.joined / (j.wallMs / 1000)));
      roundRates.direct.push(round(d.ok / (d.wallMs / 1000)));
      roundRatios.push(round((j.joined / j.wallMs) / (d.ok / d.wallMs), 3));
    }
    const rss1 = auth.rssKb();
    const measuredLoads = loads.slice(1);
    const keyMismatches = loads.reduce((s, l) => s + l.keyMismatches(), 0);
    const violations = loads.reduce((s, l) => s + l.violations(), 0);
    if (direct.failed > 0) ctx.progress(`eap-tls: direct path: ${direct.failed} failed: ${directErrors.slice(0, 5).join('; ')}`);

    const rate = airlock.ok / (airlock.wallMs / 1000);
    const directRate = direct.ok / (direct.wallMs / 1000);
    const per = (us: number, count: number): number => round(us / count, 0);
    return {
      scenario: 'eap-tls',
      agents: measuredLoads.reduce((s, l) => s + l.agents.length, 0),
      stations: measuredLoads.reduce((s, l) => s + l.stations, 0),
      handshakes_per_s: round(rate),
      join_p50_ms: round(quantile(airlock.latenciesMs, 0.5)),
      join_p99_ms: round(quantile(airlock.latenciesMs, 0.99)),
      auth_cpu_us_per_handshake: per(authCpu.total, airlock.ok),
      crypto_floor_us_per_handshake: round(floor.totalUs),
      rss_mb: round(rss1 / 1024),
      rss_kb_per_station: round((rss1 - rss0) / airlock.ok),
      // -- this scenario's own fields
      rounds,
      concurrency,
      handshakes: airlock.ok,
      failed: airlock.failed,
      failures,
      timed_out: timedOut,
      key_mismatches: keyMismatches,
      ordering_violations: violations,
      duration_s: round(airlock.wallMs / 1000, 2),
      eap_method: 'EAP-TLS',
      tls_version: conversation.tlsVersion ?? null,
      radius_round_trips_per_auth: conversation.roundTrips.length,
      auth_handshakes_success: served.handshakes,
      auth_eap_accepts: served.accepts,
      auth_cpu_user_us_per_handshake: per(authCpu.user, airlock.ok),
      auth_cpu_system_us_per_handshake: per(authCpu.system, airlock.ok),
      auth_cpu_us_per_handshake_procfs: per(authCpu.procfs, airlock.ok),
      server_join_p50_ms: round(histogramQuantile(joinHistogram, 'airlock_join_duration_seconds', 0.5) * 1000),
      server_join_p99_ms: round(histogramQuantile(joinHistogram, 'airlock_join_duration_seconds', 0.99) * 1000),
      load_cpu_us_per_handshake: per(airlock.runnerCpuUs, airlock.ok),
      radius_cpu_us_per_auth: per(airlock.radiusCpuUs, airlock.ok),
      crypto_floor: 'authenticator-side crypto of one EAP-TLS join: RADIUS request signing, response verification, MS-MPPE decryption + 4-way handshake (PTK, 3 MICs, GTK key wrap, PMKID); no TLS',
      crypto_floor_radius_us: round(floor.radiusUs),
      crypto_floor_4way_us: round(floor.fourWayUs),
      direct_auths: direct.ok,
      direct_failed: direct.failed,
      direct_auths_per_s: round(directRate),
      direct_p50_ms: round(quantile(direct.latenciesMs, 0.5)),
      direct_p99_ms: round(quantile(direct.latenciesMs, 0.99)),
      direct_duration_s: round(direct.wallMs / 1000, 2),
      direct_client_cpu_us_per_auth: per(direct.runnerCpuUs, direct.ok),
      direct_radius_cpu_us_per_auth: per(direct.radiusCpuUs, direct.ok),
      round_handshakes_per_s: roundRates.airlock,
      round_direct_auths_per_s: roundRates.direct,
      round_ratios: roundRatios,
      ratio: round(rate / directRate, 3),
    };
  } finally {
    await Promise.all(loads.map((l) => l.stop()));
    await client.close();
    await auth?.stop();
    await fx.stop();
  }
}

/** The eap-tls scenario. */
export const eapTls: Scenario = {
  name: 'eap-tls',
  summary: 'EAP-TLS joins through airlock vs. the same EAP peer straight to the same FreeRADIUS (ratio); needs root and FreeRADIUS',
  options: { n: '200', rounds: '3', concurrency: '20', agents: '4', bsses: '2', warmup: '1000', certificates: '4', 'floor-iterations': '3000', 'timeout-s': '180' },
  run,
};
