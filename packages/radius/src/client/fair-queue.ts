// The RADIUS client's in-flight slots (radius.max_in_flight) and the requests waiting for
// one, shared out per lane and per BSS (DESIGN.md "Security", "Fairness").
//
// A lane is one class of traffic (Access-Requests, Accounting-Requests) of one agent; each
// lane waits in per-BSS FIFOs. Who gets a slot:
// - while a reserve of slots (an eighth) stays free after the grant, anybody: a lane may use
//   capacity the others leave idle;
// - past that, only a lane holding fewer than its share (slots / active lanes, at least two).
// A freed slot goes round-robin over the lanes that wait, then over a lane's BSSes, oldest
// request first within a BSS. So a station flood on one agent (or one BSS) waits behind its
// own share; other agents, and accounting, which is a lane of its own, get the next slots.
//
// Waiting is bounded (maxQueued). When the queue is full, a newcomer takes the place of the
// newest request of the longest lane, if that lane waits with more than one request beyond
// the newcomer's own; otherwise the newcomer is refused. A flood thus cannot fill the queue
// against the others either.
//
// Intrusive: the queue links its entries through fields they carry, so a request costs no
// allocation here. No I/O and no clock: slots are counted, not timed.

/** Who a request is for: slots are shared out per agent, then per BSS. */
export interface RequestOwner {
  /** The agent (or any caller-chosen group) whose share the request uses. */
  readonly agent: string;
  /** The BSS (or any sub-group) within the agent's share. */
  readonly bss: string;
}

/** The fields the queue keeps on each of its entries. */
export interface QueueEntry<T extends QueueEntry<T>> {
  /** The BSS FIFO the entry belongs to while it holds a slot or waits (the queue's). */
  queueBss: BssFifo<T> | undefined;
  /** Holds one of the slots. */
  holdsSlot: boolean;
  /** Neighbours in its BSS FIFO while it waits. */
  waitPrev: T | undefined;
  waitNext: T | undefined;
}

/** A ring member: circular, doubly linked. */
interface RingNode<N> {
  ringPrev: N | undefined;
  ringNext: N | undefined;
}

/** One class of traffic of one agent. */
interface Lane<T extends QueueEntry<T>> extends RingNode<Lane<T>> {
  readonly cls: number;
  readonly agent: string;
  inFlight: number;
  waiting: number;
  readonly bsses: Map<string, BssFifo<T>>;
  /** The lane's BSSes with waiting entries: the next one to serve first. */
  bssRing: BssFifo<T> | undefined;
}

/** The waiting entries of one BSS of a lane, oldest first. */
export interface BssFifo<T extends QueueEntry<T>> extends RingNode<BssFifo<T>> {
  readonly key: string;
  readonly lane: Lane<T>;
  inFlight: number;
  waiting: number;
  head: T | undefined;
  tail: T | undefined;
}

/** What enter() did with an entry. */
export type EnterOutcome = 'granted' | 'queued' | 'full';

/** The slots reserved for lanes below their share: an eighth of the slots. */
export function reservedSlots(limit: number): number {
  return Math.floor(limit / 8);
}

/** Adds `node` at the back of the ring whose front is `front`; returns the front. */
function ringAdd<N extends RingNode<N>>(front: N | undefined, node: N): N {
  if (front === undefined) {
    node.ringPrev = node;
    node.ringNext = node;
    return node;
  }
  const back = front.ringPrev!;
  node.ringPrev = back;
  node.ringNext = front;
  back.ringNext = node;
  front.ringPrev = node;
  return front;
}

/** Takes `node` out of the ring whose front is `front`; returns the new front. */
function ringRemove<N extends RingNode<N>>(front: N | undefined, node: N): N | undefined {
  const next = node.ringNext;
  const prev = node.ringPrev;
  node.ringPrev = undefined;
  node.ringNext = undefined;
  if (next === node || next === undefined || prev === undefined) return undefined;
  prev.ringNext = next;
  next.ringPrev = prev;
  return front === node ? next : front;
}

