/**
 * Several authenticators on one shared store (DESIGN.md "Several authenticators", issue
 * 16). This is the Placement of an instance that shares its state through Redis:
 *
 * - BSS ownership: a lease per BSS with a fencing token (store-scripts.ts). An agent's Hello
 *   takes its BSSes over wherever it lands (`takeover`), loading their state; the instance
 *   that held them hears it ('T' on the events channel) or finds out at its next renewal,
 *   and lets them go without a word to anyone (`host.lost`). A write under a lease that is
 *   not ours any more is refused by Redis, so a paused or partitioned instance changes
 *   nothing when it wakes up.
 * - What is shared: each BSS's group keys and each authorized station's security
 *   association (snapshot.ts in the core), written when they change (the core's
 *   SaListener), batched per turn of the event loop; the PMKSA cache, with its lifetime as
 *   the key's time to live, copied to every instance through the events channel so a
 *   lookup stays in memory. Every value that holds a key is sealed with the KEK
 *   (sealed-box.ts).
 * - Time: leases are renewed every lease/4. When the last renewal is older than what its
 *   answer vouched for (the process was paused, or Redis is slow), the BSSes' timers are
 *   held (`host.hold`) until Redis answers again: nothing is sent on their behalf (no
 *   rekey, no accounting) by an instance that may have lost them.
 * - Redis away: the instance keeps serving what it holds from memory, refuses takeovers it
 *   cannot fence, and raises the alarm (airlock_store_up 0). When Redis is back (perhaps
 *   restarted empty), it puts back its leases (unless taken meanwhile), its state and its
 *   PMKSAs.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { formatMac, macKey, type BssSnapshot, type SaListener, type SharedPmksa, type StationSnapshot } from '@airlock/rsn';
import type { Placement } from '../placement.js';
import type { EventItem } from '../events/event-journal.js';
import { RedisStore, type RedisArg } from './redis-store.js';
import { SealedBox } from './sealed-box.js';
import { decodeBss, decodePmksa, decodeStation, encodeBss, encodePmksa, encodeStation, type WallClock } from './record-codec.js';
import { CLAIM, CLAIMS_REFRESH, RECLAIM, RELEASE, RENEW, TAKEOVER, WRITE } from './store-scripts.js';

/** What the shared state needs from the service. */
export interface SharedStateHost {
  clock: WallClock;
  /** The core's clock. */
  now(): number;
  exportBss(bssid: Buffer): BssSnapshot | undefined;
  /** undefined: none here; 'busy': a handshake runs (written when it settles). */
  exportStation(sta: Buffer): StationSnapshot | 'busy' | undefined;
  pmksaEntries(): SharedPmksa[];
  /** The stations of a BSS here (their MACs). */
  stationsOf(bssid: Buffer): Buffer[];
  importPmksa(e: SharedPmksa): void;
  /** With `aa`: the station's SAE PMKSA of that BSS. */
  forgetPmksa(sta: Buffer, ssid: Buffer, aa?: Buffer): void;
  /** Another instance holds these BSSes now: drop them here without a word (no disconnect, no accounting). */
  lost(bssKeys: string[], why: string): void;
  /** Hold (or release) the timers of these BSSes: this instance cannot vouch for its leases right now. */
  hold(bssKeys: string[], held: boolean): void;
  /** Stations that associated with another instance at `atWallMs`: the ones still here from before left, as on a roam. */
  stationsMovedAway(stas: Buffer[], atWallMs: number): void;
  journal(item: EventItem, at: number): void;
  /** First-claims held in the store, all instances together (airlock_bss_claims). */
  claims(n: number): void;
}

export interface SharedStateMetrics {
  up(v: boolean): void;
  /** One Redis command or script, by operation. */
  op(op: string, result: 'ok' | 'error' | 'fenced'): void;
  takeover(result: 'ok' | 'claimed' | 'down' | 'error'): void;
}

