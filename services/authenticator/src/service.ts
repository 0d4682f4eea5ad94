/**
 * The authenticator's glue — the one place that turns core effects into AgentLink
 * commands, agent events into core events, reports into metrics and logs, and the core's
 * next deadline into a single timer. Nothing here decides protocol behaviour.
 */
import { performance } from 'node:perf_hooks';
import { status } from '@grpc/grpc-js';
import type { AgentHello, LinkEvent } from '@airlock/link';
import { decodeEvent, type AgentMessage } from '@airlock/proto';
import {
  AuthenticatorCore,
  formatMac,
  isMac,
  macKey,
  parseMac,
  Reason,
  type CoreEvent,
  type CoreOptions,
  type Effect,
  type NetworkPolicy,
  type SaePolicy,
  type SharedPmksa,
  type RadiusOutcome,
  type Report,
  type StationEntryView,
  type BssConfig,
} from '@airlock/rsn';
import { DeadlineTimer, RadiusClient, RadiusCode, RadiusTimeoutError, type AccessOutcome, type RadiusServer } from '@airlock/radius';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { AgentSession, type AgentCall, type HelloResult, type SessionHost } from './agent-session.js';
import { EffectRouter, type AccountingEffect } from './effect-router.js';
import { checkHelloAgent, checkHelloBsses, MAX_AUTHENTICATION_BODY, MAX_RSNE } from './hello-check.js';
import { RandomPool } from './random-pool.js';
import { HandshakeSeries } from './status/series.js';
import { BssPolicy } from './bss-policy.js';
import { agentRoleOf, refusalReason, type ClientRole } from './client-role.js';
import { accessRequestAttributes, accountingAttributes, AcctStatus, outcomeOf, pskLookupAttributes, type NasIdentity, type StationTraffic } from './radius-attributes.js';
import { PskLookup } from './psk-lookup.js';
import { DynamicAuthorization, matchSessions, runJob, type DasTarget } from './dynamic-authorization.js';
import { DasPeerLink } from './store/das-peers.js';
import { splitListen } from './http-endpoints.js';
import type { AuthenticatorConfig } from './config.js';
import { AKM_BY_NAME } from './akm-names.js';
import { recordReport } from './report-metrics.js';
import { RadiusHealth, type RadiusServerHealth } from './radius-health.js';
import { radiusTestAnswer, radiusTestAttributes, RadiusTestRefused, type RadiusTestOutcome } from './radius-test.js';
import { remoteLogs, truncateText, type RateLimitedLevel, type RemoteLogs } from './logging.js';
import type { AirlockMetrics } from './metrics.js';
import { EventJournal, type EventItem } from './events/event-journal.js';
import { SingleProcess, type Placement } from './placement.js';
import { SharedState, type TakeoverResult } from './store/shared-state.js';
import { keksOf } from './store/kek.js';
import { StationEvents } from './events/station-events.js';
import { FailureBoard, GoneAgents } from './status/failures.js';

/** What a takeover found per BSS (macKey). */
type TakeoverFound = Extract<TakeoverResult, { ok: true }>['found'];

/** Everything the service is built from. */
export interface ServiceOptions {
  config: AuthenticatorConfig;
  logger: Logger;
  metrics: AirlockMetrics;
  /** CSPRNG; tests may inject a deterministic one. */
  random?: (n: number) => Buffer;
  /**
   * A cluster worker: its station events go to the primary's journal (which serves
   * StreamEvents); absent, this process keeps the journal.
   */
  eventSink?: (item: EventItem, at: number) => void;
}

/** An agent as the admin API shows it (AuthenticatorService.agentViews). */
export interface AgentView {
  agentId: string;
  /** False while it is away, in its reconnect grace period. */
  connected: boolean;
  peer?: string;
  /** When its stream opened (Unix ms). */
  connectedAt?: number;
  bssids: string[];
}

/**
 * How often agents report the transmit packet numbers of their group keys (Welcome
 * settings.group_key_interval_s): msg 3/4 gives a joining station the last one reported, so
 * it accepts as replays at most what the BSS sent since (hostapd asks its driver each time).
 */
const GROUP_KEY_INTERVAL_S = 10;

/** Builds the core's network policies from the configuration. */
export function networkPolicies(config: AuthenticatorConfig): Map<string, NetworkPolicy> {
  const out = new Map<string, NetworkPolicy>();
  for (const n of config.networks) {
    const ssid = Buffer.from(n.ssid, 'utf8');
    const stationPassphrases = new Map<string, string[]>();
    for (const s of n.stationPsks) {
      const mac = parseMac(s.sta);
      if (mac === undefined) continue; // validated by the config parser
      const k = macKey(mac);
      stationPassphrases.set(k, [...(stationPassphrases.get(k) ?? []), s.passphrase]);
    }
    out.set(ssid.toString('hex'), {
      ssid,
      akms: n.akms.map((a) => AKM_BY_NAME[a]),
      passphrases: [...n.passphrases],
      stationPassphrases,
      groupRekeyMs: n.groupRekeyS * 1000,
      rekeyGtkOnLeave: n.rekeyGtkOnLeave,
      sae: n.akms.includes('sae') ? saePolicy(n) : undefined,
      pskSource: n.pskSource ?? 'config',
    });
  }
  return out;
}

/** The core's SAE policy of a network: its SAE passwords, or (hostapd) its passphrases and station PSKs. */
function saePolicy(n: AuthenticatorConfig['networks'][number]): SaePolicy {
  const sae = n.sae ?? { pwe: 'both', passwords: [], antiCloggingThreshold: 5 };
  const explicit = sae.passwords.map((p) => ({
    password: p.password,
    identifier: p.identifier === '' ? undefined : p.identifier,
    sta: p.sta === '' ? undefined : macKey(parseMac(p.sta)!),
    vlanId: p.vlan,
  }));
  const raw = /^[0-9a-fA-F]{64}$/;
  const implied = [
    ...n.stationPsks.filter((s) => !raw.test(s.passphrase)).map((s) => ({ password: s.passphrase, sta: macKey(parseMac(s.sta)!) })),
    ...n.passphrases.filter((p) => !raw.test(p)).map((password) => ({ password })),
  ];
  const pwe = sae.pwe === 'hunting-and-pecking' ? 0 : sae.pwe === 'h2e' ? 1 : 2;
  return { pwe, passwords: explicit.length > 0 ? explicit : implied, antiCloggingThreshold: sae.antiCloggingThreshold };
}

/**
 * The traffic counters of an accounting session in progress, for its Interim-Updates and
 * Stop (the core keeps the session and says when to send what).
 */
interface AcctSession {
  acctSessionId: string;
  bssid: Buffer;
  traffic: StationTraffic | undefined;
}

/** RFC 2865/2866 names of response codes, for metric labels. */
const RADIUS_CODE_NAMES: Record<number, string> = {
  [RadiusCode.AccessAccept]: 'Access-Accept',
  [RadiusCode.AccessReject]: 'Access-Reject',
  [RadiusCode.AccessChallenge]: 'Access-Challenge',
  [RadiusCode.AccountingResponse]: 'Accounting-Response',
};

/** The fields of a 'frame dropped' line. */
function dropFields(reason: string, bssid: Buffer | undefined, sta: Buffer | undefined, detail: string): Record<string, unknown> {
  return { reason, detail: truncateText(detail), bssid: bssid && isMac(bssid) ? formatMac(bssid) : undefined, sta: sta && isMac(sta) ? formatMac(sta) : undefined };
}

