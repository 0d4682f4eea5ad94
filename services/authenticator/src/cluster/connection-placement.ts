/**
 * Which worker a new AgentLink connection goes to (the cluster primary's placement): the
 * one serving the fewest connections, among equals in turn, unless the connection's
 * address is pinned. An agent that reconnected to a worker other than the one holding its
 * stations (reconnect grace) is sent back by that worker, which pins its address to the
 * right worker for a while: its next connection lands there. Pure: the primary passes its
 * workers and the time.
 */

/** A worker as placement sees it. */
export interface PlacementCandidate {
  id: number;
  /** Open connections it serves. */
  connections: number;
}

export class ConnectionPlacement {
  private readonly pins = new Map<string, { worker: number; until: number }>();
  private turn = 0;

  /** @param pinMs how long an address stays pinned after a redirect */
  constructor(private readonly pinMs: number) {}

  /** The worker for a connection from `address` among the ready `workers`; undefined when none is ready. */
  choose<W extends PlacementCandidate>(address: string, workers: readonly W[], now: number): W | undefined {
    const pin = this.pins.get(address);
    if (pin !== undefined) {
      const w = workers.find((x) => x.id === pin.worker);
      if (pin.until > now && w !== undefined) return w;
      this.pins.delete(address);
    }
    if (workers.length === 0) return undefined;
    let least = Infinity;
    for (const w of workers) least = Math.min(least, w.connections);
    const candidates = workers.filter((w) => w.connections === least);
    return candidates[this.turn++ % candidates.length];
  }

  /** A worker sent an agent from `address` to `worker`: its next connections go there. */
  pin(address: string, worker: number, now: number): void {
    this.pins.set(address, { worker, until: now + this.pinMs });
  }

  /** The agents steered to `worker` arrived there (one of them said Hello): its pins are done. */
  unpinAllTo(worker: number): void {
    for (const [address, pin] of this.pins) if (pin.worker === worker) this.pins.delete(address);
  }

  /** Drops expired pins (the table stays as small as the recent redirects). */
  sweep(now: number): void {
    for (const [address, pin] of this.pins) if (pin.until <= now) this.pins.delete(address);
  }

  /** Pinned addresses (tests). */
  get pinned(): number {
    return this.pins.size;
  }
}
