// Deadlines of RADIUS transmissions that all wait the same time (one retransmission step of
// RFC 5080 §2.2.1's schedule): appended in the order they are armed, so the list is sorted
// by deadline as long as time does not run backwards, and the earliest is its head. The
// entries carry the links (intrusive), so arming and disarming allocate nothing.

/** The fields a TimeoutList keeps on each entry. */
export interface Timed<N extends Timed<N>> {
  /** When it expires (the caller's clock, ms). */
  deadline: number;
  timerPrev: N | undefined;
  timerNext: N | undefined;
  /** The list it is armed in, if any. */
  timerList: TimeoutList<N> | undefined;
}

/** Entries armed with one fixed wait, earliest deadline first. */
export class TimeoutList<N extends Timed<N>> {
  /** The earliest deadline's entry. */
  head: N | undefined;
  private tail: N | undefined;

  /** Arms `n` at `deadline` (not before the tail's: the caller's waits are all the same). */
  push(n: N, deadline: number): void {
    n.deadline = deadline;
    n.timerList = this;
    n.timerPrev = this.tail;
    n.timerNext = undefined;
    if (this.tail === undefined) this.head = n;
    else this.tail.timerNext = n;
    this.tail = n;
  }

  /** Disarms `n` (a no-op when it is not in this list). */
  remove(n: N): void {
    if (n.timerList !== this) return;
    if (n.timerPrev === undefined) this.head = n.timerNext;
    else n.timerPrev.timerNext = n.timerNext;
    if (n.timerNext === undefined) this.tail = n.timerPrev;
    else n.timerNext.timerPrev = n.timerPrev;
    n.timerPrev = undefined;
    n.timerNext = undefined;
    n.timerList = undefined;
  }
}
