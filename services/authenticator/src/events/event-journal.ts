/**
 * Where station events are kept for the Admin API's StreamEvents (admin.proto), in the
 * process that serves it (the cluster primary, or the one process): the recent ones in a
 * ring of fixed size, and the callers that follow the live ones, each with a bounded queue
 * (CONVENTIONS 16). A caller that reads too slowly loses the events its queue has no room
 * for, counted: the next thing it reads is an EventsDropped item with the count ("slow
 * reader"). Nothing here grows with the events or with a slow caller.
 */
import type { StreamEventsResponse } from '@airlock/proto';

/** One item of the stream: an event, or a notice of events that will not come. */
export type EventItem = NonNullable<StreamEventsResponse['item']>;

/** StreamEvents filters ("" or undefined: any). MACs as "aa:bb:cc:dd:ee:ff". */
export interface EventFilter {
  sta?: string;
  agentId?: string;
  bssid?: string;
}

/** Whether `item` passes `f`. A notice names no station: it passes a station filter (its BSS and agent must still match when it names them). */
export function passes(item: EventItem, f: EventFilter): boolean {
  if (item.$case === 'dropped') {
    const v = item.value;
    return (!f.agentId || v.agentId === '' || v.agentId === f.agentId) && (!f.bssid || v.bssid === '' || v.bssid === f.bssid);
  }
  const v = item.value;
  return (!f.agentId || v.agentId === f.agentId) && (!f.bssid || v.bssid === f.bssid) && (!f.sta || v.sta === f.sta);
}

/** Sizes of the journal. */
export interface EventJournalOptions {
  /** Recent items kept (default 1000). */
  capacity?: number;
  /** Items waiting for one slow caller, at most (default 256). */
  queue?: number;
  /** Callers following at once, at most (default 32). */
  maxFollowers?: number;
}

/** One caller's view: the recent items that passed its filter, then the live ones. */
export class EventSubscription {
  private readonly pending: EventItem[];
  private dropped = 0;
  private ended = false;
  /** Called when an item arrives for a caller that was waiting (take() returned undefined). */
  onReadable: (() => void) | undefined;

  constructor(
    recent: EventItem[],
    private readonly filter: EventFilter,
    private readonly limit: number,
    private readonly detach: (s: EventSubscription) => void,
  ) {
    this.pending = recent;
  }

  /** Items waiting now (the replay of recent ones included). */
  get waiting(): number {
    return this.pending.length;
  }

  /** True once closed (by the caller or the journal); take() still returns what waits. */
  get closed(): boolean {
    return this.ended;
  }

  /** A live item; dropped (counted) when the queue is full. */
  offer(item: EventItem): void {
    if (this.ended || !passes(item, this.filter)) return;
    // The replay of recent items may be longer than the live queue: room is counted past it.
    if (this.pending.length >= this.limit) {
      this.dropped++;
      return;
    }
    const wasEmpty = this.pending.length === 0 && this.dropped === 0;
    this.pending.push(item);
    if (wasEmpty) this.onReadable?.();
  }

  /** The next item: a "slow reader" notice first when items were dropped since the last take. */
  take(): EventItem | undefined {
    const next = this.pending.shift();
    if (next !== undefined) return next;
    if (this.dropped > 0) {
      const count = this.dropped;
      this.dropped = 0;
      return { $case: 'dropped', value: { count: BigInt(count), reason: 'slow reader', bssid: '', agentId: '' } };
    }
    return undefined;
  }

  /** Stops following (the caller went, or the journal closes). */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.detach(this);
    this.onReadable?.();
  }
}

/** The recent station events and the callers following them. */
export class EventJournal {
  private readonly capacity: number;
  private readonly queue: number;
  private readonly maxFollowers: number;
  private readonly ring: (EventItem | undefined)[];
  private next = 0;
  private size = 0;
  private seq = 0n;
  private readonly followers = new Set<EventSubscription>();

  constructor(o: EventJournalOptions = {}) {
    this.capacity = o.capacity ?? 1000;
    this.queue = o.queue ?? 256;
    this.maxFollowers = o.maxFollowers ?? 32;
    this.ring = new Array<EventItem | undefined>(this.capacity);
  }

  /** Keeps an item (an event gets the next seq) and hands it to every follower. */
  append(item: EventItem): void {
    if (item.$case === 'event') item.value.seq = ++this.seq;
    this.ring[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.capacity, this.size + 1);
    for (const f of this.followers) f.offer(item);
  }

  /** The kept items that pass `filter`, oldest first. */
  recent(filter: EventFilter = {}): EventItem[] {
    const out: EventItem[] = [];
    for (let i = 0; i < this.size; i++) {
      const item = this.ring[(this.next - this.size + i + this.capacity) % this.capacity];
      if (item !== undefined && passes(item, filter)) out.push(item);
    }
    return out;
  }

  /** Items kept now. */
  get length(): number {
    return this.size;
  }

  /** Callers following now. */
  get following(): number {
    return this.followers.size;
  }

  /**
   * The recent items that pass `filter`, then (`follow`) the live ones; undefined when
   * maxFollowers already follow.
   */
  subscribe(filter: EventFilter, follow: boolean): EventSubscription | undefined {
    if (follow && this.followers.size >= this.maxFollowers) return undefined;
    const s = new EventSubscription(this.recent(filter), filter, this.queue, (x) => this.followers.delete(x));
    if (follow) this.followers.add(s);
    else s.close();
    return s;
  }

  /** Ends every follower (the authenticator stops). */
  close(): void {
    for (const f of [...this.followers]) f.close();
  }
}

/**
 * Items from several processes (cluster workers) put back in the order they happened: each
 * waits `holdMs` for earlier ones from the others, then goes to `out` oldest first. A
 * station's events come in order from its worker; this keeps them in order across a roam
 * between workers. Bounded: beyond `max` waiting, the oldest goes at once.
 */
export class TimeOrder {
  private readonly waiting: { at: number; n: number; item: EventItem }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private n = 0;

  constructor(
    private readonly out: (item: EventItem) => void,
    private readonly holdMs = 50,
    private readonly max = 4096,
    private readonly now: () => number = () => performance.timeOrigin + performance.now(),
  ) {}

  /** An item that happened at `at` (Unix ms with a fraction). */
  push(item: EventItem, at: number): void {
    const e = { at, n: this.n++, item };
    // Nearly always the newest: insert from the end.
    let i = this.waiting.length;
    while (i > 0 && (this.waiting[i - 1].at > at)) i--;
    this.waiting.splice(i, 0, e);
    while (this.waiting.length > this.max) this.out(this.waiting.shift()!.item);
    this.arm();
  }

  /** Everything waiting goes now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const e of this.waiting.splice(0)) this.out(e.item);
  }

  private release(): void {
    this.timer = undefined;
    const until = this.now() - this.holdMs;
    while (this.waiting.length > 0 && this.waiting[0].at <= until) this.out(this.waiting.shift()!.item);
    this.arm();
  }

  private arm(): void {
    if (this.timer !== undefined || this.waiting.length === 0) return;
    const due = Math.max(0, this.waiting[0].at + this.holdMs - this.now());
    this.timer = setTimeout(() => this.release(), Math.ceil(due));
    this.timer.unref();
  }
}
