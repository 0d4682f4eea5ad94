/**
 * Handshake admission shared out per agent and per BSS (DESIGN.md "Security", "Fairness").
 *
 * The slots are the admission window's (admission.ts): how many 4-way handshakes run at
 * once. Who gets a slot:
 * - while at least `reserve` slots stay free after the grant, anybody: an agent or BSS may
 *   use capacity the others leave idle;
 * - past that, only a BSS holding fewer than its share (slots / BSSes that hold or want
 *   one, at least two) of an agent holding fewer than its share (slots / agents that hold
 *   or want one, at least two); an agent past its share may start such a BSS of its own
 *   within half the reserve, and may give a slot it frees to one.
 * So a flood, a stalled agent or a station spoofing MACs fills at most the window less the
 * reserve, and every other agent finds free slots at once and gets the next ones freed: the
 * flood waits behind its own share. Waiting stations queue per BSS (first come, first
 * served within a BSS); freed slots go round-robin over the agents, then over an agent's
 * BSSes, skipping those past their share.
 */

/** What the admission tracks on each entry (a station). */
export interface Admittable {
  /** Holds a slot. */
  admitted: boolean;
  /** Waits in its BSS's queue. */
  waitingAdmission: boolean;
}

interface Node {
  inFlight: number;
  waiting: number;
}

interface BssNode<T> extends Node {
  key: string;
  agent: AgentNode<T>;
  /** Waiting entries, oldest first from `head` (entries that stopped waiting are skipped). */
  queue: T[];
  head: number;
}

interface AgentNode<T> extends Node {
  key: string;
  bsses: Map<string, BssNode<T>>;
  /** BSSes with waiting entries, in round-robin order. */
  ring: Set<BssNode<T>>;
}

/** The slots reserved for agents and BSSes below their share: an eighth of the window. */
export function admissionReserve(limit: number): number {
  return Number.isFinite(limit) ? Math.floor(limit / 8) : 0;
}

export class FairAdmission<T extends Admittable> {
  private total = 0;
  private waitingTotal = 0;
  private readonly agents = new Map<string, AgentNode<T>>();
  /** Agents with waiting entries, in round-robin order. */
  private readonly ring = new Set<AgentNode<T>>();
  private readonly bssOf = new Map<T, BssNode<T>>();
  private activeBsses = 0;
  private activeAgents = 0;

  /**
   * @param limit the slots now (the admission window's limit)
   * @param groups the agent and the BSS an entry belongs to
   */
  constructor(
    private readonly limit: () => number,
    private readonly groups: (e: T) => { agent: string; bss: string },
  ) {}

  /** Slots held. */
  get inFlight(): number {
    return this.total;
  }

  /** Entries waiting for a slot. */
  get waiting(): number {
    return this.waitingTotal;
  }

  /** Slots held by one agent (tests, admin). */
  agentInFlight(agent: string): number {
    return this.agents.get(agent)?.inFlight ?? 0;
  }

  /**
   * True when `e` holds a slot (now or already). Else it waits in its BSS's queue and is
   * among those `release` returns once a slot is its turn.
   */
  request(e: T): boolean {
    if (e.admitted) return true;
    if (e.waitingAdmission) return false;
    const bss = this.node(e);
    // First come, first served within a BSS: with others waiting there, queue behind them.
    if (bss.waiting === 0 && this.admissible(bss)) {
      this.grant(e, bss);
      return true;
    }
    this.count(bss, 'waiting', 1);
    this.waitingTotal++;
    e.waitingAdmission = true;
    bss.queue.push(e);
    bss.agent.ring.add(bss);
    this.ring.add(bss.agent);
    return false;
  }

  /**
   * `e` gives up its slot or its place in the queue. Returns the waiting entries that got a
   * slot now (their caller starts them).
   */
  release(e: T): T[] {
    const agent = this.bssOf.get(e)?.agent;
    const released = this.leave(e);
    return this.pump(released ? agent : undefined);
  }

  /**
   * Several entries give up their slots and places at once (an agent went away); then one
   * round of grants, which none of them gets. Returns the entries that got a slot.
   */
  withdraw(entries: readonly T[]): T[] {
    for (const e of entries) this.leave(e);
    return this.pump();
  }

  /** `e` gives up its slot or place, granting nothing; true when it held a slot. */
  private leave(e: T): boolean {
    const bss = this.bssOf.get(e);
    if (bss === undefined) return false;
    const released = e.admitted;
    // Its queue entry is skipped when reached.
    if (e.waitingAdmission) this.stopWaiting(e, bss);
    if (e.admitted) {
      e.admitted = false;
      this.count(bss, 'inFlight', -1);
      this.total--;
    }
    this.bssOf.delete(e);
    this.prune(bss);
    return released;
  }

  /**
   * Grants free slots to waiting entries (after the window grew, or a release); returns
   * them. A slot `from` an agent past its share may go to another of its BSSes that is
   * below its share: the agent holds no more than before.
   */
  pump(from?: AgentNode<T>): T[] {
    const started: T[] = [];
    let recycle = from;
    while (this.waitingTotal > 0 && this.total < this.limit()) {
      let next = this.nextAdmissible();
      if (next === undefined && recycle !== undefined) next = this.recycled(recycle);
      recycle = undefined;
      if (next === undefined) break;
      started.push(next);
    }
    return started;
  }

