/**
 * Backoff for stations that fail again and again (DESIGN.md "Security", "Fairness"): after
 * `afterFailures` handshakes in a row that ended in a timeout, a MIC failure or a reject,
 * the station's next associations on that BSS are refused for `initialMs`, doubling with
 * every further failure up to `maxMs`. One success forgets it. A station guessing
 * passphrases, or a MAC that never answers (spoofed), then costs one handshake per
 * backoff period instead of one per association.
 *
 * The table is keyed by station and BSS (a station failing on one BSS is not refused on
 * another, and one spoofing a victim's MAC blocks it only where the spoofer is heard), is
 * bounded (the least recently failed entry goes first) and forgets an entry `maxMs` after
 * its last failure or the end of its refusal, whichever is later.
 */

/** Settings of the backoff. */
export interface MacBackoffOptions {
  /** Consecutive failures before associations are refused (default 3). */
  afterFailures: number;
  /** First refusal period (default 2000 ms). */
  initialMs: number;
  /** Longest refusal period (default 60000 ms). */
  maxMs: number;
  /** Stations remembered at most (default 65536). */
  maxEntries: number;
}

export const DEFAULT_MAC_BACKOFF: MacBackoffOptions = { afterFailures: 3, initialMs: 2000, maxMs: 60_000, maxEntries: 65_536 };

interface Entry {
  failures: number;
  /** Associations are refused until then. */
  until: number;
  /** The last failure. */
  at: number;
}

export class MacBackoff {
  readonly options: MacBackoffOptions;
  /** Least recently failed first. */
  private readonly entries = new Map<string, Entry>();

  constructor(options: Partial<MacBackoffOptions> = {}) {
    this.options = { ...DEFAULT_MAC_BACKOFF, ...options };
  }

  /** Entries held (tests, metrics). */
  get size(): number {
    return this.entries.size;
  }

  /** A handshake of `key` failed at `now`. Returns the end of its refusal period, if it has one now. */
  failed(key: string, now: number): number | undefined {
    const o = this.options;
    const e = this.entries.get(key) ?? { failures: 0, until: 0, at: now };
    this.entries.delete(key); // re-inserted last: the table is in failure order
    e.failures++;
    e.at = now;
    if (e.failures >= o.afterFailures) {
      const doublings = Math.min(e.failures - o.afterFailures, 30);
      e.until = now + Math.min(o.initialMs * 2 ** doublings, o.maxMs);
    }
    this.entries.set(key, e);
    this.trim(now);
    return e.until > now ? e.until : undefined;
  }

  /** A handshake of `key` succeeded: it starts afresh. */
  succeeded(key: string): void {
    this.entries.delete(key);
  }

  /** Until when associations of `key` are refused, or undefined when they are not. */
  refusedUntil(key: string, now: number): number | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.until > now) return e.until;
    if (this.stale(e, now)) this.entries.delete(key);
    return undefined;
  }

  /** Forgets stale entries at the old end, and the oldest past the cap. */
  private trim(now: number): void {
    for (const [k, e] of this.entries) {
      if (!this.stale(e, now) && this.entries.size <= this.options.maxEntries) break;
      this.entries.delete(k);
    }
  }

  /** No failure and no refusal for maxMs. */
  private stale(e: Entry, now: number): boolean {
    return now - Math.max(e.at, e.until) >= this.options.maxMs;
  }
}
