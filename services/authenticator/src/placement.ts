/**
 * Where agents are served when the authenticator is more than one process, as the service
 * sees it: the one interface it asks ("may I serve this agent?") and tells (agents held and
 * let go, stations associated, PMKSAs cached, station events). A single process needs none
 * of it (SingleProcess); node:cluster workers implement it over IPC to their primary
 * (cluster/worker.ts WorkerLink); several authenticators on a shared store will implement
 * it there. The service's event path calls none of it per frame.
 */
import type { PmksaListener } from '@airlock/rsn';
import type { AgentSession } from './agent-session.js';
import type { EventItem } from './events/event-journal.js';

/** The answer to "may this process serve the agent?". */
export type AgentPlacement = { here: true } | { here: false; where: string };

export interface Placement extends PmksaListener {
  /**
   * The agent said Hello here. Served here, or where its state lives (connected or in
   * reconnect grace): then the session's agent is steered there, and this Hello is refused.
   */
  placeAgent(agent: string, session: AgentSession): AgentPlacement;
  /** The agent was welcomed here, with these BSSes (macKeys). */
  agentUp(agent: string, bssKeys: string[]): void;
  /** Nothing of the agent is held here any more. */
  agentReleased(agent: string): void;
  /** A station associated here: another process still holding it from before must let it go. */
  stationAssociated(sta: Buffer): void;
  /** A station event of this process, for the journal that serves StreamEvents (`at`: Unix ms with a fraction). */
  stationEvent(item: EventItem, at: number): void;
  /** This process keeps the clock of absent agents' BSS claims (in a cluster, the primary keeps it for all). */
  readonly keepsClaimClock: boolean;
}

/** One process serves everything: every agent is placed here, and nobody else needs telling. */
export class SingleProcess implements Placement {
  readonly keepsClaimClock = true;

  constructor(private readonly journal: (item: EventItem) => void) {}

  placeAgent(): AgentPlacement {
    return { here: true };
  }

  agentUp(): void {}
  agentReleased(): void {}
  stationAssociated(): void {}
  cached(): void {}
  forgotten(): void {}

  stationEvent(item: EventItem): void {
    this.journal(item);
  }
}
