/**
 * What the service tells about agents and stations when the authenticator may be more than
 * one process: agents let go, stations associated, PMKSAs cached, station events. A single
 * process needs none of it (SingleProcess); instances on a shared store (and node:cluster
 * workers, which are such instances) implement it there (store/shared-state.ts). The
 * service's event path calls none of it per frame.
 */
import type { PmksaListener } from '@airlock/rsn';
import type { EventItem } from './events/event-journal.js';

export interface Placement extends PmksaListener {
  /** Nothing of the agent is held here any more. */
  agentReleased(agent: string): void;
  /** A station associated here: another process still holding it from before must let it go. */
  stationAssociated(sta: Buffer): void;
  /** A station event of this process, for the journal that serves StreamEvents (`at`: Unix ms with a fraction). */
  stationEvent(item: EventItem, at: number): void;
}

/** One process serves everything: every agent is placed here, and nobody else needs telling. */
export class SingleProcess implements Placement {
  constructor(private readonly journal: (item: EventItem, at: number) => void) {}

  agentReleased(): void {}
  stationAssociated(): void {}
  cached(): void {}
  forgotten(): void {}

  stationEvent(item: EventItem, at: number): void {
    this.journal(item, at);
  }
}
