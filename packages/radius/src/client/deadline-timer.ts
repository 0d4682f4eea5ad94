/**
 * One timer for a sans-I/O machine's next deadline (the I/O side of the RADIUS client; the
 * authenticator service drives its core and its RADIUS clients with one too): the driver arms it with nextDeadline() after every input, and it fires
 * once at the earliest. A timer already set to fire no later is kept: the deadline moves
 * with nearly every event under load, and a spurious early wake-up (the driver ticks, finds
 * nothing due and re-arms) costs less than re-arming each time.
 */
export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private at = Infinity;
  private keep = false;

  /** @param now the driver's clock (ms), the one its deadlines are on */
  constructor(
    private readonly fire: () => void,
    private readonly now: () => number,
  ) {}

  /** Fire at `at` (ms on the driver's clock; Infinity: not at all), unless set to fire no later. */
  arm(at: number): void {
    if (at === this.at || (this.timer !== undefined && this.at <= at)) return;
    this.stop();
    this.at = at;
    if (at === Infinity) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.at = Infinity;
      this.fire();
    }, Math.max(0, Math.ceil(at - this.now())));
    if (!this.keep) this.timer.unref();
  }

  /** Whether the pending timer keeps the process alive (default: not). */
  keepAlive(keep: boolean): void {
    this.keep = keep;
    if (keep) this.timer?.ref();
    else this.timer?.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }
}