/** In-flight slots with fair, bounded waiting (see the file header). */
export class FairQueue<T extends QueueEntry<T>> {
  private used = 0;
  private waitingTotal = 0;
  /** Lanes by class, then agent. */
  private readonly lanes: Map<string, Lane<T>>[] = [];
  /** Lanes that hold or want a slot. */
  private activeLanes = 0;
  /** Lanes with waiting entries: the next one to serve first. */
  private laneRing: Lane<T> | undefined;

  /**
   * @param limit the number of slots
   * @param maxQueued how many entries may wait at once
   */
  constructor(
    private readonly limit: number,
    private readonly maxQueued: number,
  ) {}

  /** Slots held. */
  get inFlight(): number {
    return this.used;
  }

  /** Entries waiting for a slot. */
  get waiting(): number {
    return this.waitingTotal;
  }

  /** Slots held by one lane (tests). */
  laneInFlight(cls: number, agent: string): number {
    return this.lanes[cls]?.get(agent)?.inFlight ?? 0;
  }

  /**
   * A new entry of class `cls` for `owner`: it gets a slot now ('granted'), waits
   * ('queued'), or finds the queue full ('full': nothing changed; see victimFor).
   */
  enter(e: T, cls: number, owner: RequestOwner): EnterOutcome {
    const bss = this.fifo(cls, owner);
    // First come, first served within a BSS: with others waiting there, queue behind them.
    if (bss.waiting === 0 && this.mayGrant(bss.lane)) {
      e.queueBss = bss;
      this.grant(e, bss);
      return 'granted';
    }
    if (this.waitingTotal >= this.maxQueued) {
      this.prune(bss);
      return 'full';
    }
    e.queueBss = bss;
    this.push(e, bss);
    return 'queued';
  }

  /**
   * With the queue full, the entry a newcomer of class `cls` for `owner` may displace: the
   * newest of the longest lane's longest BSS, when that lane waits with more than one entry
   * beyond the newcomer's lane. Undefined: the newcomer is the one refused.
   */
  victimFor(cls: number, owner: RequestOwner): T | undefined {
    const mine = this.lanes[cls]?.get(owner.agent)?.waiting ?? 0;
    let longest: Lane<T> | undefined;
    for (const byAgent of this.lanes) {
      for (const lane of byAgent.values()) {
        if (longest === undefined || lane.waiting > longest.waiting) longest = lane;
      }
    }
    if (longest === undefined || longest.waiting <= mine + 1) return undefined;
    let fullest: BssFifo<T> | undefined;
    for (const bss of longest.bsses.values()) {
      if (fullest === undefined || bss.waiting > fullest.waiting) fullest = bss;
    }
    return fullest?.tail;
  }

  /** `e` gives up its slot or its place in the queue (grants nothing: call next()). */
  leave(e: T): void {
    const bss = e.queueBss;
    if (bss === undefined) return;
    if (e.holdsSlot) {
      e.holdsSlot = false;
      this.count(bss, 'inFlight', -1);
      this.used--;
    } else {
      this.unlink(e, bss);
    }
    e.queueBss = undefined;
    this.prune(bss);
  }

  /** The next waiting entry that may take a free slot, granted; undefined when none may. */
  next(): T | undefined {
    const first = this.laneRing;
    if (this.used >= this.limit || first === undefined) return undefined;
    let lane = first;
    do {
      if (this.mayGrant(lane)) {
        const bss = lane.bssRing!;
        const e = bss.head!;
        this.unlink(e, bss);
        this.grant(e, bss);
        // Served: the BSS and the lane go to the back of their rings (unlink took them out
        // when nothing of theirs waits any more).
        if (lane.bssRing === bss) lane.bssRing = bss.ringNext;
        if (this.laneRing === lane) this.laneRing = lane.ringNext;
        return e;
      }
      lane = lane.ringNext!;
    } while (lane !== first);
    return undefined;
  }

  /** Every waiting entry, oldest first per BSS (close). */
  waitingEntries(): T[] {
    const out: T[] = [];
    for (const byAgent of this.lanes) {
      for (const lane of byAgent.values()) {
        for (const bss of lane.bsses.values()) {
          for (let e = bss.head; e !== undefined; e = e.waitNext) out.push(e);
        }
      }
    }
    return out;
  }

