/**
 * Which worker a new AgentLink connection goes to (the cluster primary's placement): the
 * one serving the fewest connections, among equals in turn. Any worker can serve any agent
 * (they share its state through the shared store), so nothing else decides. Pure: the
 * primary passes its ready workers.
 */

/** A worker as placement sees it. */
export interface PlacementCandidate {
  id: number;
  /** Open connections it serves. */
  connections: number;
}

export class ConnectionPlacement {
  private turn = 0;

  /** The worker for a new connection among the ready `workers`; undefined when none is ready. */
  choose<W extends PlacementCandidate>(workers: readonly W[]): W | undefined {
    if (workers.length === 0) return undefined;
    let least = Infinity;
    for (const w of workers) least = Math.min(least, w.connections);
    const candidates = workers.filter((w) => w.connections === least);
    return candidates[this.turn++ % candidates.length];
  }
}
