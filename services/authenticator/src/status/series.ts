/**
 * Handshake outcomes over the last minutes, for the status page: counts per result in
 * buckets of `bucketMs` of wall-clock time (aligned, so the buckets of several worker
 * processes add up), the last `buckets` of them kept.
 */

/** One bucket: its start (Unix ms) and the handshakes that ended in it, by result. */
export interface SeriesBucket {
  start: number;
  counts: Record<string, number>;
}

export class HandshakeSeries {
  private readonly ring: SeriesBucket[] = [];

  constructor(
    readonly bucketMs = 10_000,
    readonly buckets = 60,
  ) {}

  /** A handshake ended now with `result`. */
  record(result: string, nowMs = Date.now()): void {
    const start = nowMs - (nowMs % this.bucketMs);
    let last = this.ring.at(-1);
    if (last === undefined || last.start !== start) {
      last = { start, counts: {} };
      this.ring.push(last);
      while (this.ring.length > this.buckets) this.ring.shift();
    }
    last.counts[result] = (last.counts[result] ?? 0) + 1;
  }

  /** The last `buckets` buckets up to now, oldest first, empty ones included. */
  snapshot(nowMs = Date.now()): SeriesBucket[] {
    const end = nowMs - (nowMs % this.bucketMs);
    const byStart = new Map(this.ring.map((b) => [b.start, b]));
    const out: SeriesBucket[] = [];
    for (let i = this.buckets - 1; i >= 0; i--) {
      const start = end - i * this.bucketMs;
      out.push({ start, counts: { ...(byStart.get(start)?.counts ?? {}) } });
    }
    return out;
  }
}

/** Adds several processes' snapshots (same bucket starts). */
export function mergeSeries(all: SeriesBucket[][]): SeriesBucket[] {
  const byStart = new Map<number, SeriesBucket>();
  for (const series of all) {
    for (const b of series) {
      const into = byStart.get(b.start) ?? { start: b.start, counts: {} };
      for (const [k, v] of Object.entries(b.counts)) into.counts[k] = (into.counts[k] ?? 0) + v;
      byStart.set(b.start, into);
    }
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}