  // ---- internals ------------------------------------------------------------------

  private fifo(cls: number, owner: RequestOwner): BssFifo<T> {
    let byAgent = this.lanes[cls];
    if (byAgent === undefined) {
      for (let i = this.lanes.length; i <= cls; i++) this.lanes.push(new Map());
      byAgent = this.lanes[cls];
    }
    let lane = byAgent.get(owner.agent);
    if (lane === undefined) {
      lane = { cls, agent: owner.agent, inFlight: 0, waiting: 0, bsses: new Map(), bssRing: undefined, ringPrev: undefined, ringNext: undefined };
      byAgent.set(owner.agent, lane);
    }
    let bss = lane.bsses.get(owner.bss);
    if (bss === undefined) {
      bss = { key: owner.bss, lane, inFlight: 0, waiting: 0, head: undefined, tail: undefined, ringPrev: undefined, ringNext: undefined };
      lane.bsses.set(owner.bss, bss);
    }
    return bss;
  }

  /** Whether one more slot may go to `lane` now. */
  private mayGrant(lane: Lane<T>): boolean {
    if (this.used >= this.limit) return false;
    if (this.used + 1 <= this.limit - reservedSlots(this.limit)) return true;
    // The reserve: for lanes below their share, counting this one as active, and at least
    // two (the reserve is for whoever comes next: one lane alone does not take it).
    const lanes = Math.max(2, this.activeLanes + (isActive(lane) ? 0 : 1));
    return lane.inFlight < this.limit / lanes;
  }

  private grant(e: T, bss: BssFifo<T>): void {
    e.holdsSlot = true;
    this.count(bss, 'inFlight', 1);
    this.used++;
  }

  /** Appends `e` to its BSS FIFO; the BSS and lane join their rings if they were not in them. */
  private push(e: T, bss: BssFifo<T>): void {
    e.waitPrev = bss.tail;
    e.waitNext = undefined;
    if (bss.tail === undefined) bss.head = e;
    else bss.tail.waitNext = e;
    bss.tail = e;
    const lane = bss.lane;
    if (bss.waiting === 0) lane.bssRing = ringAdd(lane.bssRing, bss);
    if (lane.waiting === 0) this.laneRing = ringAdd(this.laneRing, lane);
    this.count(bss, 'waiting', 1);
    this.waitingTotal++;
  }

  /** Takes waiting `e` out of its BSS FIFO; an emptied BSS or lane leaves its ring. */
  private unlink(e: T, bss: BssFifo<T>): void {
    if (e.waitPrev === undefined) bss.head = e.waitNext;
    else e.waitPrev.waitNext = e.waitNext;
    if (e.waitNext === undefined) bss.tail = e.waitPrev;
    else e.waitNext.waitPrev = e.waitPrev;
    e.waitPrev = undefined;
    e.waitNext = undefined;
    this.count(bss, 'waiting', -1);
    this.waitingTotal--;
    const lane = bss.lane;
    if (bss.waiting === 0) lane.bssRing = ringRemove(lane.bssRing, bss);
    if (lane.waiting === 0) this.laneRing = ringRemove(this.laneRing, lane);
  }

  /** Changes a count of a BSS and its lane, keeping the number of active lanes. */
  private count(bss: BssFifo<T>, what: 'inFlight' | 'waiting', delta: 1 | -1): void {
    const lane = bss.lane;
    const was = isActive(lane);
    bss[what] += delta;
    lane[what] += delta;
    this.activeLanes += Number(isActive(lane)) - Number(was);
  }

  /** Forgets a BSS (and its lane) that holds and wants nothing. */
  private prune(bss: BssFifo<T>): void {
    if (bss.inFlight > 0 || bss.waiting > 0) return;
    const lane = bss.lane;
    lane.bsses.delete(bss.key);
    if (lane.bsses.size === 0) this.lanes[lane.cls].delete(lane.agent);
  }
}

function isActive(n: { inFlight: number; waiting: number }): boolean {
  return n.inFlight > 0 || n.waiting > 0;
}