  // ---- internals ------------------------------------------------------------------

  private node(e: T): BssNode<T> {
    let bss = this.bssOf.get(e);
    if (bss !== undefined) return bss;
    const g = this.groups(e);
    let agent = this.agents.get(g.agent);
    if (agent === undefined) {
      agent = { key: g.agent, inFlight: 0, waiting: 0, bsses: new Map(), ring: new Set() };
      this.agents.set(g.agent, agent);
    }
    bss = agent.bsses.get(g.bss);
    if (bss === undefined) {
      bss = { key: g.bss, agent, inFlight: 0, waiting: 0, queue: [], head: 0 };
      agent.bsses.set(g.bss, bss);
    }
    this.bssOf.set(e, bss);
    return bss;
  }

  /** Whether one more slot may go to this BSS (and its agent) now. */
  private admissible(bss: BssNode<T>): boolean {
    const limit = this.limit();
    if (this.total >= limit) return false;
    if (this.total + 1 <= limit - admissionReserve(limit)) return true;
    // The reserve: for agents and BSSes below their share, counting this one as active even
    // when it holds and wants nothing yet, and at least two (the reserve is for whoever
    // comes next: one agent alone does not take it).
    const agents = Math.max(2, this.activeAgents + (active(bss.agent) ? 0 : 1));
    const bsses = Math.max(2, this.activeBsses + (active(bss) ? 0 : 1));
    if (bss.inFlight >= limit / bsses) return false;
    // An agent past its share may still start a BSS of its own that is below its share,
    // within half the reserve: the other half stays free for other agents.
    return bss.agent.inFlight < limit / agents || bss.agent.inFlight + 1 <= limit - admissionReserve(limit) / 2;
  }

  private grant(e: T, bss: BssNode<T>): void {
    this.count(bss, 'inFlight', 1);
    this.total++;
    e.admitted = true;
  }

  /** The next waiting entry whose BSS may take a slot, granted; round-robin over agents, then BSSes. */
  private nextAdmissible(): T | undefined {
    for (const agent of this.ring) {
      const e = this.serve(agent, (bss) => this.admissible(bss));
      if (e === undefined) continue;
      // Served: this agent goes to the back of the ring.
      this.ring.delete(agent);
      if (agent.waiting > 0) this.ring.add(agent);
      return e;
    }
    return undefined;
  }

  /** A waiting entry of `agent` on a BSS below its share, granted (the agent's own slot, recycled). */
  private recycled(agent: AgentNode<T>): T | undefined {
    if (agent.waiting === 0 || this.agents.get(agent.key) !== agent) return undefined;
    const bsses = Math.max(2, this.activeBsses);
    return this.serve(agent, (bss) => bss.inFlight < this.limit() / bsses);
  }

  /** The oldest waiting entry of the first of the agent's BSSes that `may` take a slot, granted; that BSS goes to the back of the agent's ring. */
  private serve(agent: AgentNode<T>, may: (bss: BssNode<T>) => boolean): T | undefined {
    for (const bss of agent.ring) {
      if (!may(bss)) continue;
      const e = this.popWaiting(bss);
      if (e === undefined) continue;
      agent.ring.delete(bss);
      if (bss.waiting > 0) agent.ring.add(bss);
      this.grant(e, bss);
      return e;
    }
    return undefined;
  }

  private popWaiting(bss: BssNode<T>): T | undefined {
    while (bss.head < bss.queue.length) {
      const e = bss.queue[bss.head++];
      if (bss.head > 1024 && bss.head * 2 > bss.queue.length) {
        bss.queue.splice(0, bss.head);
        bss.head = 0;
      }
      if (!e.waitingAdmission || this.bssOf.get(e) !== bss) continue;
      this.stopWaiting(e, bss);
      return e;
    }
    this.unqueue(bss);
    return undefined;
  }

  private unqueue(bss: BssNode<T>): void {
    bss.queue = [];
    bss.head = 0;
    bss.agent.ring.delete(bss);
    if (bss.agent.waiting === 0) this.ring.delete(bss.agent);
  }

  /** `e` no longer waits; an emptied queue leaves the rings now. */
  private stopWaiting(e: T, bss: BssNode<T>): void {
    e.waitingAdmission = false;
    this.count(bss, 'waiting', -1);
    this.waitingTotal--;
    if (bss.waiting === 0) this.unqueue(bss);
  }

  /** Changes a count of a BSS and its agent, keeping the counts of active BSSes and agents. */
  private count(bss: BssNode<T>, what: 'inFlight' | 'waiting', delta: 1 | -1): void {
    const wasBss = active(bss);
    const wasAgent = active(bss.agent);
    bss[what] += delta;
    bss.agent[what] += delta;
    this.activeBsses += Number(active(bss)) - Number(wasBss);
    this.activeAgents += Number(active(bss.agent)) - Number(wasAgent);
  }

  /** Forgets a BSS (and its agent) that holds and wants nothing. */
  private prune(bss: BssNode<T>): void {
    if (active(bss)) return;
    const agent = bss.agent;
    agent.bsses.delete(bss.key);
    agent.ring.delete(bss);
    if (agent.bsses.size === 0) {
      this.agents.delete(agent.key);
      this.ring.delete(agent);
    }
  }
}

function active(n: Node): boolean {
  return n.inFlight > 0 || n.waiting > 0;
}
