// Structured logs: pino JSON lines, child loggers carrying agent, bssid and sta
// (DESIGN.md "Observability contract"). Keys and secrets are never logged ("Security"):
// two independent layers keep them out —
//   1. pino `redact` on the secret key names at depth 0..2 (censor "[redacted]");
//   2. a formatter that walks every logged object, child binding and interpolation
//      argument, censors secret key names at any depth, and prints any Buffer/typed
//      array as { bytes: N } — so key material passed under an innocent name is still
//      never printed as bytes.
// A hex string of a key under an innocent name cannot be recognised: pass keys as bytes.
import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** Object keys whose values are always censored (matched case-insensitively by the formatter). */
export const SECRET_LOG_KEYS: readonly string[] = [
  'pmk', 'ptk', 'kck', 'kek', 'tk', 'gtk', 'msk', 'psk',
  'passphrase', 'passphrases', 'secret', 'sharedSecret', 'shared_secret', 'key', 'password',
  'privateKey', 'private_key',
];

/** What a censored value is replaced with. */
export const REDACTED = '[redacted]';

const SECRET_KEY_SET: ReadonlySet<string> = new Set(SECRET_LOG_KEYS.map((k) => k.toLowerCase()));
/** Deeper structures are summarised; log objects are small and flat by convention. */
const MAX_DEPTH = 8;

/** pino redact paths: each secret key at the top level and one or two levels down. */
export function redactPaths(): string[] {
  return SECRET_LOG_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
}

/**
 * A copy of `value` safe to log: values under secret key names (any depth) become
 * "[redacted]", bytes (Buffer, typed arrays, ArrayBuffer) become { bytes: N }, Errors become
 * pino's serialized form (walked the same way), cycles become "[Circular]".
 */
export function redactForLog(value: unknown): unknown {
  return walk(value, 0, new WeakSet());
}

function walk(v: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) return { bytes: v.byteLength };
  if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return { bytes: v.byteLength };
  if (seen.has(v)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Object]';
  seen.add(v);
  try {
    if (v instanceof Error) return walk(stdSerializers.err(v), depth, new WeakSet());
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1, seen));
    if (v instanceof Date) return v;
    if (v instanceof Map) return walk(Object.fromEntries(v), depth, seen);
    if (v instanceof Set) return walk([...v], depth, seen);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      out[k] = SECRET_KEY_SET.has(k.toLowerCase()) && x !== undefined ? REDACTED : walk(x, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(v); // the same object twice (not a cycle) is fine
  }
}

/** Options of createLogger. */
export interface LoggerConfig {
  /** pino level name: fatal, error, warn, info, debug, trace or silent. */
  level: string;
  /** Where JSON lines go; stdout when absent. */
  destination?: DestinationStream;
  /** Logger name, printed as "name" on every line. */
  name?: string;
}

/** A pino JSON logger that never prints secrets or raw bytes; use `.child({ agent, bssid, sta })` per context. */
export function createLogger(opts: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: opts.level,
    redact: { paths: redactPaths(), censor: REDACTED },
    formatters: {
      log: (obj) => redactForLog(obj) as Record<string, unknown>,
      bindings: (bindings) => redactForLog(bindings) as Record<string, unknown>,
    },
    hooks: {
      // Interpolation arguments ("%o", "%j") do not pass through the formatters.
      logMethod(args, method) {
        const first = typeof args[0] === 'string' ? 1 : 2;
        const safe = args.map((a, i) => (i >= first ? redactForLog(a) : a)) as Parameters<typeof method>;
        method.apply(this, safe);
      },
    },
  };
  if (opts.name !== undefined) options.name = opts.name;
  const root = opts.destination === undefined ? pino(options) : pino(options, opts.destination);
  // pino applies formatters.bindings to the root's bindings only, never to child bindings; and
  // @pinojs/redact 0.4 throws on a Buffer met by a '*.'-path. So bindings are made safe before
  // pino sees them. Children are Object.create(parent): they inherit these overrides.
  const proto = Object.getPrototypeOf(root) as Logger;
  root.child = function child(this: Logger, bindings, childOptions) {
    return proto.child.call(this, redactForLog(bindings) as typeof bindings, childOptions);
  } as typeof root.child;
  root.setBindings = function setBindings(this: Logger, bindings) {
    proto.setBindings.call(this, redactForLog(bindings) as typeof bindings);
  };
  return root;
}