/** The authenticator: core + agent sessions + timer + metrics. */
export class AuthenticatorService implements SessionHost {
  readonly core: AuthenticatorCore;
  /** Where the core's effects go: commands to the agent serving their BSS, RADIUS, reports. */
  private readonly effectRouter = new EffectRouter({
    agentFor: (bssid) => {
      const agent = this.bssAgent.get(macKey(bssid));
      return agent === undefined ? undefined : this.sessions.get(agent);
    },
    accessRequest: (e) => this.sendAccessRequest(e),
    pskRequest: (e) => this.pskLookup.lookup(e, pskLookupAttributes(e, this.nas)),
    accounting: (e) => this.sendAccounting(e), // a Stop must go out even when the agent is gone
    report: (r) => this.onReport(r),
  });
  private readonly log: Logger;
  private readonly metrics: AirlockMetrics;
  private config: AuthenticatorConfig;
  private networks: Map<string, NetworkPolicy>;
  private readonly sessions = new Map<string, AgentSession>();
  /** The agent serving each BSS (bssid macKey -> agent id), connected or in reconnect grace. */
  private readonly bssAgent = new Map<string, string>();
  /** Each agent's BSSes (connected or in reconnect grace). */
  private readonly agentBsses = new Map<string, Set<string>>();
  private bssPolicy: BssPolicy;
  /** The agent role of client certificates (grpc.tls.agent_ca), loaded on the first stream; undefined in plaintext mode. */
  private agentRole: ClientRole | undefined;
  private stopping = false;
  /** Debug logging is on: debug lines (and the formatting of their fields) only then. */
  private readonly debug: boolean;
  /** Lines driven by remote input, rate-limited per source (DESIGN.md "Security", "Fairness"). */
  private readonly remoteLog: RemoteLogs;
  /** The one timer of the process's protocol time: the core's and the RADIUS clients' next deadline. */
  private readonly timer = new DeadlineTimer(() => this.onTimer(), () => this.now());
  private readonly t0 = performance.now();
  /** Unix ms of a time on the core's clock. */
  wallMs(coreMs: number): number {
    return performance.timeOrigin + this.t0 + coreMs;
  }

  /** The core's clock at Unix ms `wallMs` (the inverse of wallMs). */
  coreMs(wallMs: number): number {
    return wallMs - performance.timeOrigin - this.t0;
  }
  private stopped = false;
  private radius: RadiusClient | undefined;
  private das: DynamicAuthorization | undefined;
  /** PSKs from RADIUS (psk_source: radius), and the answers kept for their Session-Timeout. */
  private readonly pskLookup = new PskLookup({
    requestAccess: (attrs, userPassword, owner, conversation, done) => {
      // Never answered inside the call: the core is still routing the effects that asked.
      if (this.radius === undefined) return queueMicrotask(() => done({ ok: false, error: { reason: 'timeout', servers: [], detail: 'no RADIUS server configured' } }));
      this.radius.requestAccess(attrs, { userPassword, owner, conversation }, done);
    },
    deliver: (ref, outcome) => this.deliverRadius(ref, outcome),
    count: (result) => this.metrics.pskLookups.inc({ result }),
    // The core's clock: a kept answer's time left becomes the session's Session-Timeout there.
    now: () => this.now(),
  });
  /** Clients replaced by a reload, finishing their requests (ticked by the one timer until they are idle). */
  private readonly retiringRadius = new Set<RadiusClient>();
  /** The health of each RADIUS client's servers (radius-health.ts): state changes are logged there, not per request. */
  private readonly radiusHealthOf = new WeakMap<RadiusClient, RadiusHealth>();
  private readonly random: (n: number) => Buffer;
  private nas: NasIdentity;
  private readonly acctSessions = new Map<string, AcctSession>();
  private readonly acctPending = new Set<Promise<void>>();
  private readonly placement: Placement;
  /** The shared store of several authenticators (redis.url), when configured. */
  readonly shared: SharedState | undefined;
  /** Handshake outcomes over the last minutes (the status page). */
  readonly handshakeSeries = new HandshakeSeries();
  /** Recent and live station events (StreamEvents) when this service serves them itself; a cluster worker sends its events to the primary. */
  readonly events: EventJournal | undefined;
  /** Station events in words: logged, then recorded (events/station-events.ts). */
  private readonly stationEvents: StationEvents;
  /** Failed handshakes by BSS and cause, in words, and the agents that went away (the status page). */
  readonly failures = new FailureBoard();
  readonly goneAgents = new GoneAgents();

  constructor(opts: ServiceOptions) {
    this.config = opts.config;
    this.log = opts.logger;
    this.metrics = opts.metrics;
    this.remoteLog = remoteLogs(this.log, (source) => this.metrics.logLinesSuppressed.inc({ source }));
    const journal = opts.eventSink === undefined ? new EventJournal() : undefined;
    this.events = journal;
    const toJournal = opts.eventSink ?? ((item: EventItem) => journal!.append(item));
    this.shared = opts.config.redis.url !== '' ? this.makeShared(opts.config, toJournal) : undefined;
    const placement = this.shared ?? new SingleProcess(toJournal);
    this.placement = placement;
    this.stationEvents = new StationEvents({
      logger: this.log,
      sink: (item, at) => placement.stationEvent(item, at),
      onSuppressed: () => this.metrics.logLinesSuppressed.inc({ source: 'station-event' }),
    });
    this.networks = networkPolicies(opts.config);
    // With a shared store the first-claims are the store's, over every instance (store-scripts.ts CLAIM).
    this.bssPolicy = new BssPolicy(opts.config.agents, undefined, this.shared !== undefined);
    const e = opts.config.eapol;
    const pool = new RandomPool();
    const random = opts.random ?? ((n: number) => pool.take(n));
    const debug = this.log.isLevelEnabled('debug');
    this.debug = debug;
    const r = opts.config.radius;
    this.nas = { identifier: r.nasIdentifier, ipAddress: r.nasIpAddress };
    this.random = random;
    this.radius = this.makeRadiusClient(r);
    this.showRadiusServers();
    this.core = new AuthenticatorCore({
      random: random,
      timing: {
        pairwiseUpdateCount: e.pairwiseUpdateCount,
        groupUpdateCount: e.groupUpdateCount,
        firstTimeoutMs: e.firstTimeoutMs,
        firstTimeoutNoTxStatusMs: e.firstTimeoutNoTxStatusMs,
        subsequentTimeoutMs: e.subsequentTimeoutMs,
        groupTimeoutMs: e.groupTimeoutMs,
        eapRetransmitMs: opts.config.eap.retransmitMs,
        eapMaxTransmissions: opts.config.eap.maxTransmissions,
        quietPeriodMs: opts.config.eap.quietPeriodS * 1000,
        pmksaLifetimeMs: opts.config.eap.pmksaLifetimeS * 1000,
      },
      maxStationsPerBss: opts.config.limits.maxStationsPerBss,
      maxStationsPerAgent: opts.config.limits.maxStationsPerAgent,
      maxPendingPerBss: opts.config.limits.maxPendingStationsPerBss,
      macBackoff: backoffOptions(opts.config.limits),
      eapolRate: { perSecond: opts.config.limits.eapolPerStationPerS, burst: opts.config.limits.eapolBurstPerStation },
      maxHandshakesInFlight: opts.config.limits.maxHandshakesInFlight,
      pmksaListener: this.shared,
      saListener: this.shared,
      accountingInterimMs: interimMs(opts.config.radius),
      trace: debug
        ? (t) => this.log.debug({ machine: t.machine, bssid: formatMac(t.bssid), sta: t.sta && formatMac(t.sta), from: t.from, to: t.to }, 'state transition')
        : undefined,
    });
  }

