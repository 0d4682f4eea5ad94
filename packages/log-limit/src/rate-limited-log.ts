// Per-key token buckets for log lines about repeated events (dropped frames, failed
// commands, invalid RADIUS datagrams), so that one misbehaving agent, station or RADIUS
// source costs only its own share of the log (DESIGN.md "Security", "Fairness"). Pure: time
// is a parameter; SourceLog (source-log.ts) owns the timer that writes the summaries.
//
// Bounded: at most `maxKeys` buckets (the least recently used one is forgotten beyond that,
// and what it had suppressed is kept as a count), and optionally one bucket over all keys,
// so that an outsider who invents new keys (spoofed addresses, MACs) gets no more lines.

import { takeOldest } from '@airlock/bytes';

/** Options of RateLimitedLog. */
export interface RateLimitOptions {
  /** Lines allowed at once per key (bucket size); default 5. */
  burst?: number;
  /** Time to refill a full bucket, in ms: the long-run rate is `burst` lines per `intervalMs`; default 10000. */
  intervalMs?: number;
  /** Keys remembered; the least recently used is forgotten beyond this; default 10000. */
  maxKeys?: number;
  /** Lines allowed at once over all keys together, refilled at `totalBurst` per `intervalMs`; no such bound when absent. */
  totalBurst?: number;
}

/** Log levels RateLimitedLog.log writes at. */
export type RateLimitedLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

interface Bucket<C> {
  /** Credit: each ms adds `burst`, a line costs `intervalMs`, full at burst * intervalMs (integers, exact). */
  credit: number;
  last: number;
  suppressed: number;
  /** What the caller passed with the last suppressed line (for its summary). */
  context: C | undefined;
}

/** Lines suppressed under one key since its last summary. */
export interface SuppressedSummary<C> {
  key: string;
  suppressed: number;
  /** The context of the last suppressed line. */
  context: C | undefined;
}

/** What sweep() hands back: a summary per key (most suppressed first), and the rest as one count. */
export interface SweepResult<C> {
  summaries: SuppressedSummary<C>[];
  /** Keys beyond the summaries asked for, and keys forgotten (maxKeys) with lines suppressed: how many, and their lines. */
  others: { keys: number; suppressed: number };
}

/** A line's cost and credit, over one key or over all of them. */
function refill(credit: number, last: number, now: number, burst: number, full: number): number {
  // A clock that goes backwards refills nothing.
  const elapsed = Math.max(0, Math.floor(now) - Math.floor(last));
  return Math.min(full, credit + elapsed * burst);
}

/**
 * Per-key token bucket for log lines, with the count of lines suppressed per key, kept until
 * a summary takes it (the next allowed line of the key, or sweep()). Time is a parameter (ms).
 * `C` is what a caller keeps with a key to write its summary (its logger and message).
 */
export class RateLimitedLog<C = undefined> {
  /** Lines allowed at once per key. */
  readonly burst: number;
  /** Refill time of a full bucket, ms. */
  readonly intervalMs: number;
  /** Keys remembered at most. */
  readonly maxKeys: number;
  /** Lines allowed at once over all keys (Infinity: no such bound). */
  readonly totalBurst: number;
  private readonly buckets = new Map<string, Bucket<C>>();
  /** Keys with lines suppressed since their last summary. */
  private readonly pendingKeys = new Set<string>();
  private total = 0;
  private totalCredit: number;
  private totalLast: number | undefined;
  /** Lines suppressed under keys forgotten before their summary, and how many keys. */
  private evicted = { keys: 0, suppressed: 0 };

