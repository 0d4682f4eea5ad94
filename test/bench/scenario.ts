/**
 * The benchmark contract (DESIGN.md "Benchmark contract"): every scenario prints one JSON
 * line with at least these fields. Scenarios add their own fields after them.
 */

/** The fields every scenario's JSON line carries, in this order. */
export interface BenchResult {
  scenario: string;
  /** Agent streams connected to the authenticator during the measurement. */
  agents: number;
  /** Stations joined during the measurement. */
  stations: number;
  /** Successful joins per second of wall time. */
  handshakes_per_s: number;
  /** Join latency (association to port authorized, as the load generator sees it). */
  join_p50_ms: number;
  join_p99_ms: number;
  /** Authenticator process CPU time (user + system) over the measurement / successful joins. */
  auth_cpu_us_per_handshake: number;
  /** CPU time of the same handshake's crypto alone, measured in the same run (each scenario says which crypto). */
  crypto_floor_us_per_handshake: number;
  /** Authenticator resident set size at the end of the measurement. */
  rss_mb: number;
  /** Authenticator RSS growth over the measurement / stations joined. */
  rss_kb_per_station: number;
  [extra: string]: unknown;
}

/** What a scenario gets from the runner. */
export interface BenchContext {
  /** Scenario options from the command line (`--key value`), unparsed. */
  options: ReadonlyMap<string, string>;
  /** Progress for a person; stdout carries only the JSON lines. */
  progress(text: string): void;
  /** Directory for logs and generated configs of this run. */
  workDir: string;
}

/** One benchmark scenario. */
export interface Scenario {
  name: string;
  /** One line for `npm run bench -- --help`. */
  summary: string;
  /** Options it reads, with defaults, for --help. */
  options: Record<string, string>;
  run(ctx: BenchContext): Promise<BenchResult>;
}

/** Rounds to `digits` decimals (JSON lines stay readable). */
export function round(x: number, digits = 1): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Reads a positive integer option, or the default; throws a message a person can act on. */
export function intOption(ctx: BenchContext, name: string, fallback: number): number {
  const raw = ctx.options.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}
