/**
 * EAPOL-Key Replay Counter of one station (IEEE 802.11-2020 §12.7.2, "Key Replay
 * Counter"): strictly increasing for every EAPOL-Key frame the authenticator sends, and a
 * window of the last RSNA_MAX_EAPOL_RETRIES (4) counters that a response may carry — needed
 * when a retransmission and the station's answer cross (hostapd keeps the same window).
 */

/** How many recent counters a response may name. */
export const RSNA_MAX_EAPOL_RETRIES = 4;

/** Replay counters sent to one station, and which of them a response may still carry. */
export class ReplayWindow {
  private last = 0n;
  private readonly sent: bigint[] = [];
  private readonly valid: boolean[] = [];

  /** Allocates the next counter for a frame about to be sent. */
  next(): bigint {
    this.last += 1n;
    this.sent.push(this.last);
    this.valid.push(true);
    if (this.sent.length > RSNA_MAX_EAPOL_RETRIES) {
      this.sent.shift();
      this.valid.shift();
    }
    return this.last;
  }

  /** The last counter sent (0 before any). */
  get current(): bigint {
    return this.last;
  }

  /** True when `c` is one of the recent counters and has not been consumed. */
  accepts(c: bigint): boolean {
    for (let i = 0; i < this.sent.length; i++) if (this.sent[i] === c) return this.valid[i] === true;
    return false;
  }

  /** Consumes every outstanding counter: later copies of answers are replays. */
  invalidateAll(): void {
    this.valid.fill(false);
  }
}