/** Options of RateLimitedLog. */
export interface RateLimitOptions {
  /** Lines allowed at once per key (bucket size); default 5. */
  burst?: number;
  /** Time to refill a full bucket, in ms: the long-run rate is `burst` lines per `intervalMs`; default 10000. */
  intervalMs?: number;
  /** Keys remembered; the least recently used is forgotten beyond this; default 10000. */
  maxKeys?: number;
}

interface Bucket {
  /** Credit: each ms adds `burst`, a line costs `intervalMs`, full at burst * intervalMs (integers, exact). */
  credit: number;
  last: number;
  suppressed: number;
}

/** Log levels RateLimitedLog.log writes at. */
export type RateLimitedLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Per-key token bucket for log lines about repeated events (dropped bad frames), so a
 * misbehaving station or agent cannot flood the log. Time is a parameter (ms).
 */
export class RateLimitedLog {
  /** Lines allowed at once per key. */
  readonly burst: number;
  /** Refill time of a full bucket, ms. */
  readonly intervalMs: number;
  /** Keys remembered at most. */
  readonly maxKeys: number;
  private readonly buckets = new Map<string, Bucket>();
  private total = 0;

  /** Creates a limiter; the defaults allow 5 lines per key at once and 5 per 10 s after that. */
  constructor(opts: RateLimitOptions = {}) {
    this.burst = opts.burst ?? 5;
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.maxKeys = opts.maxKeys ?? 10_000;
    if (!Number.isInteger(this.burst) || this.burst < 1) throw new RangeError('burst must be an integer >= 1');
    if (!Number.isInteger(this.intervalMs) || this.intervalMs < 1) throw new RangeError('intervalMs must be an integer >= 1');
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) throw new RangeError('maxKeys must be an integer >= 1');
  }

  /** Whether a line for `key` may be written at `now` (ms); when not, it is counted as suppressed. */
  allow(key: string, now: number): boolean {
    const full = this.burst * this.intervalMs;
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next();
        if (oldest.done !== true) this.buckets.delete(oldest.value);
      }
      b = { credit: full, last: now, suppressed: 0 };
    } else {
      this.buckets.delete(key); // re-inserted below: Map order is least recently used first
      // A clock that goes backwards refills nothing.
      const elapsed = Math.max(0, Math.floor(now) - Math.floor(b.last));
      b.credit = Math.min(full, b.credit + elapsed * this.burst);
      b.last = Math.max(b.last, now);
    }
    this.buckets.set(key, b);
    if (b.credit >= this.intervalMs) {
      b.credit -= this.intervalMs;
      return true;
    }
    b.suppressed++;
    this.total++;
    return false;
  }

  /** Lines suppressed for `key` since the last takeSuppressed. */
  suppressed(key: string): number {
    return this.buckets.get(key)?.suppressed ?? 0;
  }

  /** Returns and resets the suppressed count of `key` (to report it in the next line). */
  takeSuppressed(key: string): number {
    const b = this.buckets.get(key);
    if (b === undefined) return 0;
    const n = b.suppressed;
    b.suppressed = 0;
    return n;
  }

  /** Lines suppressed over all keys since creation. */
  get suppressedTotal(): number {
    return this.total;
  }

  /** Returns and resets every non-zero suppressed count (for a periodic summary of keys gone quiet). */
  drainSuppressed(): { key: string; suppressed: number }[] {
    const out: { key: string; suppressed: number }[] = [];
    for (const [key, b] of this.buckets) {
      if (b.suppressed > 0) out.push({ key, suppressed: b.suppressed });
      b.suppressed = 0;
    }
    return out;
  }

  /**
   * Writes `msg` at `level` when allowed; the first line after suppression says
   * "(suppressed N similar messages)" and carries `suppressed: N`. Returns whether it wrote.
   */
  log(logger: Logger, level: RateLimitedLevel, key: string, now: number, obj: Record<string, unknown>, msg: string): boolean {
    if (!this.allow(key, now)) return false;
    const n = this.takeSuppressed(key);
    if (n === 0) logger[level](obj, msg);
    else logger[level]({ ...obj, suppressed: n }, `${msg} (suppressed ${n} similar message${n === 1 ? '' : 's'})`);
    return true;
  }
}
