/**
 * Handshake admission (issue 6): at most `max` 4-way handshakes run at once, and fewer while
 * the stations' answers come back slowly. The window is a delay-based congestion controller
 * (in the manner of TCP Vegas): a msg 1/4 or 3/4 answered on its first transmission gives a
 * round-trip sample, taken relative to that transmission's retransmission timeout. The window
 * starts at `min` (a burst of associations must not send every msg 1/4 at once before the
 * first answer tells how fast the path is); while the smoothed ratio stays under `target` it
 * grows by one per sample, up to `max`; above it, it shrinks by a quarter, at most once per
 * smoothed round trip.
 *
 * Slow answers mean queues somewhere on the path (the agents, the radio, this process):
 * fewer handshakes in flight keep those queues short, so answers arrive before the
 * retransmission timers fire and add load of their own (the storm of a mass rejoin), while
 * the rate stays the same as long as the window covers the rate times the base round trip.
 */

/** Samples are smoothed with this weight (RFC 6298's alpha). */
const GAIN = 1 / 8;
/** A slow window shrinks to this share of itself. */
const CUT = 0.75;

export class AdmissionWindow {
  private window: number;
  private ratio: number | undefined;
  private rttMs = 0;
  private lastCutAt = -Infinity;

  /**
   * @param max the configured limit (CoreOptions.maxHandshakesInFlight; Infinity: none)
   * @param min the window never goes below this (default: 64, or max when smaller)
   * @param target answer time / retransmission timeout above which the window shrinks
   */
  constructor(
    readonly max: number,
    readonly min = Math.min(max, 64),
    readonly target = 0.5,
  ) {
    this.window = min;
  }

  /** Handshakes that may run at once now. */
  get limit(): number {
    return Number.isFinite(this.window) ? Math.max(this.min, Math.floor(this.window)) : Infinity;
  }

  /** An EAPOL-Key message answered `rttMs` after its first transmission, whose timeout was `timeoutMs`. */
  sample(rttMs: number, timeoutMs: number, now: number): void {
    if (!Number.isFinite(this.max) || !(rttMs >= 0) || !(timeoutMs > 0)) return;
    const ratio = rttMs / timeoutMs;
    this.ratio = this.ratio === undefined ? ratio : this.ratio + GAIN * (ratio - this.ratio);
    this.rttMs += GAIN * (rttMs - this.rttMs);
    if (this.ratio > this.target) {
      if (now - this.lastCutAt >= this.rttMs) {
        this.window = Math.max(this.min, this.window * CUT);
        this.lastCutAt = now;
      }
    } else if (this.window < this.max) {
      this.window = Math.min(this.max, this.window + 1);
    }
  }

  /** The smoothed answer time / timeout ratio (undefined before the first sample). */
  get smoothedRatio(): number | undefined {
    return this.ratio;
  }
}
