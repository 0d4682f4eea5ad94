/**
 * The load of the airlock path: sim agents (services/edge-agent EdgeAgent + SimDriver) in
 * this process, connected over real gRPC to the authenticator process, whose stations run
 * packages/supplicant (EAP peer or SAE, then the 4-way handshake). Joins are driven
 * closed-loop: at most `concurrency` stations between association (or, for WPA3, the start
 * of SAE) and port authorized at any time.
 */
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { EdgeAgent, SimDriver, simBsses, simStations, type SimStationSpec } from '@airlock/edge-agent';
import { formatMac } from '@airlock/rsn';
import { RandomPool } from '@airlock/authenticator';
import type { EapPeerOptions } from '@airlock/supplicant';
import type * as grpc from '@grpc/grpc-js';

/** Shape of the simulated radios. */
export interface SimLoadOptions {
  /** host:port of the authenticator's gRPC server. */
  target: string;
  /**
   * Other instances of the authenticator (several on a shared store): agent number a
   * connects first to the (a mod n)-th of target + alternates, then to the next ones in turn.
   */
  alternates?: string[];
  agents: number;
  stationsPerAgent: number;
  bssesPerAgent: number;
  ssid: string;
  /** AKM selector of every BSS (AKM.SAE: SAE only, PMF required, H2E). */
  akm: number;
  /**
   * WPA3 stations: on a BSS that offers SAE each runs SAE (H2E) with `passphrase` as its
   * password before associating, on every join (no PMKSA caching: each join is a full
   * SAE exchange).
   */
  wpa3?: boolean;
  /** First agent number (MAC addresses derive from it: distinct loads never collide). */
  firstAgentNumber: number;
  /** EAP method of the station with global index `i` (802.1X); absent: PSK stations with `passphrase`. */
  eap?: (i: number) => EapPeerOptions;
  passphrase?: string;
  /** Agent ids (default bench-N) and their channel credentials (default plaintext). */
  agentId?: (agentNumber: number) => string;
  credentials?: (agentId: string) => grpc.ChannelCredentials;
  /** Extra channel options of every agent (e.g. its own connection). */
  channelOptions?: grpc.ChannelOptions;
  /** Disconnected stations associate again after this many ms (default: they stay away). */
  rejoinAfterDisconnectMs?: number;
}

/** What one wave of joins measured. */
export interface JoinRun {
  joined: number;
  failed: number;
  /** Disconnect reasons of failed stations (reason code -> count). */
  failures: Record<string, number>;
  timedOut: number;
  wallMs: number;
  latenciesMs: number[];
  /** CPU time (user + system) of this process over the run, in microseconds. */
  loadCpuUs: number;
}

interface Pending {
  driver: SimDriver;
  mac: Buffer;
  bss: number;
}

/** Sim agents with 802.1X stations, connected to one authenticator. */
export class SimLoad {
  readonly agents: EdgeAgent[] = [];
  readonly drivers: SimDriver[] = [];
  private readonly stationsOf = new Map<SimDriver, SimStationSpec[]>();

  constructor(private readonly opts: SimLoadOptions) {
    let global = 0;
    const nonces = new RandomPool();
    for (let a = 0; a < opts.agents; a++) {
      const agentNumber = opts.firstAgentNumber + a;
      const topology = { agentNumber, bsses: opts.bssesPerAgent, stations: opts.stationsPerAgent, ssid: opts.ssid, passphrase: opts.passphrase ?? '' };
      const eap = opts.eap;
      const wpa3 = opts.wpa3 === true ? { wpa3: true, pmksaCaching: false } : {};
      const stations = simStations(topology).map((s) => (eap === undefined ? { ...s, ...wpa3 } : { ...s, ...wpa3, eap: eap(global++) }));
      const driver = new SimDriver({
        bsses: simBsses(topology).map((b) => ({ ...b, akm: opts.akm })),
        stations,
        autoJoin: false,
        behaviour: opts.rejoinAfterDisconnectMs === undefined ? { rejoinAfterDisconnect: false } : { rejoinAfterDisconnect: true, awayMs: [opts.rejoinAfterDisconnectMs, opts.rejoinAfterDisconnectMs] },
        seed: agentNumber,
        // SNonces from a pooled CSPRNG: crypto.randomBytes costs several µs per call, and
        // the load generator's CPU per join is measured.
        random: (n) => nonces.take(n),
      });
      this.drivers.push(driver);
      this.stationsOf.set(driver, stations);
      const agentId = opts.agentId?.(agentNumber) ?? `bench-${agentNumber}`;
      const all = [opts.target, ...(opts.alternates ?? [])];
      const first = a % all.length;
      const order = [...all.slice(first), ...all.slice(0, first)];
      this.agents.push(new EdgeAgent({ agentId, target: order[0], alternates: order.slice(1), driver, logger: pino({ level: 'silent' }), credentials: opts.credentials?.(agentId), channelOptions: opts.channelOptions, backoffInitialMs: 100, backoffMaxMs: 2000 }));
    }
  }

