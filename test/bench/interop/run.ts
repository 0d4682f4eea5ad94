#!/usr/bin/env node
/**
 * `npm run bench:interop [-- --n 20 --warmup 100 --methods peap,tls --gap-ms 50 --hop-samples 2000 --capture]`:
 * the same wpa_supplicant 2.10 (`-D wired -dd -t`, key_mgmt=IEEE8021X) and the same
 * FreeRADIUS 3.2, authenticated through two authenticators side by side (issue 4 item 3):
 *
 * - hostapd:  hostapd 2.10 driver=wired (ieee8021x=1) -> RADIUS -> FreeRADIUS, one process;
 * - airlock:  the wired agent (its own process, libpcap) -> gRPC -> the authenticator (its
 *             own process, services/authenticator/dist/main.js) -> RADIUS -> FreeRADIUS.
 *
 * Each path gets its own network namespace and veth pair (wpa_supplicant inside, the
 * authenticator's wired end outside). Per EAP method, after each supplicant's first
 * authentication and `--warmup` more per path, `--n` authentications per path are measured,
 * the paths taking turns (hostapd, airlock, airlock, hostapd, ...) so that drift on this
 * machine hits both alike. Each authentication is restarted with `wpa_cli reauthenticate`
 * (an EAPOL-Start from the authenticated supplicant; both authenticators answer it with a
 * new EAP-Request/Identity) and measured from wpa_supplicant's own log timestamps: from
 * CTRL-EVENT-EAP-STARTED (logged on receipt of the Request/Identity) to
 * CTRL-EVENT-EAP-SUCCESS. wpa_supplicant runs with fast_reauth=0, so every authentication
 * is a full one (FreeRADIUS has its TLS session cache off as well).
 *
 * `--capture` (profiling, needs tcpdump) adds where each EAPOL round trip spends its time,
 * hop by hop, from kernel packet timestamps (capture.ts).
 *
 * Prints one JSON line per method on stdout, then a table. Progress goes to stderr. Needs
 * root (namespaces, FreeRADIUS, libpcap). Every namespace and process it starts is removed
 * or stopped at the end, also when a step fails or the run is interrupted.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { round } from '../scenario.js';
import { startAuthenticatorProcess, type AuthenticatorProcess } from '../../support/authenticator-process.js';
import { serverTlsYaml, testPki } from '../../support/test-pki.js';
import { procCpuUs } from '../../support/proc.js';
import { quantile } from '../support/stats.js';
import { assertInteropPrerequisites, RADIUS_SECRET, startRadiusSide, type RadiusSide } from '../../interop/harness.js';
import { createVethNamespace, type VethNamespace } from '../../support/netns.js';
import { startWpaSupplicant, type WpaNetwork, type WpaSupplicant } from '../../support/wpa-supplicant.js';
import { startWiredAgent } from './airlock.js';
import { installChildHooks, type Child } from './child.js';
import { hostapdUnavailable, startHostapd } from './hostapd.js';
import { captureUnavailable, hopsOf, interfaceIndex, readCapture, startCapture, type Hops } from './capture.js';
import { authTiming, type AuthTiming } from './wpa-timing.js';
import { processHopRtt } from './hop-floor.js';
import { recorder } from '../support/record.js';

const run = promisify(execFile);

const WPA_CLI_BIN = '/usr/sbin/wpa_cli';
const SSID = 'airlock-bench-wired';
/** A full authentication takes tens of ms; this only bounds a hang. */
const AUTH_TIMEOUT_MS = 15_000;
/** wpa_supplicant's first EAPOL-Start comes about 2 s after it starts. */
const FIRST_AUTH_TIMEOUT_MS = 20_000;
const TARGET_RATIO = 1.2;
/** The wired agent's identity: a wired agent certificate of the test PKI (one agent at a time: the methods run in turn). */
const AGENT_ID = 'sw-1';
const USERS = { peap: { name: 'bob', password: 'bob password' }, tls: { name: 'alice' } };

type PathName = 'hostapd' | 'airlock';
type MethodName = 'peap' | 'tls';
const METHODS: Record<MethodName, { label: string; eapType: number }> = {
  peap: { label: 'PEAP/MSCHAPv2', eapType: 25 },
  tls: { label: 'EAP-TLS', eapType: 13 },
};

