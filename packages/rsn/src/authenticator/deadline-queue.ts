/**
 * One timer structure for the whole core: a binary min-heap of deadlines with lazy
 * deletion. A target owns a generation number; rescheduling bumps it, so older entries are
 * skipped when they surface. Virtual time only: the caller passes `now`.
 */

/** Something with at most one pending deadline. */
export interface TimerTarget {
  /** Bumped on every reschedule or cancel; stale heap entries carry an older value. */
  timerGen: number;
  /** The pending deadline (Infinity when none). */
  deadline: number;
}

interface Entry<T> {
  at: number;
  gen: number;
  target: T;
}

/** Deadlines of many targets, earliest first. */
export class DeadlineQueue<T extends TimerTarget> {
  private heap: Entry<T>[] = [];

  /** Sets (or replaces) the target's deadline. */
  schedule(target: T, at: number): void {
    target.timerGen++;
    target.deadline = at;
    this.push({ at, gen: target.timerGen, target });
  }

  /** Removes the target's deadline. */
  cancel(target: T): void {
    target.timerGen++;
    target.deadline = Infinity;
  }

  /** The earliest live deadline, or undefined. */
  peek(): number | undefined {
    this.dropStale();
    return this.heap.length > 0 ? this.heap[0].at : undefined;
  }

  /** Removes and returns a target whose deadline is <= now, or undefined. */
  popDue(now: number): T | undefined {
    this.dropStale();
    const top = this.heap[0];
    if (top === undefined || top.at > now) return undefined;
    this.pop();
    top.target.deadline = Infinity;
    return top.target;
  }

  /** Number of heap entries, live and stale (for memory checks). */
  get size(): number {
    return this.heap.length;
  }

  private dropStale(): void {
    while (this.heap.length > 0) {
      const top = this.heap[0];
      if (top.gen === top.target.timerGen && top.at === top.target.deadline) return;
      this.pop();
    }
  }

  private push(e: Entry<T>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].at <= e.at) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r].at < h[l].at ? r : l;
      if (h[c].at >= last.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