export interface SharedStateOptions {
  url: string;
  password?: string;
  /** Prefix of every key and channel (several deployments on one Redis). */
  prefix: string;
  /** The key-encryption key (32 octets), and older ones still to open. */
  kek: Buffer;
  kekPrevious?: ReadonlyMap<number, readonly Buffer[]>;
  kekId?: number;
  leaseMs: number;
  /** How long a BSS's state outlives its last renewal (the agents' reconnect grace, at least). */
  stateTtlMs: number;
  /** How long an agent's BSS claims outlive its last refresh here (agents.claim_expiry_s). */
  claimMs: number;
  /** bss_policy first-claim (else there are no claims, only assignments). */
  firstClaim: boolean;
  /** agents.max_bsses_per_agent and agents.max_claims, over every instance. */
  maxClaimsPerAgent: number;
  maxClaims: number;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  log: Logger;
  metrics: SharedStateMetrics;
  host: SharedStateHost;
}

/** What a takeover found for each BSS (by macKey): its state, when an earlier owner left some for this agent. */
export type TakeoverResult =
  | { ok: true; found: Map<string, { bss: BssSnapshot | undefined; stations: StationSnapshot[] }> }
  | { ok: false; code: 'claimed' | 'claim-limit' | 'down' | 'error'; message: string };

interface Lease {
  key: string;
  bssid: Buffer;
  agent: string;
  /** "<instance>|<token>|<agent>" */
  value: string;
  token: number;
  /** Whether the BSSID is a first-claim of its agent (not assigned, bss_policy first-claim). */
  claimed: boolean;
}

interface Dirty {
  bss: boolean;
  stations: Map<string, Buffer>;
  /** Fields of the state to delete (left by another agent's earlier use of the BSSID). */
  stale: string[];
}

const noChange = (): Dirty => ({ bss: false, stations: new Map(), stale: [] });

const RENEW_BATCH = 128;
/** Of a lease's time to live, how much an answer vouches for (the rest covers clock rates and the round trip). */
const VOUCH = 0.75;

export class SharedState implements Placement, SaListener {
  readonly instance = randomBytes(8).toString('hex');
  private readonly store: RedisStore;
  private readonly box: SealedBox;
  private readonly leases = new Map<string, Lease>();
  private readonly dirty = new Map<string, Dirty>();
  private flushQueued = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing = false;
  /** Core-clock time until which the last renewal vouches for every lease held. */
  private validUntil = Infinity;
  /** The BSSes' timers are held (validUntil passed with Redis up) until a renewal answers. */
  private holding = false;
  private started = false;
  private closed = false;
  private handingOff = false;
  private readonly channel: string;
  private readonly host: SharedStateHost;
  private readonly peerHandlers = new Map<string, (from: string, payload: Buffer) => void>();

  constructor(private readonly o: SharedStateOptions) {
    this.host = o.host;
    this.box = new SealedBox(o.kek, o.kekId ?? 1, o.kekPrevious);
    this.channel = `${o.prefix}events`;
    this.store = new RedisStore({
      url: o.url,
      password: o.password,
      commandTimeoutMs: o.commandTimeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      log: o.log,
      onUp: () => this.onUp(),
      onDown: (reason) => this.onDown(reason),
    });
  }

  async start(): Promise<void> {
    await this.store.start();
    this.store.subscribe(this.channel, (m) => this.onMessage(m));
    if (this.store.up) await this.loadPmksas();
    this.started = true;
    this.o.metrics.up(this.store.up);
    if (!this.store.up) this.o.log.error({ url: redactUrl(this.o.url) }, 'the shared store (Redis) is not reachable: serving from memory; agents whose BSSes this instance does not hold are refused until it is');
    this.scheduleRenew();
  }