  /** Total stations. */
  get stations(): number {
    return this.opts.agents * this.opts.stationsPerAgent;
  }

  /**
   * Connects every agent and waits for each Welcome, `wave` agents at a time (APs coming up
   * over a few minutes, not 10,000 TLS handshakes in the same instant: those overflow the
   * listen backlog and time out into retries).
   */
  async connect(timeoutMs = 10_000, wave = 250): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (let i = 0; i < this.agents.length; i += wave) {
      const batch = this.agents.slice(i, i + wave);
      await Promise.all(batch.map((a) => a.start()));
      while (!batch.every((a) => a.connected)) {
        if (Date.now() > end) throw new Error(`${this.agents.filter((a) => !a.connected).length} of ${this.agents.length} agents not welcomed after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  /**
   * Associates every station once (spread over its agent's BSSes), at most `concurrency` in
   * flight, and waits until each is authorized, disconnected, or `timeoutMs` passes.
   */
  async joinAll(concurrency: number, timeoutMs: number): Promise<JoinRun> {
    return this.join({ concurrency }, timeoutMs);
  }

  /**
   * Open loop: associates the stations at `ratePerS` (evenly paced, whatever the answers),
   * and waits until each is authorized, disconnected, or `timeoutMs` passes.
   */
  async joinAtRate(ratePerS: number, timeoutMs: number): Promise<JoinRun> {
    return this.join({ ratePerS }, timeoutMs);
  }

  /** Every station leaves (disassociation); resolves once the radios have none left. */
  leaveAll(): void {
    for (const d of this.drivers) for (const s of this.stationsOf.get(d)!) d.leave(s.mac);
  }

  private async join(pace: { concurrency?: number; ratePerS?: number }, timeoutMs: number): Promise<JoinRun> {
    const queue: Pending[] = [];
    // Interleave the agents, so that every stream carries load from the start.
    const lists = this.drivers.map((d) => this.stationsOf.get(d)!.map((s, i) => ({ driver: d, mac: s.mac, bss: i % this.opts.bssesPerAgent })));
    for (let i = 0; lists.some((l) => i < l.length); i++) for (const l of lists) if (i < l.length) queue.push(l[i]);
    const run: JoinRun = { joined: 0, failed: 0, failures: {}, timedOut: 0, wallMs: 0, latenciesMs: [], loadCpuUs: 0 };
    const started = new Map<string, number>();
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const total = queue.length;
    const closedLoop = pace.ratePerS === undefined;
    let head = 0; // queue.shift() would move the whole queue on every join
    const startOne = (): void => {
      const p = head < queue.length ? queue[head++] : undefined;
      if (p === undefined) {
        if (started.size === 0) done();
        return;
      }
      started.set(formatMac(p.mac), performance.now());
      p.driver.join(p.mac, p.bss);
    };
    const startNext = (): void => {
      if (closedLoop) startOne();
      else if (head === queue.length && started.size === 0) done();
    };
    const onAuthorized = (sta: string): void => {
      const t0 = started.get(sta);
      if (t0 === undefined) return;
      started.delete(sta);
      run.joined++;
      run.latenciesMs.push(performance.now() - t0);
      startNext();
    };
    const onDisconnected = (sta: string, reason: number): void => {
      if (!started.delete(sta)) return;
      run.failed++;
      run.failures[String(reason)] = (run.failures[String(reason)] ?? 0) + 1;
      startNext();
    };
    for (const d of this.drivers) {
      d.on('authorized', onAuthorized);
      d.on('disconnected', onDisconnected);
    }
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    if (total === 0) done();
    let pacer: NodeJS.Timeout | undefined;
    if (closedLoop) {
      for (let i = 0; i < Math.min(pace.concurrency ?? 1, total); i++) startOne();
    } else {
      // Every 5 ms, start the joins that are due by now: the rate holds whatever the timer jitter.
      const perMs = (pace.ratePerS ?? 1) / 1000;
      let issued = 0;
      pacer = setInterval(() => {
        const due = Math.min(total, Math.floor((performance.now() - t0) * perMs) + 1);
        while (issued < due) {
          issued++;
          startOne();
        }
        if (issued >= total) clearInterval(pacer);
      }, 5);
    }
    const timer = setTimeout(done, timeoutMs);
    await finished;
    clearTimeout(timer);
    clearInterval(pacer);
    run.wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    run.loadCpuUs = cpu.user + cpu.system;
    run.timedOut = started.size + queue.length - head;
    for (const d of this.drivers) {
      d.off('authorized', onAuthorized);
      d.off('disconnected', onDisconnected);
    }
    return run;
  }

  private joinWatch: { started: Map<string, number>; latenciesMs: number[]; off: () => void } | undefined;

  /**
   * From now on, times every join the stations make by themselves (a rejoin after the
   * authenticator disconnected them): association to port authorized, at the station, as
   * joinAll times the joins it starts. joinLatencies() returns them.
   */
  watchJoins(): void {
    this.stopWatch();
    const started = new Map<string, number>();
    const latenciesMs: number[] = [];
    const onAssociated = (sta: string): void => {
      started.set(sta, performance.now());
    };
    const onAuthorized = (sta: string): void => {
      const t0 = started.get(sta);
      if (t0 === undefined) return;
      started.delete(sta);
      latenciesMs.push(performance.now() - t0);
    };
    for (const d of this.drivers) {
      d.on('associated', onAssociated);
      d.on('authorized', onAuthorized);
    }
    const off = (): void => {
      for (const d of this.drivers) {
        d.off('associated', onAssociated);
        d.off('authorized', onAuthorized);
      }
    };
    this.joinWatch = { started, latenciesMs, off };
  }

  /** The join latencies (ms) timed since watchJoins(), which stops. */
  joinLatencies(): number[] {
    return this.stopWatch();
  }

  private stopWatch(): number[] {
    const w = this.joinWatch;
    this.joinWatch = undefined;
    w?.off();
    return w?.latenciesMs ?? [];
  }

  private failoverWatch: { lostAt: Map<EdgeAgent, number>; ms: number[]; off: () => void } | undefined;

  /**
   * From now on, times each agent's failover: from its stream lost to its next Welcome (the
   * authenticator sends it once the agent's stations' state is restored). failovers()
   * returns them.
   */
  watchFailovers(): void {
    const lostAt = new Map<EdgeAgent, number>();
    const ms: number[] = [];
    const offs: (() => void)[] = [];
    for (const a of this.agents) {
      const onLost = (): void => {
        if (!lostAt.has(a)) lostAt.set(a, performance.now());
      };
      const onWelcome = (): void => {
        const t0 = lostAt.get(a);
        if (t0 === undefined) return;
        lostAt.delete(a);
        ms.push(performance.now() - t0);
      };
      a.on('disconnected', onLost);
      a.on('welcome', onWelcome);
      offs.push(() => {
        a.off('disconnected', onLost);
        a.off('welcome', onWelcome);
      });
    }
    this.failoverWatch = { lostAt, ms, off: () => offs.forEach((f) => f()) };
  }

  /** Failover times (ms) since watchFailovers, agents still without a Welcome, and disconnects and joins of stations so far. */
  failovers(): { ms: number[]; pending: number; disconnects: number; joins: number } {
    const w = this.failoverWatch;
    return {
      ms: w?.ms ?? [],
      pending: w?.lostAt.size ?? 0,
      disconnects: this.drivers.reduce((n, d) => n + d.stats.disconnects, 0),
      joins: this.drivers.reduce((n, d) => n + d.stats.joins, 0),
    };
  }

  /** Authorized stations whose TK on the AP side differs from the station's (must be 0). */
  keyMismatches(): number {
    let n = 0;
    for (const d of this.drivers) {
      for (const v of d.keyViews()) {
        if (v.state !== 'authorized') continue;
        if (v.apTk === undefined || v.stationTk === undefined || !v.apTk.equals(v.stationTk)) n++;
      }
    }
    return n;
  }

  /** SAE exchanges the stations started and the ones that failed (at the Confirm), over every radio so far. */
  saeStats(): { exchanges: number; failures: number } {
    return {
      exchanges: this.drivers.reduce((n, d) => n + d.stats.saeExchanges, 0),
      failures: this.drivers.reduce((n, d) => n + d.stats.saeFailures, 0),
    };
  }

  /** Ordering violations the sim radios saw (a protected frame before its PTK, a port opened too early): must be 0. */
  violations(): number {
    return this.drivers.reduce((n, d) => n + d.violations.length, 0);
  }

  /** Stops every agent. */
  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop()));
  }
}