  /** Creates a limiter; the defaults allow 5 lines per key at once and 5 per 10 s after that. */
  constructor(opts: RateLimitOptions = {}) {
    this.burst = opts.burst ?? 5;
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.maxKeys = opts.maxKeys ?? 10_000;
    this.totalBurst = opts.totalBurst ?? Infinity;
    if (!Number.isInteger(this.burst) || this.burst < 1) throw new RangeError('burst must be an integer >= 1');
    if (!Number.isInteger(this.intervalMs) || this.intervalMs < 1) throw new RangeError('intervalMs must be an integer >= 1');
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) throw new RangeError('maxKeys must be an integer >= 1');
    if (this.totalBurst !== Infinity && (!Number.isInteger(this.totalBurst) || this.totalBurst < 1)) throw new RangeError('totalBurst must be an integer >= 1');
    this.totalCredit = this.totalBurst * this.intervalMs;
  }

  /**
   * Whether a line for `key` may be written at `now` (ms); when not, it is counted as
   * suppressed, and `context` is kept for the key's summary.
   */
  allow(key: string, now: number, context?: C): boolean {
    const full = this.burst * this.intervalMs;
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) this.evictOldest();
      b = { credit: full, last: now, suppressed: 0, context: undefined };
    } else {
      this.buckets.delete(key); // re-inserted below: Map order is least recently used first
      b.credit = refill(b.credit, b.last, now, this.burst, full);
      b.last = Math.max(b.last, now);
    }
    this.buckets.set(key, b);
    if (b.credit >= this.intervalMs && this.takeTotal(now)) {
      b.credit -= this.intervalMs;
      return true;
    }
    b.suppressed++;
    b.context = context;
    this.pendingKeys.add(key);
    this.total++;
    return false;
  }

  /** One line from the bucket over all keys (always true without totalBurst). */
  private takeTotal(now: number): boolean {
    if (this.totalBurst === Infinity) return true;
    if (this.totalLast !== undefined) this.totalCredit = refill(this.totalCredit, this.totalLast, now, this.totalBurst, this.totalBurst * this.intervalMs);
    this.totalLast = Math.max(this.totalLast ?? now, now);
    if (this.totalCredit < this.intervalMs) return false;
    this.totalCredit -= this.intervalMs;
    return true;
  }

  private evictOldest(): void {
    const oldest = takeOldest(this.buckets);
    if (oldest === undefined) return;
    const [key, b] = oldest;
    if (b.suppressed > 0) {
      this.pendingKeys.delete(key);
      this.evicted.keys++;
      this.evicted.suppressed += b.suppressed;
    }
  }

  /** Keys held now (at most maxKeys). */
  get size(): number {
    return this.buckets.size;
  }

  /** Whether lines were suppressed since the last summary (of any key, forgotten keys included). */
  get pending(): boolean {
    return this.pendingKeys.size > 0 || this.evicted.suppressed > 0;
  }

  /** Lines suppressed for `key` since its last summary. */
  suppressed(key: string): number {
    return this.buckets.get(key)?.suppressed ?? 0;
  }

  /** Returns and resets the suppressed count of `key` (to report it in the next line). */
  takeSuppressed(key: string): number {
    const b = this.buckets.get(key);
    if (b === undefined || b.suppressed === 0) return 0;
    const n = b.suppressed;
    b.suppressed = 0;
    b.context = undefined;
    this.pendingKeys.delete(key);
    return n;
  }

  /** Lines suppressed over all keys since creation. */
  get suppressedTotal(): number {
    return this.total;
  }

  /** Returns and resets every non-zero suppressed count (for a periodic summary of keys gone quiet). */
  drainSuppressed(): { key: string; suppressed: number }[] {
    return this.sweep().summaries.map(({ key, suppressed }) => ({ key, suppressed }));
  }

  /**
   * Takes every suppressed count (the end of a window): a summary for each of the
   * `maxSummaries` keys that suppressed most, and the rest — further keys, and keys forgotten
   * with lines suppressed — as one count. Everything is reset.
   */
  sweep(maxSummaries = Infinity): SweepResult<C> {
    const all: SuppressedSummary<C>[] = [];
    for (const key of this.pendingKeys) {
      const b = this.buckets.get(key);
      if (b === undefined || b.suppressed === 0) continue;
      all.push({ key, suppressed: b.suppressed, context: b.context });
      b.suppressed = 0;
      b.context = undefined;
    }
    this.pendingKeys.clear();
    // Stable sort: among equal counts, the key suppressed first comes first.
    all.sort((a, b) => b.suppressed - a.suppressed);
    const summaries = all.slice(0, maxSummaries);
    const others = { ...this.evicted };
    for (const s of all.slice(summaries.length)) {
      others.keys++;
      others.suppressed += s.suppressed;
    }
    this.evicted = { keys: 0, suppressed: 0 };
    return { summaries, others };
  }

  /**
   * Writes `msg` at `level` when allowed; the first line after suppression says
   * "(suppressed N similar messages)" and carries `suppressed: N`. Returns whether it wrote.
   */
  log(logger: Record<RateLimitedLevel, (obj: object, msg: string) => void>, level: RateLimitedLevel, key: string, now: number, obj: Record<string, unknown>, msg: string): boolean {
    if (!this.allow(key, now)) return false;
    const n = this.takeSuppressed(key);
    if (n === 0) logger[level](obj, msg);
    else logger[level]({ ...obj, suppressed: n }, `${msg} (suppressed ${n} similar message${n === 1 ? '' : 's'})`);
    return true;
  }
}