interface Options {
  n: number;
  warmup: number;
  methods: MethodName[];
  gapMs: number;
  hopSamples: number;
  capture: boolean;
  /** Append each line to docs/benchmarks/results/interop.jsonl with its provenance (support/record.ts). */
  record: boolean;
}

function usage(): string {
  return [
    'usage: npm run bench:interop -- [--n 20] [--warmup 100] [--methods peap,tls] [--gap-ms 50] [--hop-samples 2000] [--capture] [--record]',
    '',
    '  --n              measured authentications per path and method (default 20)',
    '  --warmup         authentications per path and method before measuring (default 100)',
    '  --methods        peap (PEAP/MSCHAPv2), tls (EAP-TLS); comma-separated (default peap,tls)',
    '  --gap-ms         pause after each authentication (default 50)',
    '  --hop-samples    round trips of the bare process hop measured first (default 2000; the first 100 warm up)',
    '  --capture        profiling: tcpdump (-i any) during the measurement, and per EAPOL round trip',
    '                   the time of each hop (agent, authenticator, RADIUS, supplicant) from packet timestamps',
    '  --record         also append each line, with its commit and machine, to docs/benchmarks/results/interop.jsonl',
    '',
    'AIRLOCK_BENCH_AUTH_NODE_ARGS / AIRLOCK_BENCH_AGENT_NODE_ARGS: extra node flags for the',
    'authenticator / wired agent process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").',
  ].join('\n');
}