  /**
   * The shared store (store/shared-state.ts) and what it asks of this service: snapshots of
   * the core's state, PMKSAs, and the BSSes it lost to another instance or must hold.
   */
  private makeShared(config: AuthenticatorConfig, journal: (item: EventItem, at: number) => void): SharedState {
    const r = config.redis;
    const keks = keksOf(r.kek, r.kekPrevious);
    return new SharedState({
      url: r.url,
      password: r.password === '' ? undefined : r.password,
      prefix: r.keyPrefix,
      kek: keks.kek,
      kekId: keks.id,
      kekPrevious: keks.previous,
      leaseMs: r.leaseMs,
      stateTtlMs: r.leaseMs + Math.max(config.agents.reconnectGraceS * 1000, r.leaseMs),
      claimMs: config.agents.claimExpiryS * 1000,
      firstClaim: config.agents.bssPolicy === 'first-claim',
      maxClaimsPerAgent: config.agents.maxBssesPerAgent,
      maxClaims: config.agents.maxClaims,
      commandTimeoutMs: r.commandTimeoutMs,
      connectTimeoutMs: r.connectTimeoutMs,
      log: this.log.child({ component: 'shared-store' }),
      metrics: {
        up: (v) => this.metrics.storeUp.set(v ? 1 : 0),
        op: (op, result) => this.metrics.storeOperations.inc({ op, result }),
        takeover: (result) => this.metrics.storeTakeovers.inc({ result }),
      },
      host: {
        clock: { toWall: (t) => this.wallMs(t), toCore: (w) => this.coreMs(w) },
        now: () => this.now(),
        exportBss: (bssid) => this.core.exportBss(bssid),
        exportStation: (sta) => this.core.exportStation(sta),
        pmksaEntries: () => this.core.pmksaEntries(this.now()),
        stationsOf: (bssid) => this.core.stationsOf(bssid),
        importPmksa: (e) => this.importPmksa(e),
        forgetPmksa: (sta, ssid, aa) => this.forgetPmksa(sta, ssid, aa),
        lost: (keys, why) => this.lostBsses(keys, why),
        hold: (keys, held) => {
          for (const k of keys) this.apply(this.core.holdBss(Buffer.from(k, 'hex'), held, this.now()));
          this.armTimer();
        },
        stationsMovedAway: (stas, at) => this.stationsMovedAway(stas, at),
        journal,
        claims: (n) => this.metrics.bssClaims.set(n),
      },
    });
  }

  /**
   * Another instance serves these BSSes now (their agent connected there): they go from
   * here without a word to their stations or to RADIUS. A stream of their agent still open
   * here ends (the agent is elsewhere).
   */
  private lostBsses(keys: string[], why: string): void {
    const now = this.now();
    const agents = new Set<string>();
    for (const k of keys) {
      this.apply(this.core.relinquishBss(Buffer.from(k, 'hex'), now));
      const id = this.bssAgent.get(k);
      this.bssAgent.delete(k);
      if (id === undefined) continue;
      agents.add(id);
      this.agentBsses.get(id)?.delete(k);
      this.sessions.get(id)?.bssKeys.delete(k);
    }
    for (const id of agents) {
      // Rate-limited per agent: one that flaps between instances makes one of these each time.
      this.remoteLog.agent.write(this.log, 'info', `${truncateText(id, 128)}|moved`, { agent: id, bsses: keys.length, reason: why }, "the agent's BSSes are served by another authenticator instance now: let go here");
      if (this.agentBsses.get(id)?.size === 0) this.agentBsses.delete(id);
      const s = this.sessions.get(id);
      if (s !== undefined) {
        this.sessions.delete(id);
        this.metrics.agentsConnected.set(this.sessions.size);
        s.fail(status.ABORTED, 'this agent is served by another authenticator instance now');
      }
    }
    this.armTimer();
  }

  /**
   * A RADIUS client for `r` (undefined without servers); not started. It runs on the core's
   * clock and is ticked by the service's one timer (armTimer): its retransmissions, failover
   * and Status-Server probes are deadlines of the client, not timers of their own.
   */
  private makeRadiusClient(r: AuthenticatorConfig['radius']): RadiusClient | undefined {
    if (r.servers.length === 0) return undefined;
    const health = new RadiusHealth(r.servers);
    const client: RadiusClient = new RadiusClient({
      servers: r.servers.map((x): RadiusServer =>
        x.transport === 'tls' && x.tls !== undefined
          ? {
              transport: 'tls',
              name: x.name,
              host: x.host,
              port: x.tlsPort,
              secret: x.secret === '' ? undefined : Buffer.from(x.secret, 'utf8'),
              tls: { ca: readFileSync(x.tls.ca), cert: readFileSync(x.tls.cert), key: readFileSync(x.tls.key), serverName: x.tls.serverName === '' ? undefined : x.tls.serverName },
            }
          : { name: x.name, host: x.host, authPort: x.authPort, acctPort: x.acctPort, secret: Buffer.from(x.secret, 'utf8') },
      ),
      timeoutMs: r.timeoutMs,
      maxRetransmits: r.maxRetransmits,
      deadAfterMs: r.deadAfterMs,
      probeIntervalMs: r.probeIntervalMs,
      maxInFlight: r.maxInFlight,
      random: this.random,
      clock: { now: () => this.now(), wake: () => this.armTimer() },
      onResult: (res) => {
        health.onResult(res, Date.now());
        // Status-Server probes are not requests of stations: label them apart.
        const code =
          res.kind === 'status'
            ? res.code === 'timeout' ? 'Status-Server-timeout' : 'Status-Server-answered'
            : typeof res.code === 'number' ? (RADIUS_CODE_NAMES[res.code] ?? String(res.code)) : res.code;
        this.metrics.radiusRequests.inc({ server: res.server, code });
        if (res.rttMs !== undefined) this.metrics.radiusRtt.observe({ server: res.server }, res.rttMs / 1000);
        if (res.code === 'invalid') {
          // Anyone can send datagrams to the client's port: counted, and logged per source.
          const reason = res.reason ?? 'unknown';
          this.metrics.framesDropped.inc({ reason: 'radius_invalid_response' });
          this.metrics.radiusInvalidResponses.inc({ server: res.server, reason });
          const from = res.source === undefined ? undefined : `${res.source.address}:${res.source.port}`;
          this.remoteLog.radius.write(this.log, 'warn', `${res.server}|${res.source?.address ?? ''}|${reason}`, { server: res.server, reason, from }, 'RADIUS response dropped');
        }
      },
      onSocketError: (err, server) => health.onSocketError(server, err, Date.now()),
      onServerState: (server, alive, previousForMs) => {
        // A client replaced by a reload finishes its requests in flight: what it still
        // finds out about its servers is not the state of the configured ones.
        if (client !== this.radius) return;
        this.metrics.radiusServerUp.set({ server }, alive ? 1 : 0);
        // One line per change of state (radius-health.ts); the requests in between are counted.
        const line = health.onState(server, alive, previousForMs, client.serverStates());
        if (line !== undefined) this.log[line.level](line.fields, line.msg);
      },
    });
    this.radiusHealthOf.set(client, health);
    return client;
  }

  /** airlock_radius_server_up: one series per server of the current client, none for servers no longer configured. */
  private showRadiusServers(): void {
    this.metrics.radiusServerUp.reset();
    for (const s of this.radiusServers()) this.metrics.radiusServerUp.set({ server: s.name }, s.alive ? 1 : 0);
  }

  /**
   * A configuration reload (SIGHUP): BSS policies (networks: PSKs, per-station PSKs, rekey
   * intervals), RADIUS servers and settings, and agent BSS assignments take effect without
   * ending any agent stream or station. Refused as a whole, the old configuration staying in
   * force, when it would take an SSID (or change the AKMs of one) that BSSes serve now.
   * Sections that need a restart (listen addresses, TLS files, limits, timers) are reported
   * and keep their running values.
   */
  async reload(next: AuthenticatorConfig): Promise<{ ok: true; applied: string[]; restartNeeded: string[] } | { ok: false; errors: string[] }> {
    const errors = this.reloadRefusals(next);
    if (errors.length > 0) return { ok: false, errors };
    const applied: string[] = [];
    const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
    const now = this.now();
    if (!same(this.config.networks, next.networks)) {
      this.networks = networkPolicies(next);
      for (const policy of this.networks.values()) this.apply(this.core.updateNetwork(policy, now));
      this.pskLookup.clear(); // a PSK source may have changed: every next join asks anew
      applied.push('networks');
    }
    if (!same(this.config.radius, next.radius)) {
      const old = this.radius;
      const fresh = this.makeRadiusClient(next.radius);
      await fresh?.start();
      this.radius = fresh;
      this.showRadiusServers();
      this.nas = { identifier: next.radius.nasIdentifier, ipAddress: next.radius.nasIpAddress };
      // Requests in flight finish on the old client (its retransmissions and failovers
      // included: every request ends within its servers' schedules), then it closes.
      if (old !== undefined) this.retireRadius(old);
      this.apply(this.core.updateAccounting(interimMs(next.radius), now));
      applied.push('radius');
    }
    if (!same(this.config.agents, next.agents)) {
      this.bssPolicy = this.bssPolicy.withConfig(next.agents);
      applied.push('agents');
    }
    const restartNeeded = (['grpc', 'http', 'admin', 'cluster', 'log', 'eapol', 'limits', 'eap', 'das'] as const).filter((k) => !same(this.config[k], next[k]));
    this.config = { ...this.config, networks: next.networks, radius: next.radius, agents: next.agents };
    this.armTimer();
    return { ok: true, applied, restartNeeded };
  }

