/**
 * EAPOL-Key Replay Counter of one station (IEEE 802.11-2020 §12.7.2, "Key Replay
 * Counter"): strictly increasing for every EAPOL-Key frame the authenticator sends, and a
 * window of the last RSNA_MAX_EAPOL_RETRIES (4) counters that a response may carry — needed
 * when a retransmission and the station's answer cross (hostapd keeps the same window).
 */

/** How many recent counters a response may name. */
export const RSNA_MAX_EAPOL_RETRIES = 4;

/**
 * Replay counters sent to one station, and which of them a response may still carry. The
 * counters sent are consecutive, so the window is the last one and a bit per recent counter
 * (bit i: last - i is outstanding): two small numbers per station, kept for its lifetime.
 */
export class ReplayWindow {
  private last = 0;
  private outstanding = 0;

  /** Allocates the next counter for a frame about to be sent. */
  next(): bigint {
    this.last += 1;
    this.outstanding = ((this.outstanding << 1) | 1) & ((1 << RSNA_MAX_EAPOL_RETRIES) - 1);
    return BigInt(this.last);
  }

  /** The last counter sent (0 before any). */
  get current(): bigint {
    return BigInt(this.last);
  }

  /** The last counter sent, as a number. */
  get lastSent(): number {
    return this.last;
  }

  /**
   * Counters of a security association adopted from another authenticator (snapshot.ts):
   * the next one sent is `last` + 1, and no earlier one is outstanding.
   */
  static after(last: number): ReplayWindow {
    const w = new ReplayWindow();
    w.last = last;
    return w;
  }

  /** True when `c` is one of the recent counters and has not been consumed. */
  accepts(c: bigint): boolean {
    const age = this.last - Number(c);
    if (!(age >= 0 && age < RSNA_MAX_EAPOL_RETRIES)) return false;
    return ((this.outstanding >> age) & 1) === 1;
  }

  /** Consumes every outstanding counter: later copies of answers are replays. */
  invalidateAll(): void {
    this.outstanding = 0;
  }
}