  /**
   * The instance stops and hands its BSSes over: what changed is written, then the leases
   * are forgotten here without being released (their state stays in the store for the
   * instance the agents reconnect to, whose takeover fences this one).
   */
  async handOff(): Promise<void> {
    await this.flush();
    this.handingOff = true;
    this.leases.clear();
    this.dirty.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.renewTimer);
    clearTimeout(this.retryTimer);
    await this.flush();
    await this.store.close();
    this.box.wipe();
  }

  // ---- Placement ----------------------------------------------------------------------

  /** The agent is gone for good from here: its BSSes' leases and state go (its claims expire after claimMs). */
  agentReleased(agent: string): void {
    for (const l of [...this.leases.values()]) if (l.agent === agent) this.releaseBss(l.key);
  }

  /** A BSS is no longer served here (its agent stopped announcing it, or was refused). */
  releaseBss(key: string): void {
    const l = this.leases.get(key);
    if (l === undefined) return;
    this.leases.delete(key);
    this.dirty.delete(key);
    if (!this.store.up) return; // its lease and state expire by themselves
    this.count(this.store.script(RELEASE, [this.k('lease', key), this.k('bss', key)], [l.value]), 'release');
  }

  stationAssociated(sta: Buffer): void {
    const m = Buffer.alloc(8 + 6);
    m.writeDoubleBE(this.host.clock.toWall(this.host.now()), 0);
    sta.copy(m, 8);
    this.publish('S', m);
  }

  stationEvent(item: EventItem, at: number): void {
    this.host.journal(item, at);
  }

  // ---- PmksaListener ------------------------------------------------------------------

  cached(entry: SharedPmksa): void {
    const name = this.pmksaKey(entry.sta, entry.ssid, entry.aa);
    const plain = encodePmksa(entry, Date.now());
    entry.pmk.fill(0);
    const sealed = this.box.seal(plain, name);
    plain.fill(0);
    if (!this.store.up) return; // published again when Redis is back (republish)
    this.count(this.store.call(['SET', name, sealed, 'PX', String(Math.max(1, Math.floor(entry.remainingMs)))]), 'pmksa-set');
    const n = Buffer.from(name, 'utf8');
    const head = Buffer.alloc(2);
    head.writeUInt16BE(n.length, 0);
    this.publish('P', Buffer.concat([head, n, sealed]));
  }

  forgotten(sta: Buffer, ssid: Buffer, aa?: Buffer): void {
    if (!this.store.up) return;
    this.count(this.store.call(['DEL', this.pmksaKey(sta, ssid, aa)]), 'pmksa-del');
    // 'F': station, SSID; 'G' (an SAE PMKSA, one per BSS): station, BSSID, SSID.
    if (aa === undefined) this.publish('F', Buffer.concat([sta, ssid]));
    else this.publish('G', Buffer.concat([sta, aa, ssid]));
  }

  // ---- SaListener ---------------------------------------------------------------------

  stationChanged(bssid: Buffer, sta: Buffer): void {
    this.mark(bssid).stations.set(macKey(sta), sta);
  }

  stationGone(bssid: Buffer, sta: Buffer): void {
    this.mark(bssid).stations.set(macKey(sta), sta);
  }

  bssChanged(bssid: Buffer): void {
    this.mark(bssid).bss = true;
  }

  private mark(bssid: Buffer): Dirty {
    const key = macKey(bssid);
    if (this.handingOff) return noChange();
    let d = this.dirty.get(key);
    if (d === undefined) this.dirty.set(key, (d = noChange()));
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => void this.flush());
    }
    return d;
  }

  // ---- takeover -----------------------------------------------------------------------

  /** True when this instance holds the BSS's lease (also while its agent is away). */
  holds(key: string): boolean {
    return this.leases.has(key);
  }

  /**
   * Takes the agent's BSSes over (its Hello landed here): its first-claims checked and
   * recorded across every instance (`claimable`: the Hello's BSSIDs that are claims; CLAIM),
   * then leases with new fencing tokens and whatever state an earlier owner left for this
   * agent. The earlier owners are told. Refused while Redis is away.
   */
  async takeover(agent: string, bssids: Buffer[], claimable: string[]): Promise<TakeoverResult> {
    if (!this.store.up) {
      this.o.metrics.takeover('down');
      return { ok: false, code: 'down', message: 'the shared store (Redis) is not reachable: this instance cannot take the BSSes over safely; try another' };
    }
    const sentAt = this.host.now();
    let replies: unknown[];
    try {
      if (claimable.length > 0) {
        const r = (await this.store.script(CLAIM, [this.k('claims', ''), this.k('claim-owner', ''), this.k('agent-claims', agent), this.k('claim-seq', '')], [this.o.prefix, agent, String(this.o.claimMs), String(this.o.maxClaimsPerAgent), String(this.o.maxClaims), ...claimable])) as Buffer[];
        const refused = this.claimRefusal(r, claimable.length);
        if (refused !== undefined) return refused;
      }
      replies = await Promise.all(bssids.map((b) => {
        const key = macKey(b);
        return this.store.script(TAKEOVER, [this.k('lease', key), this.k('fence', key), this.k('bss', key), this.k('agent', agent)], [this.instance, String(this.o.leaseMs), agent]);
      }));
    } catch (e) {
      this.o.metrics.takeover('error');
      return { ok: false, code: 'error', message: `the shared store failed during the takeover: ${errorText(e)}` };
    }
    const found = new Map<string, { bss: BssSnapshot | undefined; stations: StationSnapshot[] }>();
    const claims = new Set(claimable);
    // Vouched for until sentAt + lease (less a margin); with nothing else held, that is all there is.
    const vouched = sentAt + this.o.leaseMs * VOUCH;
    this.validUntil = this.leases.size === 0 ? vouched : Math.min(this.validUntil, vouched);
    for (let i = 0; i < bssids.length; i++) {
      const r = replies[i] as [Buffer, Buffer, Buffer, Buffer[]];
      const bssid = bssids[i];
      const key = macKey(bssid);
      const value = String(r[1]);
      const prev = String(r[2]);
      this.leases.set(key, { key, bssid: Buffer.from(bssid), agent, value, token: Number(value.split('|')[1]), claimed: claims.has(key) });
      const state = this.readState(key, agent, r[3]);
      found.set(key, { bss: state.bss, stations: state.stations });
      if (state.stale.length > 0) this.markStale(key, state.stale);
      if (prev !== '' && !prev.startsWith(`${this.instance}|`)) this.publish('T', Buffer.from(`${key}${value}`, 'utf8'));
    }
    this.o.metrics.takeover('ok');
    return { ok: true, found };
  }

  /** CLAIM's answer as a refusal, or undefined when the claims were recorded. */
  private claimRefusal(r: Buffer[], announced: number): TakeoverResult | undefined {
    const what = String(r[0]);
    if (what === 'ok') {
      this.host.claims(Number(r[1]));
      return undefined;
    }
    this.o.metrics.takeover('claimed');
    const mac = (hex: string): string => hex.replace(/(..)(?!$)/g, '$1:');
    if (what === 'claimed') return { ok: false, code: 'claimed', message: `BSS ${mac(String(r[1]))} is owned by agent ${JSON.stringify(String(r[2]))}, which claimed it first (agents.bss_policy: first-claim)` };
    if (what === 'agent-limit') return { ok: false, code: 'claim-limit', message: `the agent announces ${announced} BSSes and may claim at most ${this.o.maxClaimsPerAgent} (agents.max_bsses_per_agent)` };
    return { ok: false, code: 'claim-limit', message: `the authenticator holds ${String(r[1])} BSS claims, its limit (agents.max_claims); new BSSIDs cannot be claimed` };
  }

  /** The state of a BSS from HGETALL's fields: only what was written for this agent. */
  private readState(key: string, agent: string, fields: Buffer[]): { bss: BssSnapshot | undefined; stations: StationSnapshot[]; stale: string[] } {
    const byName = new Map<string, Buffer>();
    for (let i = 0; i + 1 < fields.length; i += 2) byName.set(String(fields[i]), fields[i + 1]);
    const name = this.k('bss', key);
    const stale: string[] = [];
    if (byName.size > 0 && String(byName.get('a') ?? '') !== agent) {
      // Left by another agent that served this BSSID before: not this agent's stations.
      for (const f of byName.keys()) stale.push(f);
      return { bss: undefined, stations: [], stale };
    }
    let bss: BssSnapshot | undefined;
    const g = byName.get('g');
    if (g !== undefined) {
      const plain = this.box.open(g, `${name}#g`);
      bss = plain === undefined ? undefined : decodeBss(plain, this.host.clock);
      plain?.fill(0);
      if (bss === undefined) this.o.log.warn({ bssid: formatMac(Buffer.from(key, 'hex')) }, 'shared store: the group key state of a BSS does not open or parse (another KEK?); a new GTK is made');
    }
    const stations: StationSnapshot[] = [];
    let bad = 0;
    for (const [f, v] of byName) {
      if (!f.startsWith('s:')) continue;
      const plain = this.box.open(v, `${name}#${f}`);
      const s = plain === undefined ? undefined : decodeStation(plain, this.host.clock);
      plain?.fill(0);
      if (s === undefined || macKey(s.bssid) !== key || `s:${macKey(s.sta)}` !== f) {
        bad++;
        stale.push(f);
      } else stations.push(s);
    }
    if (bad > 0) this.o.log.warn({ bssid: formatMac(Buffer.from(key, 'hex')), records: bad }, 'shared store: station records that do not open or parse were dropped (those stations authenticate again)');
    return { bss, stations, stale };
  }

  private markStale(key: string, fields: string[]): void {
    const d = this.dirty.get(key) ?? noChange();
    d.stale.push(...fields);
    this.dirty.set(key, d);
  }

  // ---- writing ------------------------------------------------------------------------

  /** Writes what changed since the last flush, one script per BSS (pipelined). */
  async flush(): Promise<void> {
    this.flushQueued = false;
    if (this.dirty.size === 0) return;
    if (!this.store.up) return this.retryLater();
    const work = [...this.dirty];
    this.dirty.clear();
    await Promise.all(work.map(async ([key, d]) => {
      const l = this.leases.get(key);
      if (l === undefined) return; // not ours (any more)
      const name = this.k('bss', key);
      const sets: RedisArg[] = ['a', l.agent];
      const dels: RedisArg[] = [...d.stale];
      if (d.bss) {
        const snap = this.host.exportBss(l.bssid);
        if (snap !== undefined) sets.push('g', this.sealWiped(encodeBss(snap, this.host.clock), `${name}#g`, [snap.gtk1, snap.gtk2]));
      }
      for (const [sk, sta] of d.stations) {
        const field = `s:${sk}`;
        const snap = this.host.exportStation(sta);
        if (snap === 'busy') continue;
        if (snap === undefined || macKey(snap.bssid) !== key) {
          dels.push(field);
          if (snap !== undefined) wipeSnapshot(snap);
          continue;
        }
        sets.push(field, this.sealWiped(encodeStation(snap, this.host.clock), `${name}#${field}`, [snap.pmk, snap.ptk]));
      }
      try {
        const r = await this.store.script(WRITE, [this.k('lease', key), name, this.k('fence', key)], [l.value, String(this.o.stateTtlMs), String(this.o.leaseMs), String(sets.length / 2), ...sets, ...dels]);
        if (Number(r) === 1) this.o.metrics.op('write', 'ok');
        else {
          this.o.metrics.op('write', 'fenced');
          this.lose([key], 'its lease was taken by another instance (a write was refused)');
        }
      } catch {
        this.o.metrics.op('write', 'error');
        // Written again later: what changed is marked again (the snapshot is taken then).
        const again = this.dirty.get(key) ?? noChange();
        again.bss ||= d.bss;
        for (const [sk, sta] of d.stations) if (!again.stations.has(sk)) again.stations.set(sk, sta);
        again.stale.push(...d.stale);
        this.dirty.set(key, again);
        this.retryLater();
      }
    }));
  }

  private sealWiped(plain: Buffer, name: string, keys: (Buffer | undefined)[]): Buffer {
    const sealed = this.box.seal(plain, name);
    plain.fill(0);
    for (const k of keys) k?.fill(0);
    return sealed;
  }

  private retryLater(): void {
    if (this.retryTimer !== undefined || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, 500);
    this.retryTimer.unref();
  }

  // ---- leases over time ---------------------------------------------------------------

  private scheduleRenew(): void {
    if (this.closed) return;
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => void this.renew(), Math.max(50, this.o.leaseMs / 4));
    this.renewTimer.unref();
  }

  /**
   * Called before the core's timers run: when the last renewal no longer vouches for the
   * leases (this process was paused, or Redis is slow) and Redis seems up, the BSSes' timers
   * are held and a renewal goes out now. Its answer releases them, or says they are lost.
   */
  guard(now: number): void {
    if (this.holding || this.leases.size === 0 || now <= this.validUntil || !this.store.up) return;
    this.holding = true;
    this.o.log.warn({ leases: this.leases.size, overdueMs: Math.round(now - this.validUntil) }, 'BSS leases not renewed in time (was this process paused?): their timers wait for Redis to confirm them');
    this.host.hold([...this.leases.keys()], true);
    void this.renew();
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.closed) return;
    this.renewing = true;
    const sentAt = this.host.now();
    const all = [...this.leases.values()];
    const lost: string[] = [];
    let failed = false;
    try {
      if (this.store.up && all.length > 0) {
        const batches: Lease[][] = [];
        for (let i = 0; i < all.length; i += RENEW_BATCH) batches.push(all.slice(i, i + RENEW_BATCH));
        await Promise.all(batches.map(async (batch) => {
          const keys: RedisArg[] = [];
          const values: RedisArg[] = [];
          for (const l of batch) {
            keys.push(this.k('lease', l.key), this.k('bss', l.key), this.k('agent', l.agent), this.k('fence', l.key));
            values.push(l.value);
          }
          try {
            const r = (await this.store.script(RENEW, keys, [String(this.o.leaseMs), String(this.o.stateTtlMs), this.instance, ...values])) as number[];
            for (const i of r) lost.push(batch[Number(i) - 1].key);
            this.o.metrics.op('renew', 'ok');
          } catch {
            failed = true;
            this.o.metrics.op('renew', 'error');
          }
        }));
      } else if (!this.store.up) failed = true;
      if (this.store.up) await this.refreshClaims();
      // Leases taken meanwhile (takeover) are newer than this renewal: they keep their own vouching.
      if (!failed) this.validUntil = sentAt + this.o.leaseMs * VOUCH;
      if (lost.length > 0) this.lose(lost, 'another instance took the BSS over');
      if (this.holding && (!failed || !this.store.up)) {
        // Renewed, or Redis is away (then this instance serves what it holds from memory).
        this.holding = false;
        if (failed) this.validUntil = Infinity;
        this.host.hold([...this.leases.keys()], false);
      }
    } finally {
      this.renewing = false;
      this.scheduleRenew();
    }
  }

  /** The claims of the agents served here stay (they are present); expired ones are swept; the count goes to the gauge. */
  private async refreshClaims(): Promise<void> {
    const agents = new Set<string>();
    for (const l of this.leases.values()) if (l.claimed) agents.add(l.agent);
    try {
      this.host.claims(Number(await this.store.script(CLAIMS_REFRESH, [this.k('claims', ''), this.k('claim-owner', '')], [this.o.prefix, String(this.o.claimMs), ...agents])));
      this.o.metrics.op('claims-refresh', 'ok');
    } catch {
      this.o.metrics.op('claims-refresh', 'error');
    }
  }

  private lose(keys: string[], why: string): void {
    const gone = keys.filter((k) => this.leases.delete(k));
    for (const k of gone) this.dirty.delete(k);
    if (gone.length > 0) this.host.lost(gone, why);
  }

  // ---- Redis away and back ------------------------------------------------------------

  private onDown(reason: string): void {
    this.o.metrics.up(false);
    if (this.started) this.o.log.error({ reason }, 'the shared store (Redis) is not reachable: serving the agents held here from memory, refusing takeovers; state is written again when it is back');
    // While Redis is away nobody can take our BSSes over (takeovers need it): hold nothing.
    this.validUntil = Infinity;
  }

  private onUp(): void {
    this.o.metrics.up(true);
    if (!this.started) return;
    this.o.log.info({ leases: this.leases.size }, 'the shared store (Redis) is back: publishing what this instance holds again');
    void this.republish();
  }

  /**
   * After an outage (or a restart that emptied Redis): every lease held is set again unless
   * another instance took it meanwhile, and all state and PMKSAs are written again.
   */
  private async republish(): Promise<void> {
    const sentAt = this.host.now();
    const lost: string[] = [];
    try {
      await Promise.all([...this.leases.values()].map(async (l) => {
        const r = await this.store.script(RECLAIM, [this.k('lease', l.key), this.k('fence', l.key), this.k('agent', l.agent), this.k('claims', ''), this.k('claim-owner', ''), this.k('agent-claims', l.agent), this.k('claim-seq', '')], [l.value, String(this.o.leaseMs), l.agent, String(this.o.claimMs), this.instance, String(l.token), l.claimed ? l.key : '']);
        if (Number(r) !== 1) lost.push(l.key);
      }));
    } catch (e) {
      this.o.log.warn({ error: errorText(e) }, 'shared store: putting the leases back failed; retried at the next reconnect or renewal');
      return;
    }
    this.validUntil = sentAt + this.o.leaseMs * VOUCH;
    if (lost.length > 0) this.lose(lost, 'another instance took the BSS over while Redis was away');
    for (const l of this.leases.values()) {
      const d = this.mark(l.bssid);
      d.bss = true;
      for (const s of this.host.stationsOf(l.bssid)) d.stations.set(macKey(s), s);
    }
    for (const e of this.host.pmksaEntries()) {
      const name = this.pmksaKey(e.sta, e.ssid, e.aa);
      const plain = encodePmksa(e, Date.now());
      e.pmk.fill(0);
      const sealed = this.box.seal(plain, name);
      plain.fill(0);
      // NX: a newer PMKSA written by another instance meanwhile stays.
      this.count(this.store.call(['SET', name, sealed, 'PX', String(Math.max(1, Math.floor(e.remainingMs))), 'NX']), 'pmksa-set');
    }
    await this.loadPmksas();
  }

  /** Every PMKSA in Redis into the local cache (at start, and after an outage). */
  private async loadPmksas(): Promise<void> {
    let cursor = '0';
    let n = 0;
    const now = Date.now();
    try {
      do {
        const [next, keys] = (await this.store.call(['SCAN', cursor, 'MATCH', `${this.o.prefix}pmksa:*`, 'COUNT', '1000'])) as [Buffer, Buffer[]];
        cursor = String(next);
        if (keys.length === 0) continue;
        const values = (await this.store.call(['MGET', ...keys])) as (Buffer | null)[];
        for (let i = 0; i < keys.length; i++) {
          const v = values[i];
          if (v === null || v === undefined) continue;
          if (this.importSealed(String(keys[i]), v, now)) n++;
        }
      } while (cursor !== '0');
    } catch (e) {
      this.o.log.warn({ error: errorText(e) }, 'shared store: loading the PMKSA cache failed');
      return;
    }
    if (n > 0) this.o.log.info({ pmksas: n }, 'PMKSA cache loaded from the shared store');
  }

  private importSealed(name: string, sealed: Buffer, nowWall: number): boolean {
    const plain = this.box.open(sealed, name);
    if (plain === undefined) return false;
    const e = decodePmksa(plain, nowWall);
    plain.fill(0);
    if (e === undefined || name !== this.pmksaKey(e.sta, e.ssid, e.aa)) return false;
    this.host.importPmksa(e);
    e.pmk.fill(0);
    return true;
  }

  // ---- the events channel -------------------------------------------------------------

  /** type (1) | instance (16, hex) | payload. */
  /**
   * Messages of another module on the events channel (das-peers.ts): `type` is one letter
   * not used here (P F G T S are). Messages this instance sent are not handed back.
   */
  onPeerMessage(type: string, handler: (from: string, payload: Buffer) => void): void {
    if (type.length !== 1 || 'PFGTS'.includes(type)) throw new Error(`peer message type ${JSON.stringify(type)} is taken`);
    this.peerHandlers.set(type, handler);
  }

  /** Sends a message of onPeerMessage's kind to every other instance; false while Redis is down. */
  sendPeerMessage(type: string, payload: Buffer): boolean {
    if (!this.store.up) return false;
    this.publish(type, payload);
    return true;
  }

  private publish(type: string, payload: Buffer): void {
    if (!this.store.up) return;
    this.count(this.store.call(['PUBLISH', this.channel, Buffer.concat([Buffer.from(type + this.instance, 'latin1'), payload])]), 'publish');
  }

  private onMessage(m: Buffer): void {
    if (m.length < 17) return;
    const type = String.fromCharCode(m[0]);
    const from = m.toString('latin1', 1, 17);
    if (from === this.instance) return;
    const p = m.subarray(17);
    switch (type) {
      case 'P': {
        if (p.length < 2) return;
        const n = p.readUInt16BE(0);
        this.importSealed(p.toString('utf8', 2, 2 + n), p.subarray(2 + n), Date.now());
        return;
      }
      case 'F':
        if (p.length >= 6) this.host.forgetPmksa(Buffer.from(p.subarray(0, 6)), Buffer.from(p.subarray(6)));
        return;
      case 'G':
        if (p.length >= 12) this.host.forgetPmksa(Buffer.from(p.subarray(0, 6)), Buffer.from(p.subarray(12)), Buffer.from(p.subarray(6, 12)));
        return;
      case 'T': {
        const key = p.toString('utf8', 0, 12);
        const l = this.leases.get(key);
        if (l !== undefined && p.toString('utf8', 12) !== l.value) this.lose([key], 'another instance took the BSS over (its agent connected there)');
        return;
      }
      case 'S': {
        if (p.length < 14) return;
        const at = p.readDoubleBE(0);
        const stas: Buffer[] = [];
        for (let i = 8; i + 6 <= p.length; i += 6) stas.push(Buffer.from(p.subarray(i, i + 6)));
        this.host.stationsMovedAway(stas, at);
        return;
      }
      default:
        this.peerHandlers.get(type)?.(from, p);
    }
  }

  // ---- helpers ------------------------------------------------------------------------

  private k(kind: 'lease' | 'fence' | 'bss' | 'agent' | 'agent-claims' | 'claims' | 'claim-owner' | 'claim-seq', id: string): string {
    return id === '' ? `${this.o.prefix}${kind}` : `${this.o.prefix}${kind}:${id}`;
  }

  /** The key of a station's PMKSA on an SSID; an SAE PMKSA's also names its BSS (one per BSS). */
  private pmksaKey(sta: Buffer, ssid: Buffer, aa?: Buffer): string {
    const base = `${this.o.prefix}pmksa:${sta.toString('hex')}:${ssid.toString('hex')}`;
    return aa === undefined ? base : `${base}:${aa.toString('hex')}`;
  }

  private count(p: Promise<unknown>, op: string): void {
    p.then(
      () => this.o.metrics.op(op, 'ok'),
      () => this.o.metrics.op(op, 'error'),
    );
  }
}

function wipeSnapshot(s: StationSnapshot): void {
  s.pmk?.fill(0);
  s.ptk.fill(0);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