  /** Why `next` cannot be reloaded here ([] when it can). */
  reloadRefusals(next: AuthenticatorConfig): string[] {
    const errors: string[] = [];
    const nextNetworks = networkPolicies(next);
    const served = this.core.servedSsids();
    for (const [hex, cur] of this.networks) {
      const n = served.get(hex) ?? 0;
      if (n === 0) continue;
      const name = JSON.stringify(cur.ssid.toString('utf8'));
      const nxt = nextNetworks.get(hex);
      if (nxt === undefined) errors.push(`networks: SSID ${name} is served by ${n} BSS(es) now; a reload cannot remove it (end those BSSes first)`);
      else if ([...nxt.akms].sort().join() !== [...cur.akms].sort().join()) errors.push(`networks: the akms of SSID ${name} cannot change while ${n} BSS(es) serve it`);
    }
    return errors;
  }

  /** Opens the RADIUS client's sockets (when RADIUS servers are configured). */
  async start(): Promise<void> {
    await this.shared?.start();
    await this.radius?.start();
    await this.startDas();
  }

  /** The Dynamic Authorization Server (das.listen), when configured; its address once listening. */
  dasAddress: { address: string; port: number } | undefined;

  private async startDas(): Promise<void> {
    const d = this.config.das;
    if (d.listen === '') return;
    const { host, port } = splitListen(d.listen);
    const target: DasTarget = {
      sessions: (sta) => this.core.sessions(sta),
      vlanOf: (sta) => this.core.station(sta)?.vlanId ?? 0,
      disconnect: (sta, reason, by) => {
        const effects = this.core.disconnectStation(sta, reason, this.now(), by);
        if (effects === undefined) return false;
        this.apply(effects);
        this.armTimer();
        return true;
      },
      setSessionTimeout: (sta, s) => this.applyIfAny(this.core.setSessionTimeout(sta, s, this.now())),
      reauthenticate: (sta) => this.applyIfAny(this.core.reauthenticate(sta, this.now())),
      forgetCredentials: (sta) => {
        this.pskLookup.forget(sta);
        return this.core.dropPmksas(sta);
      },
    };
    const peers = this.shared !== undefined ? new DasPeerLink(this.shared, { count: (m) => matchSessions(target, m).length, run: (job) => runJob(target, job) }) : undefined;
    this.das = new DynamicAuthorization({
      address: host,
      port,
      clients: d.clients,
      timeWindowS: d.timeWindowS,
      requireEventTimestamp: d.requireEventTimestamp,
      nas: { identifier: this.config.radius.nasIdentifier, ipAddress: this.config.radius.nasIpAddress },
      target,
      peers: () => peers,
      log: this.log.child({ component: 'das' }),
      onAnswer: (kind, result, errorCause) => this.metrics.dasRequests.inc({ kind, result, error_cause: errorCause === undefined ? '' : String(errorCause) }),
      onDrop: (reason, source, detail) => {
        this.metrics.dasDropped.inc({ reason });
        this.remoteLog.bss.write(this.log, 'warn', `das|${reason}`, { reason, source, detail: truncateText(detail) }, 'Dynamic Authorization request dropped');
      },
    });
    this.dasAddress = await this.das.start();
    this.log.info({ listen: `${this.dasAddress.address}:${this.dasAddress.port}`, clients: d.clients.map((c) => `${c.name} (${c.address})`) }, 'Dynamic Authorization Server (RFC 5176) listening');
  }

  private applyIfAny(effects: Effect[] | undefined): boolean {
    if (effects === undefined) return false;
    this.apply(effects);
    this.armTimer();
    return true;
  }

  /** How often agents report StationCounters: often enough for Interim-Updates and Stops. */
  private countersIntervalS(): number {
    const r = this.config.radius;
    if (this.radius === undefined || !r.accounting) return 0;
    return r.interimIntervalS > 0 ? Math.min(60, r.interimIntervalS) : 60;
  }

  /** State of each RADIUS server (admin, tests). */
  radiusServers(): { name: string; alive: boolean; inFlight: number }[] {
    return this.radius?.serverStates() ?? [];
  }

  /** The health of each configured RADIUS server, in priority order (Admin API, status page, /readyz). */
  radiusHealth(): RadiusServerHealth[] {
    const client = this.radius;
    if (client === undefined) return [];
    return this.radiusHealthOf.get(client)?.snapshot(client.serverStates(), (ms) => this.wallMs(ms)) ?? [];
  }

  /** Whether a network offers an 802.1X AKM (RADIUS authenticates its stations). */
  offers8021x(): boolean {
    return this.config.networks.some((n) => n.akms.some((a) => a.startsWith('8021x')));
  }

  /**
   * An operator's radtest: one PAP Access-Request through this client and its failover.
   * `password` is the caller's (wiped by it); it goes to the client only, hidden per server.
   * The gate and the input checks are the caller's (admin/server.ts).
   */
  async radiusTest(userName: string, password: Buffer): Promise<RadiusTestOutcome> {
    const client = this.radius;
    if (client === undefined) throw new RadiusTestRefused('unconfigured', 'no RADIUS server is configured (radius.servers)');
    try {
      const res = await client.accessRequest(radiusTestAttributes(userName, this.nas), { userPassword: password });
      res.mppe?.recv.fill(0);
      res.mppe?.send.fill(0);
      return radiusTestAnswer(res.code, res.server, res.rttMs, res.attributes);
    } catch (e) {
      if (e instanceof RadiusTimeoutError) return { result: 'timeout', tried: [...e.servers] };
      throw e;
    }
  }

  /** Milliseconds on the monotonic clock the core runs on. */
  now(): number {
    return performance.now() - this.t0;
  }

  /** Takes a new AgentLink stream (Connect, or ConnectBatched when `batched`). */
  accept(call: AgentCall, batched = false): void {
    if (this.stopped) {
      call.emit('error', Object.assign(new Error('authenticator is shutting down'), { code: status.UNAVAILABLE, details: 'authenticator is shutting down' }));
      return;
    }
    // With mTLS the agent's identity is its client certificate, which must be an agent's
    // (DESIGN.md "Security", "Roles"): issued by grpc.tls.agent_ca, marked urn:airlock:agent:<CN>.
    let peerIdentity: string | undefined;
    const role = this.config.grpc.plaintext ? undefined : (this.agentRole ??= agentRoleOf(this.config));
    if (role !== undefined) {
      const v = role.check(call.getAuthContext().sslPeerCertificate);
      if (!v.ok) {
        this.metrics.agentProtocolErrors.inc({ reason: refusalReason(v) });
        role.logRefusal(this.log, 'AgentLink', v, { peer: call.getPeer() });
        const code = v.reason === 'unreadable' ? status.UNAUTHENTICATED : status.PERMISSION_DENIED;
        call.emit('error', Object.assign(new Error(v.detail), { code, details: `not an agent certificate: ${v.detail}` }));
        return;
      }
      peerIdentity = v.id;
    }
    const l = this.config.limits;
    new AgentSession(call, this, this.log, { sendQueue: l.agentSendQueue, receiveQueue: l.agentReceiveQueue, messagesPerS: l.agentMessagesPerS, messageBurst: l.agentMessageBurst, maxMessageBytes: this.config.grpc.maxMessageBytes }, peerIdentity, batched);
  }

  /** Starts a GTK rekey on a BSS now (operator request); false when the BSS is unknown or has no GTK. */
  rekeyGroup(bssid: Buffer): boolean {
    const effects = this.core.rekeyGroup(bssid, this.now());
    if (effects === undefined) return false;
    this.apply(effects);
    this.armTimer();
    return true;
  }