function parseOptions(argv: string[]): Options | undefined {
  const o: Options = { n: 20, warmup: 100, methods: ['peap', 'tls'], gapMs: 50, hopSamples: 2000, capture: false, record: false };
  const int = (name: string, v: string | undefined, min: number): number => {
    const x = Number(v);
    if (v === undefined || !Number.isInteger(x) || x < min) throw new Error(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--help':
      case '-h':
        return undefined;
      case '--n':
        o.n = int('n', argv[++i], 1);
        break;
      case '--warmup':
        o.warmup = int('warmup', argv[++i], 0);
        break;
      case '--gap-ms':
        o.gapMs = int('gap-ms', argv[++i], 0);
        break;
      case '--hop-samples':
        o.hopSamples = int('hop-samples', argv[++i], 2);
        break;
      case '--capture':
        o.capture = true;
        break;
      case '--record':
        o.record = true;
        break;
      case '--methods': {
        const list = (argv[++i] ?? '').split(',').filter((m) => m !== '');
        for (const m of list) if (!(m in METHODS)) throw new Error(`--methods: unknown method ${JSON.stringify(m)} (peap, tls)`);
        if (list.length === 0) throw new Error('--methods: at least one of peap, tls');
        o.methods = list as MethodName[];
        break;
      }
      default:
        throw new Error(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  return o;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const progress = (text: string): void => console.error(`bench:interop: ${text}`);

/** One path's station side plus its authenticator side, for one method. */
interface Rig {
  path: PathName;
  ns: VethNamespace;
  supplicant: WpaSupplicant;
  ctrlDir: string;
  /** Interface index of the veth's host end (packet capture). */
  ifindex: number;
  /** CPU time (µs) of the processes this path adds: hostapd; or the wired agent + the authenticator. */
  cpuUs(): Promise<{ total: number; parts: Record<string, number> }>;
  close(): Promise<void>;
}

/** Undoes what has been set up so far, in reverse order; never throws. */
class Cleanup {
  private readonly steps: { what: string; fn: () => Promise<void> }[] = [];
  add(what: string, fn: () => Promise<void>): void {
    this.steps.push({ what, fn });
  }
  async run(): Promise<void> {
    for (const s of this.steps.splice(0).reverse()) {
      try {
        await s.fn();
      } catch (err) {
        progress(`cleanup (${s.what}): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}

function supplicantNetwork(method: MethodName, side: RadiusSide): WpaNetwork {
  const pki = side.pki;
  const base = { key_mgmt: 'IEEE8021X', eapol_flags: 0 };
  return method === 'peap'
    ? { ...base, eap: 'PEAP', identity: USERS.peap.name, password: USERS.peap.password, ca_cert: pki.ca.cert, phase2: 'auth=MSCHAPV2' }
    : { ...base, eap: 'TLS', identity: USERS.tls.name, ca_cert: pki.ca.cert, client_cert: pki.stations[USERS.tls.name].cert, private_key: pki.stations[USERS.tls.name].key };
}

/**
 * Starts one path for `method`: namespace + veth, the authenticator's wired end (hostapd, or
 * the wired agent connected to `auth`), then wpa_supplicant in the namespace.
 */
async function startRig(path: PathName, method: MethodName, ctx: RunContext): Promise<Rig> {
  const cleanup = new Cleanup();
  try {
    const ns = await createVethNamespace();
    cleanup.add('namespace', () => ns.remove());
    const name = `${path}-${method}`;
    let cpuUs: Rig['cpuUs'];
    if (path === 'hostapd') {
      const h = await startHostapd({ name, workDir: ctx.workDir, interfaceName: ns.hostInterface, radius: { authPort: ctx.side.radius.authPort, secret: RADIUS_SECRET } });
      cleanup.add('hostapd', () => h.child.stop());
      cpuUs = () => {
        const us = procCpuUs(h.child.pid);
        return Promise.resolve({ total: us, parts: { hostapd: us } });
      };
    } else {
      // mTLS: dial the name in the authenticator's certificate (an IP address as TLS server name is deprecated).
      const agent: Child = await startWiredAgent({ name: `agent-${method}`, workDir: ctx.workDir, interfaceName: ns.hostInterface, ssid: SSID, target: `localhost:${ctx.auth.grpcPort}`, agentId: AGENT_ID, pkiDir: testPki().dir });
      // Stopped before the namespace goes: cap aborts when an open interface disappears.
      cleanup.add('wired agent', () => agent.stop());
      cpuUs = async () => {
        const a = procCpuUs(agent.pid);
        const au = await ctx.auth.cpuUs();
        return { total: a + au, parts: { agent: a, authenticator: au } };
      };
    }
    const ctrlDir = join(ctx.workDir, `wpa-${name}`);
    mkdirSync(ctrlDir, { recursive: true });
    const supplicant = await startWpaSupplicant({
      namespace: ns.namespace,
      interfaceName: ns.nsInterface,
      network: supplicantNetwork(method, ctx.side),
      // fast_reauth=0: every authentication is a full one, as for a new station.
      globals: { ctrl_interface: ctrlDir, fast_reauth: 0 },
    });
    cleanup.add('wpa_supplicant', async () => {
      writeFileSync(join(ctx.workDir, `wpa_supplicant-${name}.log`), `${supplicant.log()}\n`);
      await supplicant.stop();
    });
    return { path, ns, supplicant, ctrlDir, ifindex: interfaceIndex(ns.hostInterface), cpuUs, close: () => cleanup.run() };
  } catch (err) {
    await cleanup.run();
    throw err;
  }
}

/** Restarts the authentication with `wpa_cli reauthenticate` and measures it from the supplicant's log. */
async function authenticateOnce(rig: Rig, eapType: number, gapMs: number): Promise<AuthTiming> {
  const s = rig.supplicant;
  const from = s.lines().length;
  const { stdout } = await run(WPA_CLI_BIN, ['-p', rig.ctrlDir, '-i', rig.ns.nsInterface, 'reauthenticate'], { timeout: 5000 });
  if (stdout.trim() !== 'OK') throw new Error(`${rig.path}: wpa_cli reauthenticate answered ${JSON.stringify(stdout.trim())}`);
  const end = await s.waitForLine(/CTRL-EVENT-EAP-(SUCCESS|FAILURE)/, AUTH_TIMEOUT_MS, from);
  const lines = s.lines();
  if (lines[end].includes('FAILURE')) throw new Error(`${rig.path}: the authentication failed: ${lines[end]}`);
  const t = authTiming(lines, from, end);
  if (t.methodType !== eapType) throw new Error(`${rig.path}: EAP method ${t.methodType} selected, expected ${eapType}`);
  await sleep(gapMs);
  return t;
}

/** What one path measured for one method. */
interface PathResult {
  timings: AuthTiming[];
  cpu: { total: number; parts: Record<string, number> };
  /** airlock: the authenticator's own RADIUS RTT histogram (request sent to verified response). */
  radiusRttMs?: number;
  radiusRequestsPerAuth?: number;
  /** --capture: per-hop durations of the round trips. */
  hops?: Hops;
}

/** Sums of the airlock RADIUS RTT histogram (all servers) from the authenticator's /metrics. */
async function radiusRtt(auth: AuthenticatorProcess): Promise<{ sum: number; count: number }> {
  let sum = 0;
  let count = 0;
  for (const [k, v] of await auth.metrics()) {
    if (k.startsWith('airlock_radius_rtt_seconds_sum')) sum += v;
    else if (k.startsWith('airlock_radius_rtt_seconds_count')) count += v;
  }
  return { sum, count };
}

function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Per hop: `f` of its durations, rounded to µs. */
function hopSummary(hops: Hops | undefined, f: (xs: readonly number[]) => number): Record<string, number> | null {
  if (hops === undefined) return null;
  return Object.fromEntries(Object.entries(hops).map(([k, xs]) => [k, round(f(xs), 3)]));
}

/** One JSON line: one method, both paths. */
function methodLine(method: MethodName, o: Options, h: PathResult, a: PathResult, hop: HopFloor): Record<string, unknown> {
  const tot = (r: PathResult): number[] => r.timings.map((t) => t.totalMs);
  const perExchange = (r: PathResult): number => median(r.timings.map((t) => t.waitMs / t.exchanges));
  const hMed = median(tot(h));
  const aMed = median(tot(a));
  const hP90 = quantile(tot(h), 0.9);
  const aP90 = quantile(tot(a), 0.9);
  const per = (us: number | undefined): number => round((us ?? NaN) / o.n, 0);
  const ratio = aMed / hMed;
  const exchanges = median(a.timings.map((t) => t.exchanges));
  // hostapd's time plus one bare process round trip per EAPOL exchange: what the extra hop
  // alone costs, before any gRPC, protobuf or authenticator work.
  const floorMs = hMed + exchanges * hop.medianMs;
  return {
    benchmark: 'interop',
    method: METHODS[method].label,
    n: o.n,
    warmup: o.warmup,
    hostapd_median_ms: round(hMed, 2),
    hostapd_p90_ms: round(hP90, 2),
    airlock_median_ms: round(aMed, 2),
    airlock_p90_ms: round(aP90, 2),
    ratio: round(ratio, 3),
    ratio_p90: round(aP90 / hP90, 3),
    target_ratio: TARGET_RATIO,
    within_target: ratio <= TARGET_RATIO,
    process_hop_rtt_ms: round(hop.medianMs, 3),
    process_hop_rtt_p90_ms: round(hop.p90Ms, 3),
    // A model, not a measurement of airlock: hostapd's median plus one bare process round
    // trip (measured) per EAPOL exchange: what a split with no cost of its own would take.
    model_hop_floor_airlock_ms: round(floorMs, 2),
    model_hop_floor_ratio: round(floorMs / hMed, 3),
    airlock_overhead_per_exchange_ms: round((aMed - hMed) / exchanges, 3),
    measured: 'wpa_supplicant -dd -t log: CTRL-EVENT-EAP-STARTED to CTRL-EVENT-EAP-SUCCESS; restart by wpa_cli reauthenticate',
    airlock_topology: 'wired agent process -> gRPC (loopback, mTLS) -> authenticator process -> RADIUS -> FreeRADIUS',
    // Where the time goes, from the same supplicant logs (medians over the n authentications).
    hostapd_exchanges: median(h.timings.map((t) => t.exchanges)),
    airlock_exchanges: exchanges,
    hostapd_wait_ms: round(median(h.timings.map((t) => t.waitMs)), 2),
    airlock_wait_ms: round(median(a.timings.map((t) => t.waitMs)), 2),
    hostapd_wait_ms_per_exchange: round(perExchange(h), 3),
    airlock_wait_ms_per_exchange: round(perExchange(a), 3),
    hostapd_supplicant_ms: round(median(h.timings.map((t) => t.supplicantMs)), 2),
    airlock_supplicant_ms: round(median(a.timings.map((t) => t.supplicantMs)), 2),
    hostapd_retransmissions: h.timings.reduce((s, t) => s + t.retransmissions, 0),
    airlock_retransmissions: a.timings.reduce((s, t) => s + t.retransmissions, 0),
    airlock_radius_rtt_ms: a.radiusRttMs === undefined ? null : round(a.radiusRttMs, 3),
    airlock_radius_requests_per_auth: a.radiusRequestsPerAuth === undefined ? null : round(a.radiusRequestsPerAuth, 1),
    // CPU time over the measured authentications (procfs: 10 ms ticks; the authenticator: its /metrics).
    hostapd_cpu_us_per_auth: per(h.cpu.total),
    airlock_cpu_us_per_auth: per(a.cpu.total),
    airlock_agent_cpu_us_per_auth: per(a.cpu.parts.agent),
    airlock_authenticator_cpu_us_per_auth: per(a.cpu.parts.authenticator),
    // --capture: per EAPOL round trip with a RADIUS exchange, each hop (capture.ts).
    hostapd_hops_median_ms: hopSummary(h.hops, median),
    hostapd_hops_mean_ms: hopSummary(h.hops, mean),
    airlock_hops_median_ms: hopSummary(a.hops, median),
    airlock_hops_mean_ms: hopSummary(a.hops, mean),
    hostapd_samples_ms: tot(h).map((x) => round(x, 2)),
    airlock_samples_ms: tot(a).map((x) => round(x, 2)),
  };
}

/** One bare process round trip on this machine (hop-floor.ts). */
interface HopFloor {
  medianMs: number;
  p90Ms: number;
}

interface RunContext {
  workDir: string;
  hop: HopFloor;
  side: RadiusSide;
  auth: AuthenticatorProcess;
  options: Options;
}

async function measureMethod(method: MethodName, ctx: RunContext): Promise<Record<string, unknown>> {
  const o = ctx.options;
  const { label, eapType } = METHODS[method];
  const cleanup = new Cleanup();
  try {
    progress(`${label}: starting hostapd -D wired and airlock (wired agent -> authenticator), each with wpa_supplicant in its own namespace`);
    const hostapd = await startRig('hostapd', method, ctx);
    cleanup.add(`hostapd ${method} rig`, () => hostapd.close());
    const airlock = await startRig('airlock', method, ctx);
    cleanup.add(`airlock ${method} rig`, () => airlock.close());
    const rigs = [hostapd, airlock];
    // The first authentication of each supplicant (its own EAPOL-Start): not measured.
    await Promise.all(rigs.map((r) => r.supplicant.waitForLine('CTRL-EVENT-EAP-SUCCESS', FIRST_AUTH_TIMEOUT_MS)));
    progress(`${label}: first authentications done; ${o.warmup} warm-up authentications per path`);
    for (let i = 0; i < o.warmup; i++) for (const r of rigs) await authenticateOnce(r, eapType, o.gapMs);

    const ports = { radius: ctx.side.radius.authPort, grpc: Number(ctx.auth.grpcTarget.slice(ctx.auth.grpcTarget.lastIndexOf(':') + 1)) };
    const captureFile = join(ctx.workDir, `capture-${method}.pcap`);
    const capture = o.capture ? await startCapture(captureFile, ports) : undefined;
    if (capture !== undefined) cleanup.add('tcpdump', () => capture.stop());
    progress(`${label}: measuring ${o.n} authentications per path, the paths taking turns${o.capture ? ` (tcpdump to ${captureFile})` : ''}`);
    const cpu0 = await Promise.all(rigs.map((r) => r.cpuUs()));
    const rtt0 = await radiusRtt(ctx.auth);
    const timings: Record<PathName, AuthTiming[]> = { hostapd: [], airlock: [] };
    for (let i = 0; i < o.n; i++) {
      // hostapd, airlock, airlock, hostapd, ...: neither path always goes first.
      const order = i % 2 === 0 ? rigs : [...rigs].reverse();
      for (const r of order) timings[r.path].push(await authenticateOnce(r, eapType, o.gapMs));
    }
    const cpu1 = await Promise.all(rigs.map((r) => r.cpuUs()));
    const rtt1 = await radiusRtt(ctx.auth);
    // tcpdump writes the rest of its file as it exits (stop() is idempotent).
    await capture?.stop();
    const packets = capture === undefined ? undefined : await readCapture(captureFile, ports);
    const cpuDelta = (i: number): PathResult['cpu'] => ({
      total: cpu1[i].total - cpu0[i].total,
      parts: Object.fromEntries(Object.entries(cpu1[i].parts).map(([k, v]) => [k, v - (cpu0[i].parts[k] ?? 0)])),
    });
    const rttCount = rtt1.count - rtt0.count;
    const h: PathResult = { timings: timings.hostapd, cpu: cpuDelta(0), hops: packets && hopsOf(packets, hostapd.ifindex, false) };
    const a: PathResult = {
      timings: timings.airlock,
      cpu: cpuDelta(1),
      radiusRttMs: rttCount > 0 ? ((rtt1.sum - rtt0.sum) / rttCount) * 1000 : undefined,
      radiusRequestsPerAuth: rttCount / o.n,
      hops: packets && hopsOf(packets, airlock.ifindex, true),
    };
    const line = methodLine(method, o, h, a, ctx.hop);
    progress(`${label}: hostapd median ${String(line.hostapd_median_ms)} ms, airlock median ${String(line.airlock_median_ms)} ms, ratio ${String(line.ratio)}`);
    return line;
  } finally {
    await cleanup.run();
  }
}

function cell(x: unknown): string {
  if (typeof x === 'number') return String(x);
  if (typeof x === 'string') return x;
  return '—';
}

function table(lines: Record<string, unknown>[]): string {
  const out = [
    "| method | path | n | median (ms) | p90 (ms) | EAPOL round trips | wait per round trip (ms, median) | supplicant's own time (ms, median) |",
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const l of lines) {
    out.push(`| ${cell(l.method)} | hostapd -D wired | ${cell(l.n)} | ${cell(l.hostapd_median_ms)} | ${cell(l.hostapd_p90_ms)} | ${cell(l.hostapd_exchanges)} | ${cell(l.hostapd_wait_ms_per_exchange)} | ${cell(l.hostapd_supplicant_ms)} |`);
    out.push(`| ${cell(l.method)} | airlock | ${cell(l.n)} | ${cell(l.airlock_median_ms)} | ${cell(l.airlock_p90_ms)} | ${cell(l.airlock_exchanges)} | ${cell(l.airlock_wait_ms_per_exchange)} | ${cell(l.airlock_supplicant_ms)} |`);
    out.push(`| ${cell(l.method)} | **ratio airlock/hostapd** | | **${cell(l.ratio)}** | ${cell(l.ratio_p90)} | | | |`);
    out.push(`| ${cell(l.method)} | model (not measured): hostapd + a bare process round trip (${cell(l.process_hop_rtt_ms)} ms) per EAPOL round trip | | ${cell(l.model_hop_floor_airlock_ms)} (ratio ${cell(l.model_hop_floor_ratio)}) | | | | |`);
  }
  const withHops = lines.filter((l) => l.airlock_hops_mean_ms !== null && l.hostapd_hops_mean_ms !== null);
  if (withHops.length > 0) {
    out.push('', 'Per EAPOL round trip with a RADIUS exchange, from packet timestamps (--capture), mean ms (median):', '');
    out.push('| method | path | station frame -> Access-Request | RADIUS (FreeRADIUS) | response -> frame to station | round trip | supplicant (frame -> its answer) |', '|---|---|---|---|---|---|---|');
    for (const l of withHops) {
      const hm = l.hostapd_hops_mean_ms as Record<string, number>;
      const hd = l.hostapd_hops_median_ms as Record<string, number>;
      const am = l.airlock_hops_mean_ms as Record<string, number>;
      const ad = l.airlock_hops_median_ms as Record<string, number>;
      const both = (m: Record<string, number>, d: Record<string, number>, k: string): string => `${cell(m[k])} (${cell(d[k])})`;
      out.push(`| ${cell(l.method)} | hostapd | ${both(hm, hd, 'in')} | ${both(hm, hd, 'radius')} | ${both(hm, hd, 'out')} | ${both(hm, hd, 'round_trip')} | ${both(hm, hd, 'supplicant')} |`);
      out.push(`| ${cell(l.method)} | airlock | agent ${both(am, ad, 'agent_in')} + authenticator ${both(am, ad, 'authenticator_in')} | ${both(am, ad, 'radius')} | authenticator ${both(am, ad, 'authenticator_out')} + agent ${both(am, ad, 'agent_out')} | ${both(am, ad, 'round_trip')} | ${both(am, ad, 'supplicant')} |`);
    }
  }
  return out.join('\n');
}

async function main(): Promise<number> {
  // First: these hooks must run before the namespace harness's (see child.ts).
  installChildHooks();
  let o: Options | undefined;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${usage()}`);
    return 2;
  }
  if (o === undefined) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  await assertInteropPrerequisites({ radius: true });
  const missing = [
    hostapdUnavailable(),
    existsSync(WPA_CLI_BIN) ? undefined : `${WPA_CLI_BIN} is missing: install the Debian package \`wpasupplicant\``,
    o.capture ? captureUnavailable() : undefined,
  ].filter((x) => x !== undefined);
  if (missing.length > 0) throw new Error(missing.join('; '));

  const workDir = mkdtempSync(join(tmpdir(), 'airlock-bench-interop-'));
  progress(`logs and configs in ${workDir}`);
  const cleanup = new Cleanup();
  const lines: Record<string, unknown>[] = [];
  const record = recorder('interop', o.record, `npm run bench:interop -- ${process.argv.slice(2).join(' ')}`);
  try {
    progress('FreeRADIUS + PKI');
    const side = await startRadiusSide([{ name: USERS.peap.name, password: USERS.peap.password }, { name: USERS.tls.name }], [USERS.tls.name]);
    // side.close() removes the PKI directory; an interrupted run exits without it.
    const removePki = (): void => rmSync(side.pki.dir, { recursive: true, force: true });
    process.once('exit', removePki);
    cleanup.add('FreeRADIUS', async () => {
      await side.close();
      process.removeListener('exit', removePki);
    });
    const auth = await startAuthenticatorProcess('authenticator', workDir, {
      grpc: { plaintext: false, tls: serverTlsYaml() },
      log: { level: 'info' },
      // One station authenticates back to back here (~10 EAPOL frames per authentication, 50 ms
      // apart): far above the per-station limit that protects against a flooding station
      // (20/s, burst 40), whose drops would cost an EAP retransmission (3 s) each. hostapd has
      // no such limit.
      limits: { eapol_per_station_per_s: 10_000, eapol_burst_per_station: 10_000 },
      // hostapd here has no accounting server; neither does airlock send accounting.
      radius: { servers: [{ name: 'freeradius', host: '127.0.0.1', auth_port: side.radius.authPort, acct_port: side.radius.acctPort, secret: RADIUS_SECRET }], accounting: false },
      networks: [{ ssid: SSID, akms: ['8021x'], group_rekey_s: 0 }],
    });
    cleanup.add('authenticator', () => auth.stop());
    progress(`authenticator pid ${auth.pid} (log ${auth.logFile})`);
    progress(`one bare process round trip (UDP to an echo node process and back), ${o.hopSamples} times`);
    const hop = await processHopRtt(o.hopSamples);
    progress(`process round trip: median ${round(hop.medianMs, 3)} ms, p90 ${round(hop.p90Ms, 3)} ms`);
    for (const m of o.methods) {
      const line = await measureMethod(m, { workDir, hop, side, auth, options: o });
      lines.push(line);
      process.stdout.write(`${JSON.stringify(line)}\n`);
      record(line);
    }
  } finally {
    await cleanup.run();
  }
  process.stdout.write(`\n${table(lines)}\n`);
  return 0;
}

// Exit explicitly: timers and sockets of finished steps may hold the loop open.
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench:interop: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
