/**
 * The first-claim table (agents.bss_policy first-claim): which agent announced an
 * unassigned BSSID first. Every agent that connects can grow it, so it is bounded
 * (DESIGN.md "Security", "Fairness"):
 * - one agent holds at most `maxPerAgent` claims: past it, its oldest claims of BSSes it
 *   no longer announces go first, and a Hello that still does not fit is refused;
 * - all agents together hold at most `maxTotal`: past it, a Hello claiming new BSSIDs is
 *   refused (failing closed: evicting someone's claim would let the newcomer take it over);
 * - the claims of an agent that has been away (no stream, reconnect grace over) for
 *   `expiryMs` expire, and another agent may then claim those BSSIDs.
 * bss_assignments are not claims: they are the configuration's and never expire.
 * Keys are macKey BSSIDs. The clock is the caller's (milliseconds).
 */

/** Bounds of the table. */
export interface ClaimLimits {
  maxPerAgent: number;
  maxTotal: number;
  expiryMs: number;
}

interface AgentClaims {
  /** Its claims, oldest first. */
  bsses: Set<string>;
  /** Since when it has been away (undefined: connected). */
  awaySince: number | undefined;
}

/** A Hello's claims: accepted (with what changed), or refused with the reason. */
export type ClaimOutcome = { ok: true; fresh: string[]; dropped: string[] } | { ok: false; reason: string };

export class ClaimTable {
  private readonly owners = new Map<string, string>();
  private readonly agents = new Map<string, AgentClaims>();
  /** Away agents, in the order they went away. */
  private readonly away = new Map<string, number>();

  constructor(public limits: ClaimLimits) {}

  /** Claims held (metrics, tests). */
  get size(): number {
    return this.owners.size;
  }

  /** The agent that claimed the BSS, if any. */
  ownerOf(bss: string): string | undefined {
    return this.owners.get(bss);
  }

  /** The BSSes an agent claims. */
  claimsOf(agent: string): string[] {
    return [...(this.agents.get(agent)?.bsses ?? [])];
  }

  /**
   * Checks a Hello of `agent` announcing the unassigned `bsses` (macKeys), and records its
   * claims when it fits and `record`. A BSS another agent claimed is the caller's check.
   */
  claim(agent: string, bsses: readonly string[], display: (bss: string) => string = (b) => b, record = true): ClaimOutcome {
    const own = this.agents.get(agent);
    const fresh = bsses.filter((b) => !this.owners.has(b));
    const announced = new Set(bsses);
    const held = own?.bsses.size ?? 0;
    // Past the agent's cap: its oldest claims of BSSes it no longer announces make room.
    const over = held + fresh.length - this.limits.maxPerAgent;
    const dropped: string[] = [];
    if (over > 0 && own !== undefined) {
      for (const b of own.bsses) {
        if (dropped.length >= over) break;
        if (!announced.has(b)) dropped.push(b);
      }
    }
    if (held - dropped.length + fresh.length > this.limits.maxPerAgent) {
      return { ok: false, reason: `the agent announces ${bsses.length} BSSes and may claim at most ${this.limits.maxPerAgent} (agents.max_bsses_per_agent)` };
    }
    if (this.owners.size - dropped.length + fresh.length > this.limits.maxTotal) {
      return { ok: false, reason: `the authenticator holds ${this.owners.size} BSS claims, its limit (agents.max_claims); new BSSIDs ${fresh.slice(0, 3).map(display).join(', ')}${fresh.length > 3 ? ', ...' : ''} cannot be claimed` };
    }
    if (record) {
      for (const b of dropped) this.unclaim(b);
      for (const b of fresh) this.set(agent, b);
    }
    return { ok: true, fresh, dropped };
  }

  /** Records a claim without checks (one the cluster primary arbitrated). */
  set(agent: string, bss: string): void {
    const prev = this.owners.get(bss);
    if (prev === agent) return;
    if (prev !== undefined) this.unclaim(bss);
    this.owners.set(bss, agent);
    let a = this.agents.get(agent);
    if (a === undefined) {
      a = { bsses: new Set(), awaySince: undefined };
      this.agents.set(agent, a);
    }
    a.bsses.add(bss);
  }

  /** Forgets one claim. */
  unclaim(bss: string): void {
    const agent = this.owners.get(bss);
    if (agent === undefined) return;
    this.owners.delete(bss);
    const a = this.agents.get(agent);
    a?.bsses.delete(bss);
    if (a !== undefined && a.bsses.size === 0) {
      this.agents.delete(agent);
      this.away.delete(agent);
    }
  }

  /** The agent is connected: its claims do not expire. */
  present(agent: string): void {
    const a = this.agents.get(agent);
    if (a !== undefined) a.awaySince = undefined;
    this.away.delete(agent);
  }

  /** The agent went away at `now` (its reconnect grace is over): its claims' expiry runs. */
  absent(agent: string, now: number): void {
    const a = this.agents.get(agent);
    if (a === undefined || a.awaySince !== undefined) return;
    a.awaySince = now;
    this.away.set(agent, now);
  }

  /** Forgets the claims of agents away `expiryMs` or longer; returns them per agent. */
  expire(now: number): { agent: string; bsses: string[] }[] {
    const out: { agent: string; bsses: string[] }[] = [];
    for (const [agent, since] of this.away) {
      if (now - since < this.limits.expiryMs) break;
      const bsses = this.claimsOf(agent);
      for (const b of bsses) this.unclaim(b);
      this.away.delete(agent);
      out.push({ agent, bsses });
    }
    return out;
  }

  /** Every claim, as [bss, agent] (the cluster snapshot). */
  entries(): [string, string][] {
    return [...this.owners];
  }
}