  /** Disconnects a station now (operator request); false when it is unknown. */
  disconnectStation(sta: Buffer, reason: number = Reason.UNSPECIFIED): boolean {
    const effects = this.core.disconnectStation(sta, reason, this.now());
    if (effects === undefined) return false;
    this.apply(effects);
    this.armTimer();
    return true;
  }

  /** Connected agents (ids). */
  agents(): string[] {
    return [...this.sessions.keys()];
  }

  /** Agents connected or in reconnect grace, with their BSSes (admin). */
  agentViews(): AgentView[] {
    const out: AgentView[] = [];
    for (const [id, keys] of this.agentBsses) {
      const s = this.sessions.get(id);
      out.push({ agentId: id, connected: s !== undefined, peer: s?.peer, connectedAt: s?.connectedAt, bssids: [...keys].map((k) => formatMac(Buffer.from(k, 'hex'))).sort() });
    }
    return out.sort((a, b) => a.agentId.localeCompare(b.agentId));
  }

  // ---- from the rest of the cluster ---------------------------------------------------

  /** A PMKSA cached by another worker. */
  importPmksa(e: SharedPmksa): void {
    this.core.importPmksa(e, this.now());
    e.pmk.fill(0); // the core keeps its own copy
  }

  /** A PMKSA forgotten by another worker. */
  forgetPmksa(sta: Buffer, ssid: Buffer, aa?: Buffer): void {
    this.core.forgetPmksa(sta, ssid, aa);
  }

  /** Claims of agents away longer than agents.claim_expiry_s go. */
  private expireClaims(): void {
    for (const e of this.bssPolicy.claims.expire(this.now())) {
      this.log.info({ agent: e.agent, claims: e.bsses.length }, "an absent agent's BSS claims expired (agents.claim_expiry_s)");
    }
    if (!this.bssPolicy.claimsInStore) this.metrics.bssClaims.set(this.bssPolicy.claims.size);
  }

  /**
   * Stations that associated with another worker's BSS at `atWallMs` (performance.timeOrigin
   * + performance.now() there): the ones still here from before left, as on a roam.
   */
  stationsMovedAway(stas: Buffer[], atWallMs: number): void {
    const at = this.coreMs(atWallMs);
    const now = this.now();
    for (const sta of stas) {
      const effects = this.core.stationMovedAway(sta, at, now);
      if (effects !== undefined) this.apply(effects);
    }
    this.armTimer();
  }

