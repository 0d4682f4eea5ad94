// Log lines driven by remote input, rate-limited per source (an agent, a RADIUS server and
// source address, a BSS), with "N similar messages suppressed" summaries written when the
// window ends (DESIGN.md "Security", "Fairness"). The glue of RateLimitedLog: it owns the
// clock reading and the one timer; callers pass the logger that carries their context.
import { RateLimitedLog, type RateLimitOptions, type RateLimitedLevel } from './rate-limited-log.js';
import { truncateText } from './truncate.js';

/** The part of a pino Logger that SourceLog writes with. */
export interface LineLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  trace(obj: object, msg: string): void;
}

/** Options of SourceLog. */
export interface SourceLogOptions extends RateLimitOptions {
  /** What the keys name ('agent', 'radius', 'bss', ...): printed in summaries, passed to onSuppressed. */
  source: string;
  /** Where the summary of keys left out of the per-key summaries goes. */
  logger: LineLogger;
  /** Per-key summary lines per window at most; the other keys share one line. Default 20. */
  maxSummaries?: number;
  /** Milliseconds on a monotonic clock (default performance.now). */
  now?: () => number;
  /** Called once per suppressed line (a metric). */
  onSuppressed?: (source: string) => void;
}

/** What a key's summary is written with: the logger, level and message of its last suppressed line. */
interface LineContext {
  logger: LineLogger;
  level: RateLimitedLevel;
  msg: string;
}

/**
 * Rate-limited log lines for one kind of source. A key is one source and one kind of line
 * ("ap-1|command-result"): within a window (`intervalMs`) a key writes at most `burst` lines
 * (and all keys together at most `totalBurst`); the window in which a line was first
 * suppressed ends with one "N similar messages suppressed" line per key (at most
 * `maxSummaries`, then one line for the rest). close() writes what is pending.
 */
export class SourceLog {
  /** The kind of source, as in the summaries and onSuppressed. */
  readonly source: string;
  private readonly limit: RateLimitedLog<LineContext>;
  private readonly logger: LineLogger;
  private readonly maxSummaries: number;
  private readonly now: () => number;
  private readonly onSuppressed: ((source: string) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /** A limiter for one kind of source; defaults: 5 lines per key at once and 5 per 10 s after that. */
  constructor(opts: SourceLogOptions) {
    this.source = opts.source;
    this.limit = new RateLimitedLog<LineContext>(opts);
    this.logger = opts.logger;
    this.maxSummaries = opts.maxSummaries ?? 20;
    this.now = opts.now ?? (() => performance.now());
    this.onSuppressed = opts.onSuppressed;
  }

  /** The window, in ms. */
  get intervalMs(): number {
    return this.limit.intervalMs;
  }

  /** Keys held now (bounded by maxKeys). */
  get keys(): number {
    return this.limit.size;
  }

  /**
   * Writes `msg` with `obj` at `level` on `logger` unless `key` is over its rate (then it is
   * counted, for the summary). A line that follows suppressed ones of its key carries
   * `suppressed: N`. Returns whether it wrote.
   */
  write(logger: LineLogger, level: RateLimitedLevel, key: string, obj: object, msg: string): boolean {
    if (!this.limit.allow(key, this.now(), { logger, level, msg })) {
      this.onSuppressed?.(this.source);
      this.arm();
      return false;
    }
    const n = this.limit.takeSuppressed(key);
    if (n === 0) logger[level](obj, msg);
    else logger[level]({ ...obj, suppressed: n }, `${msg} (${n} similar message${n === 1 ? '' : 's'} suppressed before this one)`);
    return true;
  }

  /** Writes the summaries of every key with suppressed lines now (the window ends). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const { summaries, others } = this.limit.sweep(this.maxSummaries);
    const windowS = this.limit.intervalMs / 1000;
    for (const s of summaries) {
      const c = s.context;
      if (c === undefined) continue;
      const n = s.suppressed;
      c.logger[c.level]({ source: this.source, sourceKey: truncateText(s.key), suppressed: n, windowS }, `${n} similar message${n === 1 ? '' : 's'} suppressed: ${c.msg}`);
    }
    if (others.suppressed > 0) {
      const n = others.suppressed;
      this.logger.warn({ source: this.source, sources: others.keys, suppressed: n, windowS }, `${n} similar message${n === 1 ? '' : 's'} suppressed from ${others.keys} more ${this.source} source${others.keys === 1 ? '' : 's'}`);
    }
  }

  /** Stops the timer and writes what is pending; later lines are still limited, their summaries written by the next flush(). */
  close(): void {
    this.closed = true;
    this.flush();
  }

  /** The window that just had its first suppressed line ends in `intervalMs`. */
  private arm(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.limit.intervalMs);
    this.timer.unref();
  }
}
