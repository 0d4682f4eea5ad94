#!/usr/bin/env node
/**
 * `node test/dist/bench/profile-summary.js PROFILE.cpuprofile [--per N] [FUNCTION...]`:
 * where a V8 CPU profile's busy time went, as BENCHMARKS.md quotes it. Take the profile of
 * the authenticator during a benchmark with
 *   AIRLOCK_BENCH_AUTH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" npm run bench -- psk-burst
 * (the profiler slows the process: compare shares, not times).
 *
 * Prints one JSON line: busy ms (idle excluded), `--per` (e.g. the handshakes the run did,
 * to give busy µs per handshake under the profiler), the share of busy time by layer (self
 * time grouped by the file of the function: the authenticator core, the service glue, the
 * link and proto packages, grpc-js, protobuf, node:crypto, the rest of Node, GC, native),
 * the heaviest functions by self time, and for each FUNCTION named on the command line its
 * inclusive share (every sample with it on the stack).
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The layer a function belongs to, from its script URL (or its name, for V8's own entries). */
export function layerOf(cf: CallFrame): string {
  const url = cf.url;
  if (url === '') {
    if (cf.functionName === '(garbage collector)') return 'gc';
    if (cf.functionName === '(program)' || cf.functionName === '(root)') return 'native (program)';
    return 'native';
  }
  if (url.includes('/packages/rsn/')) return url.includes('/crypto/') ? 'rsn crypto' : url.includes('/codec/') ? 'rsn codecs' : 'core (rsn)';
  if (url.includes('/packages/radius/')) return 'radius';
  if (url.includes('/packages/proto/dist/gen/') || url.includes('@bufbuild/protobuf')) return 'protobuf';
  if (url.includes('/packages/proto/') || url.includes('/packages/link/')) return 'link (proto package)';
  if (url.includes('/services/authenticator/')) return 'service glue';
  if (url.includes('@grpc/grpc-js')) return 'grpc-js';
  if (url.includes('prom-client')) return 'metrics (prom-client)';
  if (url.includes('/pino') || url.includes('sonic-boom') || url.includes('/packages/log-limit/')) return 'logging';
  if (url.startsWith('node:crypto') || url.startsWith('node:internal/crypto')) return 'node:crypto';
  if (url.startsWith('node:')) return 'node (other)';
  if (url.includes('/node_modules/')) return 'other npm';
  return 'other';
}

export interface Summary {
  busy_ms: number;
  per?: number;
  busy_us_per?: number;
  layers: Record<string, number>;
  top_self: { fn: string; pct: number }[];
  inclusive: Record<string, number>;
}

export function summarize(p: CpuProfile, functions: string[], per?: number): Summary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) time.set(p.samples[i], (time.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  let busy = 0;
  const layers = new Map<string, number>();
  const self = new Map<string, number>();
  const incl = new Map<string, number>(functions.map((f) => [f, 0]));
  for (const [id, us] of time) {
    const cf = byId.get(id)!.callFrame;
    if (cf.functionName === '(idle)') continue;
    busy += us;
    const layer = layerOf(cf);
    layers.set(layer, (layers.get(layer) ?? 0) + us);
    const name = `${cf.functionName || '(anonymous)'} ${cf.url.split('/').slice(-2).join('/')}`.trim();
    self.set(name, (self.get(name) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const fn = byId.get(cur)!.callFrame.functionName;
      if (incl.has(fn) && !seen.has(fn)) {
        seen.add(fn);
        incl.set(fn, incl.get(fn)! + us);
      }
    }
  }
  const pct = (us: number): number => Math.round((us / busy) * 1000) / 10;
  return {
    busy_ms: Math.round(busy / 1000),
    ...(per !== undefined ? { per, busy_us_per: Math.round(busy / per) } : {}),
    layers: Object.fromEntries([...layers].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, pct(v)])),
    top_self: [...self].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([fn, us]) => ({ fn, pct: pct(us) })),
    inclusive: Object.fromEntries([...incl].map(([k, v]) => [k, pct(v)])),
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.shift();
  if (file === undefined) {
    console.error('usage: node test/dist/bench/profile-summary.js PROFILE.cpuprofile [--per N] [FUNCTION...]');
    process.exit(2);
  }
  let per: number | undefined;
  const i = args.indexOf('--per');
  if (i >= 0) {
    per = Number(args[i + 1]);
    if (!(per > 0)) throw new Error('--per: a positive number');
    args.splice(i, 2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(`${JSON.stringify({ profile: file.split('/').pop(), ...summarize(profile, args, per) })}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();
