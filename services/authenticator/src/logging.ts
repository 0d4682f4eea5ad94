// Structured logs: pino JSON lines, child loggers carrying agent, bssid and sta
// (DESIGN.md "Observability contract"). Keys and secrets are never logged ("Security"):
// two independent layers keep them out —
//   1. pino `redact` on the secret key names at depth 0..2 (censor "[redacted]");
//   2. a formatter that walks every logged object, child binding and interpolation
//      argument, censors secret key names at any depth, and prints any Buffer/typed
//      array as { bytes: N } — so key material passed under an innocent name is still
//      never printed as bytes.
// A hex string of a key under an innocent name cannot be recognised: pass keys as bytes.
// `format: 'pretty'` writes the same lines for a terminal (@airlock/log-limit pretty-log.ts):
// it reads what these layers let through, censors the secret names once more and escapes
// control characters.
import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { prettyLogDestination, REDACTED, SECRET_LOG_KEY_SET as SECRET_KEY_SET, SECRET_LOG_KEYS, SourceLog, wantsColour, type LogFormat } from '@airlock/log-limit';

export { REDACTED, SECRET_LOG_KEYS };
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
  /** Where the lines go; stdout when absent. */
  destination?: DestinationStream;
  /** Logger name, printed as "name" on every line. */
  name?: string;
  /** JSON lines (default) or the pretty format for a terminal (coloured when stdout is a TTY). */
  format?: LogFormat;
}

/** Where createLogger's lines go: JSON to the destination, or pretty text through it (undefined: pino's own stdout). */
function logDestination(opts: LoggerConfig): DestinationStream | undefined {
  if (opts.format !== 'pretty') return opts.destination;
  return prettyLogDestination(opts.destination ?? pino.destination(1), { colour: opts.destination === undefined && wantsColour(process.stdout.isTTY) });
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
  const destination = logDestination(opts);
  const root: Logger = destination === undefined ? pino(options) : pino(options, destination);
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

export { RateLimitedLog, SourceLog, truncateText, MAX_REMOTE_STRING, prettyLogLine, type RateLimitOptions, type RateLimitedLevel, type LineLogger } from '@airlock/log-limit';

/**
 * Rates of log lines driven by remote input (DESIGN.md "Security", "Fairness"): per key (one
 * source and one kind of line) 5 at once and 5 per 10 s after that; per kind of source 200
 * per 10 s over all its keys, so that invented keys (spoofed addresses) buy nothing; at most
 * 10000 keys; 20 summaries per window.
 */
export const REMOTE_LOG_LIMITS = { burst: 5, intervalMs: 10_000, maxKeys: 10_000, totalBurst: 200, maxSummaries: 20 } as const;

/** The kinds of sources whose lines the authenticator limits apart (the `source` label of airlock_log_lines_suppressed_total). */
export const REMOTE_LOG_SOURCES = ['agent', 'bss', 'radius'] as const;

/** One SourceLog per kind of source. */
export type RemoteLogs = Record<(typeof REMOTE_LOG_SOURCES)[number], SourceLog> & {
  /** Writes every pending summary and stops the timers. */
  close(): void;
};

/**
 * The authenticator's rate-limited logs for lines driven by remote input: `agent` (keys
 * begin with the agent id), `bss` (the BSSID), `radius` (server and source address).
 * `onSuppressed` counts each suppressed line; `now` is the clock (ms, default performance.now).
 */
export function remoteLogs(logger: Logger, onSuppressed: (source: string) => void, now?: () => number): RemoteLogs {
  const make = (source: string): SourceLog => new SourceLog({ source, logger, onSuppressed, now, ...REMOTE_LOG_LIMITS });
  const logs = { agent: make('agent'), bss: make('bss'), radius: make('radius') };
  return {
    ...logs,
    close() {
      for (const l of Object.values(logs)) l.close();
    },
  };
}