  /** Ends every stream and the timer. */
  async stop(graceMs = 2000): Promise<void> {
    // Ending the streams removes the agents' stations: their Accounting-Stops go out now,
    // and get up to graceMs to be answered before the RADIUS client closes. With a shared
    // store the stations are handed over instead: their state stays in the store, the
    // agents reconnect to another instance, which takes them over (no Stop, no disconnect).
    this.stopping = true;
    if (this.shared !== undefined) {
      await this.shared.handOff();
      const now = this.now();
      for (const k of [...this.bssAgent.keys()]) this.apply(this.core.relinquishBss(Buffer.from(k, 'hex'), now));
      this.bssAgent.clear();
      this.agentBsses.clear();
      for (const s of this.sessions.values()) s.bssKeys.clear();
    }
    for (const s of [...this.sessions.values()]) s.end();
    // Agents in reconnect grace: their stations end now, with their Accounting-Stops.
    for (const id of [...this.agentBsses.keys()]) {
      if (this.sessions.has(id)) continue;
      this.dropAgent(id, 'the authenticator stopped during the reconnect grace period');
      this.released(id);
    }
    await this.shared?.close();
    await this.das?.close();
    this.stopped = true;
    this.pskLookup.clear();
    // From here the one timer ticks only the RADIUS clients: the Accounting-Stops above are
    // retransmitted and failed over while they get their grace.
    this.armTimer();
    if (this.acctPending.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.acctPending]), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    await Promise.all([...this.retiringRadius, ...(this.radius === undefined ? [] : [this.radius])].map((c) => c.close()));
    this.retiringRadius.clear();
    this.timer.stop();
    this.remoteLog.close(); // the summaries of lines still held back
    this.stationEvents.close();
    this.events?.close();
  }

  // ---- SessionHost ----------------------------------------------------------------

  hello(session: AgentSession, hello: AgentHello): HelloResult | Promise<HelloResult> {
    const agentOk = checkHelloAgent(hello, { peerIdentity: session.peerIdentity, maxBssesPerHello: this.config.agents.maxBssesPerHello });
    if (!agentOk.ok) return agentOk;
    this.expireClaims();
    const checked = checkHelloBsses(hello, {
      network: (ssidHex) => this.networks.get(ssidHex),
      refuses: (agentId, k, bssid) => this.bssPolicy.refuses(agentId, k, bssid),
      claimsFit: (agentId, keys) => this.bssPolicy.checkClaims(agentId, keys),
    });
    if (!checked.ok) return checked;
    // With a shared store, BSSes not held here are taken over first (their state loaded).
    const shared = this.shared;
    const need = shared === undefined ? [] : checked.bsses.filter((c) => !shared.holds(macKey(c.bssid)));
    if (need.length > 0) return this.takeOver(session, hello, checked.bsses, checked.keys, need.map((c) => c.bssid));
    return this.welcome(session, hello, checked.bsses, checked.keys, undefined);
  }

  /** Takes BSSes over from the shared store, then welcomes the agent with their state. */
  private async takeOver(session: AgentSession, hello: AgentHello, cfgs: BssConfig[], keys: string[], need: Buffer[]): Promise<HelloResult> {
    const t = await this.shared!.takeover(hello.agentId, need, this.bssPolicy.claimable(keys));
    if (!t.ok) {
      // Rate-limited per agent: an agent refused while Redis is away retries and retries.
      this.remoteLine(session, 'warn', 'takeover-refused', { agent: truncateText(hello.agentId, 64), reason: t.code, detail: t.message }, 'agent refused: its BSSes could not be taken over');
      const code = t.code === 'claimed' ? status.PERMISSION_DENIED : t.code === 'claim-limit' ? status.RESOURCE_EXHAUSTED : status.UNAVAILABLE;
      return { ok: false, code, message: t.message };
    }
    if (this.stopped) return { ok: false, code: status.UNAVAILABLE, message: 'authenticator is shutting down' };
    const r = this.welcome(session, hello, cfgs, keys, t.found);
    // The stream ended during the takeover: the state taken is kept for its reconnect grace.
    if (r.ok && session.closed) this.gone(session, 'the stream ended during the takeover');
    return r;
  }

  /** Registers the agent's BSSes (adopting what a takeover found), welcomes it and reconciles its stations. */
  private welcome(session: AgentSession, hello: AgentHello, cfgs: BssConfig[], keys: string[], found: TakeoverFound | undefined): HelloResult {
    const id = hello.agentId;
    const seen = new Set(keys);
    // A reconnecting agent replaces its old stream (whose BSSes go into grace, just below).
    const old = this.sessions.get(id);
    if (old !== undefined && old !== session) old.fail(status.ABORTED, 'replaced by a newer stream of the same agent');
    const now = this.now();
    const effects: Effect[] = [];
    // BSSes kept for this agent that it no longer announces are gone for good.
    for (const k of this.agentBsses.get(id) ?? []) {
      if (!seen.has(k)) this.removeBss(k, now, 'the agent no longer announces the BSS', effects);
    }
    const resumed: string[] = [];
    const adopted: string[] = [];
    for (const cfg of cfgs) {
      const k = macKey(cfg.bssid);
      let r: ReturnType<AuthenticatorCore['addBss']>;
      const state = found?.get(k);
      if (state !== undefined) {
        // Taken over: a copy still here from before (this instance lost it meanwhile) goes silently.
        this.apply(this.core.relinquishBss(cfg.bssid, now));
        r = this.adopt(cfg, state, hello, now);
        if (r.ok && (state.bss !== undefined || state.stations.length > 0)) adopted.push(formatMac(cfg.bssid));
      } else if (this.core.isDetached(cfg.bssid)) {
        r = this.core.attachBss(cfg, now);
        if (r.ok) resumed.push(formatMac(cfg.bssid));
        else {
          this.removeBss(k, now, `the BSS came back changed: ${r.error.message}`, effects);
          r = this.core.addBss(cfg, now);
        }
      } else {
        r = this.core.addBss(cfg, now);
      }
      if (!r.ok) {
        // Refused as a whole: what this Hello added goes, and so do the BSSes the agent
        // still had in reconnect grace (their timer was stopped above).
        for (const done of new Set([...session.bssKeys, ...(this.agentBsses.get(id) ?? [])])) this.removeBss(done, now, 'the agent was refused', effects);
        session.bssKeys.clear();
        if (this.agentBsses.delete(id)) this.released(id);
        this.apply(effects);
        return { ok: false, code: status.INVALID_ARGUMENT, message: `BSS ${formatMac(cfg.bssid)}: ${r.error.message}` };
      }
      session.bssKeys.add(k);
      this.bssAgent.set(k, id);
      effects.push(...r.effects);
    }
    this.agentBsses.set(id, new Set(session.bssKeys));
    const claimed = this.bssPolicy.claim(id, [...session.bssKeys]);
    if (claimed.ok && claimed.dropped.length > 0) this.log.info({ agent: id, claims: claimed.dropped.length }, "the agent's oldest claims of BSSes it no longer announces were dropped (agents.max_bsses_per_agent)");
    if (!this.bssPolicy.claimsInStore) this.metrics.bssClaims.set(this.bssPolicy.claims.size);
    session.agentId = id;
    this.goneAgents.back(id);
    session.log = session.log.child({ agent: id });
    this.sessions.set(id, session);
    this.metrics.agentsConnected.set(this.sessions.size);
    session.send({ $case: 'welcome', value: { sessionId: session.sessionId, settings: { maxEapolBytes: this.config.eapol.maxFrameBytes, countersIntervalS: this.countersIntervalS(), maxPendingStationsPerBss: this.config.limits.maxPendingStationsPerBss, groupKeyIntervalS: GROUP_KEY_INTERVAL_S } } });
    this.remoteLine(session, 'info', 'connected', { bsses: cfgs.map((c) => formatMac(c.bssid)), resumed: resumed.length > 0 ? resumed : undefined, adopted: adopted.length > 0 ? adopted : undefined, stations: hello.stations.length, version: truncateText(hello.softwareVersion, 64) }, 'agent connected');
    this.apply(effects);
    // Reconcile each BSS with the stations the agent still has: keys the authenticator
    // holds are kept, handshakes in flight restart, the rest authenticate again.
    const byBss = new Map<string, StationEntryView[]>();
    for (const s of hello.stations) {
      if (!isMac(s.sta) || !isMac(s.bssid)) continue;
      const k = macKey(s.bssid);
      if (!session.bssKeys.has(k)) continue;
      let list = byBss.get(k);
      if (list === undefined) byBss.set(k, (list = []));
      if (list.length < this.config.limits.maxStationsPerBss) list.push({ sta: s.sta, rsne: s.rsne.length <= MAX_RSNE ? s.rsne : Buffer.alloc(0), portAuthorized: s.portAuthorized, pairwiseKeyInstalled: s.pairwiseKeyInstalled });
    }
    for (const cfg of cfgs) this.apply(this.core.reconcile(cfg.bssid, byBss.get(macKey(cfg.bssid)) ?? [], now));
    this.armTimer();
    return { ok: true };
  }

  /**
   * A BSS taken over with the state another instance left (store/shared-state.ts): its group
   * keys (reinstalled at the agent only when it reports no station there) and its authorized
   * stations, which go on without a new handshake, EAP or accounting Start.
   */
  private adopt(cfg: BssConfig, state: NonNullable<ReturnType<TakeoverFound['get']>>, hello: AgentHello, now: number): ReturnType<AuthenticatorCore['addBss']> {
    const agentHasStations = hello.stations.some((s) => isMac(s.bssid) && s.bssid.equals(cfg.bssid) && s.pairwiseKeyInstalled);
    const r = this.core.adoptBss(cfg, state.bss, state.stations, !agentHasStations, now);
    if (r.ok && this.radius !== undefined && this.config.radius.accounting) {
      for (const snap of r.adopted) if (snap.acctStartedAt !== undefined) this.acctSessions.set(macKey(snap.sta), { acctSessionId: snap.acctSessionId, bssid: Buffer.from(cfg.bssid), traffic: undefined });
    }
    // The core keeps its own copies of the keys.
    for (const snap of state.stations) {
      snap.ptk.fill(0);
      snap.pmk?.fill(0);
    }
    state.bss?.gtk1?.fill(0);
    state.bss?.gtk2?.fill(0);
    return r;
  }

  /** Removes a BSS from the core and from the routing tables; its effects go to `effects`. */
  private removeBss(k: string, now: number, detail: string, effects: Effect[]): void {
    this.shared?.releaseBss(k);
    effects.push(...this.core.removeBss(Buffer.from(k, 'hex'), now, detail));
    const id = this.bssAgent.get(k);
    this.bssAgent.delete(k);
    if (id !== undefined) this.agentBsses.get(id)?.delete(k);
  }

  event(session: AgentSession, msg: AgentMessage): void {
    const ev = this.translate(session, msg);
    if (ev === undefined) return;
    this.apply(this.core.handle(ev, this.now()));
    this.armTimer();
  }

  gone(session: AgentSession, why: string): void {
    const id = session.agentId;
    if (id === undefined || this.sessions.get(id) !== session) return;
    this.sessions.delete(id);
    this.metrics.agentsConnected.set(this.sessions.size);
    const graceS = this.config.agents.reconnectGraceS;
    const now = this.now();
    if (graceS > 0 && !this.stopping) {
      // Its stations keep keys, authorization and replay counters for the grace period;
      // nothing is sent to them meanwhile (DESIGN.md "Reconnect").
      // Their handshakes' admission slots go back at once: other agents' stations start.
      // The grace period is the core's deadline: it reports 'agent-expired' at its end.
      this.apply(this.core.detachBss([...session.bssKeys].map((k) => Buffer.from(k, 'hex')), now, graceS * 1000));
      session.log.info({ reason: why, graceS }, 'agent disconnected; its stations are kept for the reconnect grace period');
    } else {
      this.remoteLine(session, 'info', 'disconnected', { reason: why }, 'agent disconnected');
      if (!this.stopping) this.goneAgents.add({ agentId: id, bssids: [...session.bssKeys].map((k) => formatMac(Buffer.from(k, 'hex'))).sort(), goneAtUnixMs: Date.now(), reason: truncateText(why) }, Date.now());
      const effects: Effect[] = [];
      for (const k of session.bssKeys) this.removeBss(k, now, 'agent disconnected', effects);
      this.agentBsses.delete(id);
      this.released(id);
      this.apply(effects);
    }
    session.bssKeys.clear();
    this.armTimer();
  }

  /** The agent did not come back in time: the core dropped its BSSes and stations; so do the routing tables. */
  private agentExpired(id: string, bssids: Buffer[]): void {
    const held = this.agentBsses.get(id);
    for (const bssid of bssids) {
      const k = macKey(bssid);
      this.bssAgent.delete(k);
      held?.delete(k);
    }
    if (held !== undefined && held.size > 0) return; // some of its BSSes are still held (another grace period)
    this.agentBsses.delete(id);
    if (!this.stopping) this.goneAgents.add({ agentId: id, bssids: bssids.map((b) => formatMac(b)).sort(), goneAtUnixMs: Date.now(), reason: 'did not return within the reconnect grace period' }, Date.now());
    this.log.info({ agent: id, bsses: bssids.length }, 'reconnect grace period over: the agent\'s stations are dropped');
    this.released(id);
  }

  /** Nothing of the agent is held any more: the expiry of its BSS claims runs (agents.claim_expiry_s). */
  private released(id: string): void {
    this.bssPolicy.claims.absent(id, this.now());
    this.placement.agentReleased(id);
  }

  /** Removes what is left of an agent that has no stream (its BSSes and stations); returns how many BSSes. */
  private dropAgent(id: string, detail: string): number {
    const effects: Effect[] = [];
    const keys = [...(this.agentBsses.get(id) ?? [])];
    for (const k of keys) this.removeBss(k, this.now(), detail, effects);
    this.agentBsses.delete(id);
    this.apply(effects);
    return keys.length;
  }

  protocolError(reason: string): void {
    this.metrics.agentProtocolErrors.inc({ reason });
  }

  sendDropped(reason: string): void {
    this.metrics.framesDropped.inc({ reason });
  }

  throttled(): void {
    this.metrics.agentThrottled.inc();
  }

  remoteLine(session: AgentSession, level: RateLimitedLevel, what: string, obj: object, msg: string): void {
    // Keyed by what the agent is known as: its id after Hello, else its certificate, else its address.
    const source = session.agentId ?? session.peerIdentity ?? session.peer.replace(/:\d+$/, '');
    this.remoteLog.agent.write(session.log, level, `${truncateText(source, 128)}|${what}`, obj, msg);
  }

  // ---- translation ------------------------------------------------------------------

  /** The core event of an agent's message (after Hello), or undefined when the core has nothing to hear. */
  private translate(session: AgentSession, msg: AgentMessage): CoreEvent | undefined {
    const body = msg.body;
    if (body === undefined) return this.dropEvent(session, 'empty_message');
    switch (body.$case) {
      case 'txStatus': {
        const ref = session.takeRef(body.value.commandSeq);
        if (ref === undefined) return this.dropEvent(session, 'unknown_command_seq');
        return { type: 'tx-status', ref, acked: body.value.acked };
      }
      case 'commandResult': {
        const v = body.value;
        const ref = session.takeRef(v.commandSeq);
        // The error text is the agent's: bounded here, before the log and the core see it.
        const error = v.ok ? v.error : truncateText(v.error);
        if (!v.ok) {
          // Counted by command when the core hears of it (report 'command-failed'), here when not.
          if (ref === undefined) this.metrics.agentCommandFailures.inc({ command: 'unawaited' });
          this.remoteLine(session, 'warn', 'command-result', { commandSeq: String(v.commandSeq), error }, 'agent could not apply a command');
        }
        if (ref === undefined) return undefined; // results of commands nobody waits for
        return { type: 'command-result', ref, ok: v.ok, error };
      }
      case 'hello': // the session ends the stream before
        return this.dropEvent(session, 'empty_message');
      default: {
        const e = decodeEvent(body);
        return e === undefined ? this.dropEvent(session, 'empty_message') : this.stationEvent(session, e);
      }
    }
  }

  /** A station event of the agent, checked (its BSS, sizes); the core's event, or undefined when dropped or not the core's. */
  private stationEvent(session: AgentSession, e: LinkEvent): CoreEvent | undefined {
    if (e.type === 'group-key-sequence') {
      // Not a station's: the BSS's own, with a key id and a 48-bit packet number.
      if (!isMac(e.bssid) || !session.bssKeys.has(macKey(e.bssid))) return this.dropEvent(session, 'unknown_bssid', isMac(e.bssid) ? e.bssid : undefined);
      if (![1, 2, 4, 5, 6, 7].includes(e.keyId) || e.txPn < 0n || e.txPn >= 1n << 48n) return this.dropEvent(session, 'bad_group_key_sequence', e.bssid);
      return e;
    }
    if (!this.ownsStationEvent(session, e.bssid, e.sta)) return undefined;
    switch (e.type) {
      case 'associated':
        if (e.rsne.length > MAX_RSNE) return this.dropEvent(session, 'oversized_rsne', e.bssid, e.sta);
        this.placement.stationAssociated(e.sta);
        return e;
      case 'disassociated':
        return e;
      case 'authentication':
        if (e.body.length > MAX_AUTHENTICATION_BODY) return this.dropEvent(session, 'oversized_frame', e.bssid, e.sta);
        return e;
      case 'eapol':
        if (e.frame.length > this.config.eapol.maxFrameBytes) return this.dropEvent(session, 'oversized_frame', e.bssid, e.sta);
        return e;
      case 'counters': {
        // Traffic for the station's accounting session (its Interim-Updates and Stop).
        const acct = this.acctSessions.get(macKey(e.sta));
        if (acct !== undefined && acct.bssid.equals(e.bssid)) acct.traffic = { rxBytes: e.rxBytes, txBytes: e.txBytes, rxPackets: e.rxPackets, txPackets: e.txPackets };
        return undefined;
      }
    }
  }

  /** MACs are 6 bytes and the BSS belongs to this agent: else a counted drop. */
  private ownsStationEvent(session: AgentSession, bssid: Buffer, sta: Buffer): boolean {
    if (!isMac(bssid) || !isMac(sta)) {
      this.dropEvent(session, 'bad_mac');
      return false;
    }
    if (!session.bssKeys.has(macKey(bssid))) {
      this.dropEvent(session, 'unknown_bssid', bssid, sta);
      return false;
    }
    return true;
  }

  private dropEvent(session: AgentSession, reason: string, bssid?: Buffer, sta?: Buffer): undefined {
    this.metrics.framesDropped.inc({ reason });
    this.remoteLine(session, 'info', `drop:${reason}`, dropFields(reason, bssid, sta, ''), 'frame dropped');
    return undefined;
  }

  /** A frame the core dropped (counted by recordReport): one line, rate-limited per BSS and reason. */
  private logDrop(reason: string, bssid: Buffer, sta: Buffer | undefined, detail: string): void {
    this.remoteLog.bss.write(this.log, 'info', `${macKey(bssid)}|drop:${reason}`, dropFields(reason, bssid, sta, detail), 'frame dropped');
  }

  // ---- effects ----------------------------------------------------------------------

  /** The core's effects, where they go (effect-router.ts). */
  private apply(effects: Effect[]): void {
    this.effectRouter.route(effects);
  }

  private onReport(r: Report): void {
    recordReport(this.metrics, r);
    this.stationEvents.report(r);
    switch (r.kind) {
      case 'station-left':
        // Its Access-Request still waiting for a slot goes, and so does its conversation's
        // server binding: both would outlive the station (an agent making up MACs could grow them).
        for (const c of [this.radius, ...this.retiringRadius]) c?.forget(macKey(r.sta));
        break;
      case 'handshake':
        this.handshakeSeries.record(r.result);
        if (r.result !== 'success' && r.result !== 'aborted') this.recordFailure(r);
        if (r.result !== 'success') this.remoteLog.bss.write(this.log, 'info', `${macKey(r.bssid)}|handshake:${r.result}`, { bssid: formatMac(r.bssid), sta: formatMac(r.sta), result: r.result, detail: r.detail }, 'handshake ended');
        break;
      case 'joined':
        if (this.debug) this.log.debug({ bssid: formatMac(r.bssid), sta: formatMac(r.sta), joinMs: r.joinMs }, 'station authorized');
        break;
      case 'frame-dropped':
        this.logDrop(r.reason, r.bssid, r.sta, r.detail);
        break;
      case 'mic-failure-diagnosis':
        this.remoteLog.bss.write(this.log, 'warn', `${macKey(r.bssid)}|mic:${r.diagnosis.cause}`, { bssid: formatMac(r.bssid), sta: formatMac(r.sta), cause: r.diagnosis.cause, anonce: r.diagnosis.anonceFp, snonce: r.diagnosis.snonceFp }, r.diagnosis.text);
        break;
      case 'group-rekey':
        this.log.info({ bssid: formatMac(r.bssid), keyId: r.keyId, phase: r.phase, stations: r.stations }, 'group key rekey');
        break;
      case 'eap': {
        // Successes are the common case (debug); failures are what an operator looks for.
        if (r.result === 'accept' && !this.debug) break;
        const fields = { bssid: formatMac(r.bssid), sta: formatMac(r.sta), result: r.result, detail: r.detail };
        if (r.result === 'accept') this.log.debug(fields, '802.1X authentication');
        else this.remoteLog.bss.write(this.log, 'info', `${macKey(r.bssid)}|eap:${r.result}`, fields, '802.1X authentication');
        break;
      }
      case 'pmksa':
        if (this.debug) this.log.debug({ bssid: formatMac(r.bssid), sta: formatMac(r.sta), event: r.event }, 'PMKSA');
        break;
      case 'agent-expired':
        this.agentExpired(r.agentId, r.bssids);
        break;
      case 'command-failed':
        this.remoteLog.bss.write(this.log, 'warn', `${macKey(r.bssid)}|command:${r.command}`, { bssid: formatMac(r.bssid), sta: r.sta && formatMac(r.sta), command: r.command, error: truncateText(r.error) }, 'command failed at the agent');
        break;
      default:
        break;
    }
  }

  /** A failed handshake for the status page, with the core's record of it (its diagnosis). */
  private recordFailure(r: Extract<Report, { kind: 'handshake' }>): void {
    const last = this.core.history(r.sta)[0];
    const record = last !== undefined && last.result === r.result && last.bssid === formatMac(r.bssid) ? last : undefined;
    const agentId = this.bssAgent.get(macKey(r.bssid)) ?? '';
    this.failures.record({ bssid: r.bssid, sta: r.sta, agentId, result: r.result, detail: r.detail }, record, Date.now());
  }

  // ---- RADIUS ------------------------------------------------------------------------

  /**
   * An Access-Request for the core's EAP relay. The client shares its radius.max_in_flight
   * slots out per agent and per BSS (so one agent's stations flooding EAP, or a slow server
   * holding their requests, cost only that agent's share), keeps one waiting request per
   * station (a newer one takes its place) and binds each station's EAP conversation to the
   * server that holds its State.
   */
  private sendAccessRequest(e: Extract<Effect, { type: 'radius-request' }>): void {
    const client = this.radius;
    if (client === undefined) {
      queueMicrotask(() => this.deliverRadius(e.ref, { outcome: 'timeout' }));
      return;
    }
    const owner = { agent: e.agentId, bss: macKey(e.bssid) };
    client.requestAccess(accessRequestAttributes(e, this.nas), { owner, conversation: macKey(e.sta) }, (r) => this.onAccessAnswer(e, r));
  }

  /** The client's answer to an Access-Request, to the core (a failure as a timeout). */
  private onAccessAnswer(e: Extract<Effect, { type: 'radius-request' }>, r: AccessOutcome): void {
    if (r.ok) {
      const res = r.value;
      // The server and round trip go to the station's authentication record (explain).
      this.deliverRadius(e.ref, { ...outcomeOf(res.code, res.attributes, res.mppe), server: res.server, rttMs: res.rttMs });
      return;
    }
    const f = r.error;
    switch (f.reason) {
      case 'superseded':
      case 'withdrawn':
        // The core waits for the newer request, or no longer holds the station.
        return;
      case 'conversation-lost':
        // Failover split the conversation: the new server never saw its State, so its
        // Reject says nothing about the credentials. End it as a timeout (no quietWhile).
        this.log.info({ sta: formatMac(e.sta), from: f.heldBy, to: f.servers[f.servers.length - 1] }, 'EAP conversation lost in RADIUS failover');
        break;
      case 'timeout':
        // Every server tried and none answered: counted, not logged per request (the
        // servers' state changes are the lines: radius-health.ts).
        this.metrics.radiusUnanswered.inc({ kind: 'access' });
        break;
      default:
        this.remoteLog.bss.write(this.log, 'warn', `${macKey(e.bssid)}|radius-error`, { bssid: formatMac(e.bssid), sta: formatMac(e.sta), error: f.detail }, 'Access-Request not sent');
    }
    this.deliverRadius(e.ref, { outcome: 'timeout' });
  }

  private deliverRadius(ref: number, outcome: RadiusOutcome): void {
    if (this.stopped) return;
    try {
      this.guarded('RADIUS response', () => this.apply(this.core.handle({ type: 'radius-response', ref, ...outcome }, this.now())));
    } finally {
      outcome.msk?.fill(0); // the core made its PMK copy; the MSK goes
      outcome.psk?.fill(0); // and so does a PSK from RADIUS
    }
    this.armTimer();
  }

  /** Runs glue work outside a stream's handler: a bug is logged and counted, never a crash. */
  private guarded(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.metrics.agentProtocolErrors.inc({ reason: 'internal_error' });
      this.log.error({ err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e), what }, 'internal error');
    }
  }

  private sendAccounting(e: AccountingEffect): void {
    // No accounting server: nothing to send, and no session to keep per station.
    if (this.radius === undefined || !this.config.radius.accounting) return;
    const key = macKey(e.sta);
    let traffic: StationTraffic | undefined;
    if (e.kind === 'start') {
      this.acctSessions.set(key, { acctSessionId: e.acctSessionId, bssid: e.bssid, traffic: undefined });
    } else {
      const s = this.acctSessions.get(key);
      if (s !== undefined && s.acctSessionId === e.acctSessionId) {
        traffic = s.traffic;
        if (e.kind === 'stop') this.acctSessions.delete(key);
      }
    }
    const status = e.kind === 'start' ? AcctStatus.Start : e.kind === 'interim' ? AcctStatus.InterimUpdate : AcctStatus.Stop;
    // Event-Timestamp is wall-clock time (RFC 2869 §5.3): the one place the glue's clock shows.
    const attrs = accountingAttributes(e, status, this.nas, traffic, e.sessionTimeS, Math.floor(Date.now() / 1000));
    // Accounting is a lane of its own per agent in the client's queue: one agent's churn waits behind its own share.
    const p = this.radius.accountingRequest(attrs, { owner: { agent: e.agentId, bss: macKey(e.bssid) } }).then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof RadiusTimeoutError) this.metrics.radiusUnanswered.inc({ kind: 'accounting' });
        else this.remoteLog.radius.write(this.log, 'warn', `accounting|${e.kind}`, { sta: formatMac(e.sta), kind: e.kind, error: err instanceof Error ? err.message : String(err) }, 'accounting request not sent');
      },
    );
    this.acctPending.add(p);
    void p.finally(() => this.acctPending.delete(p));
  }

  /**
   * One timer for the whole process: at the earliest deadline of the core and of the RADIUS
   * clients (they run on the core's clock and call this when theirs moved earlier). A timer
   * already set to fire no later than that is kept (firing early only ticks and re-arms):
   * under load the earliest deadline moves with nearly every event, and re-arming each time
   * costs more than the spurious wake-up. After stop() only the RADIUS clients are ticked
   * (their Accounting-Stops' retransmissions), until they close.
   */
  private armTimer(): void {
    let at = this.stopped ? Infinity : (this.core.nextDeadline() ?? Infinity);
    const radius = this.radius?.nextDeadline();
    if (radius !== undefined && radius < at) at = radius;
    for (const c of this.retiringRadius) at = Math.min(at, c.nextDeadline() ?? Infinity);
    this.timer.arm(at);
  }

  private onTimer(): void {
    // RADIUS first: its completions go to the core (deliverRadius) before the core's own tick.
    this.guarded('RADIUS timer', () => {
      this.radius?.tick(this.now());
      for (const c of this.retiringRadius) c.tick(this.now());
    });
    // A shared store's leases first: BSSes this instance can no longer vouch for keep their timers.
    this.shared?.guard(this.now());
    if (!this.stopped) this.guarded('timer', () => this.apply(this.core.tick(this.now())));
    this.armTimer();
  }

  /** A client replaced by a reload: ticked until its requests are done, then closed. */
  private retireRadius(old: RadiusClient): void {
    this.retiringRadius.add(old);
    void old.drain().then(() => {
      this.retiringRadius.delete(old);
      return old.close();
    });
  }
}

/** The core's accounting Interim-Update interval (ms) for `r`: none without servers or accounting. */
function interimMs(r: AuthenticatorConfig['radius']): number {
  return r.servers.length > 0 && r.accounting ? r.interimIntervalS * 1000 : 0;
}

/** The core's MAC backoff from limits.mac_backoff_* (off when after_failures is 0). */
function backoffOptions(l: AuthenticatorConfig['limits']): CoreOptions['macBackoff'] {
  if (l.macBackoffAfterFailures === 0) return false;
  return { afterFailures: l.macBackoffAfterFailures, initialMs: l.macBackoffInitialS * 1000, maxMs: Math.max(l.macBackoffMaxS, l.macBackoffInitialS) * 1000 };
}
