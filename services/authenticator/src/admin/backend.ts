/**
 * What the Admin API (admin.proto) asks of an authenticator, answered from one service
 * (LocalAdmin) or, in a cluster, from every worker's (cluster/primary.ts asks each worker's
 * LocalAdmin and merges). Results are the proto messages; a station or BSS that is not
 * there is `undefined` / false, turned into NOT_FOUND by the server.
 */
import type { AgentInfo, ExplainStationResponse, HandshakeInfo, RadiusServerInfo, StationInfo } from '@airlock/proto';
import { eapMethodName, formatMac, type AuthRecord, type HandshakeRecord, type StationView } from '@airlock/rsn';
import type { EapAuthInfo } from '@airlock/proto';
import type { EventJournal } from '../events/event-journal.js';
import type { FailureSummary, GoneAgent } from '../status/failures.js';
import { akmLabel } from '../akm-names.js';
import type { SeriesBucket } from '../status/series.js';
import { radiusDegradation, type Degradation, type RadiusServerHealth } from '../radius-health.js';
import type { RadiusTestOutcome } from '../radius-test.js';
import type { AuthenticatorService } from '../service.js';

/** Filters of ListStations. */
export interface StationFilter {
  /** A BSSID as "aa:bb:cc:dd:ee:ff" (lower case), or undefined for all. */
  bssid?: string;
  state?: string;
}

/** What the status page shows (GET /api/status). */
export interface StatusSnapshot {
  generatedAtUnixMs: number;
  agents: { agentId: string; state: string; stations: number; bssids: string[]; worker: number }[];
  bsses: { bssid: string; agentId: string; ssid: string; away: boolean; associated: number; authenticating: number; authorized: number }[];
  stations: { associated: number; authenticating: number; authorized: number };
  /** Handshakes ended per 10 s over the last 10 minutes, by result (oldest first). */
  handshakes: SeriesBucket[];
  /** Failed handshakes by BSS and cause, in words, the most recent first (status/failures.ts). */
  failures: FailureSummary[];
  /** Agents that went away recently (not connected, not in reconnect grace), the most recent first. */
  goneAgents: GoneAgent[];
  /** The RADIUS servers: state, since when, RTT, last error (in a cluster, merged over the workers). */
  radius: (RadiusServerHealth & { workersDead?: number; workers?: number })[];
}

/** The Admin API over some authenticator. */
export interface AdminBackend {
  status(): Promise<StatusSnapshot>;
  agents(): Promise<AgentInfo[]>;
  stations(filter: StationFilter): Promise<StationInfo[]>;
  explain(sta: Buffer): Promise<ExplainStationResponse | undefined>;
  disconnect(sta: Buffer, reason: number): Promise<boolean>;
  rekey(bssid: Buffer): Promise<boolean>;
  /** The station events of the whole authenticator (StreamEvents); undefined where none are kept. */
  readonly events: EventJournal | undefined;
  /** The RADIUS servers' health, in priority order. */
  radiusServers(): Promise<RadiusServerInfo[]>;
  /** What works only in part (/readyz?verbose=1): RADIUS servers dead, 802.1X down. */
  degraded(): Promise<Degradation[]>;
  /** An operator's radtest (radius-test.ts); throws RadiusTestRefused. `password` is wiped by the caller. */
  radiusTest(userName: string, password: Buffer): Promise<RadiusTestOutcome>;
}

/** The Admin API's view of one server's health; `workers`: a cluster's merge (0 in one process). */
export function radiusServerInfo(h: RadiusServerHealth, workersDead = 0, workers = 0): RadiusServerInfo {
  return {
    name: h.name,
    address: h.address,
    state: h.alive ? 'alive' : 'dead',
    sinceUnixMs: BigInt(Math.round(h.sinceUnixMs)),
    lastRttMs: h.lastRttMs === undefined ? 0 : Math.round(h.lastRttMs * 100) / 100,
    smoothedRttMs: h.srttMs === undefined ? 0 : Math.round(h.srttMs * 100) / 100,
    lastError: h.lastError ?? '',
    lastErrorUnixMs: BigInt(Math.round(h.lastErrorUnixMs ?? 0)),
    inFlight: h.inFlight,
    timeouts: BigInt(h.timeouts),
    workersDead,
    workers,
  };
}

/** The Admin API of one service (a single-process authenticator, or one worker). */
export class LocalAdmin implements AdminBackend {
  constructor(
    private readonly service: AuthenticatorService,
    /** Worker id reported in AgentInfo (0: not a cluster). */
    private readonly worker = 0,
  ) {}

  get events(): EventJournal | undefined {
    return this.service.events;
  }

  /** Unix ms of a time on the core's clock. */
  private wall(coreMs: number): number {
    return Math.round(this.service.wallMs(coreMs));
  }

  agents(): Promise<AgentInfo[]> {
    const perAgent = new Map<string, number>();
    for (const s of this.service.core.allStations()) perAgent.set(s.agentId, (perAgent.get(s.agentId) ?? 0) + 1);
    return Promise.resolve(
      this.service.agentViews().map((a) => ({
        agentId: a.agentId,
        state: a.connected ? 'connected' : 'reconnect-grace',
        peer: a.peer ?? '',
        bssids: a.bssids,
        stations: perAgent.get(a.agentId) ?? 0,
        connectedSinceUnixMs: BigInt(a.connectedAt ?? 0),
        worker: this.worker,
      })),
    );
  }

  stations(filter: StationFilter): Promise<StationInfo[]> {
    const out: StationInfo[] = [];
    for (const s of this.service.core.allStations()) {
      if (filter.bssid !== undefined && s.bssid !== filter.bssid) continue;
      if (filter.state !== undefined && s.phase !== filter.state) continue;
      out.push(this.stationInfo(s));
    }
    return Promise.resolve(out);
  }

  explain(sta: Buffer): Promise<ExplainStationResponse | undefined> {
    const now = this.service.core.station(sta);
    const history = this.service.core.history(sta);
    // The handshake running now is not in the history yet.
    const running = now?.handshake !== undefined && now.handshake.result === undefined ? [now.handshake] : [];
    const records = [...running, ...history];
    if (now === undefined && records.length === 0) return Promise.resolve(undefined);
    return Promise.resolve({ station: now === undefined ? undefined : this.stationInfo(now), handshakes: records.map((r) => this.handshakeInfo(r)) });
  }

  disconnect(sta: Buffer, reason: number): Promise<boolean> {
    return Promise.resolve(this.service.disconnectStation(sta, reason));
  }

  async status(): Promise<StatusSnapshot> {
    const core = this.service.core;
    const perBss = new Map<string, { associated: number; authenticating: number; authorized: number }>();
    for (const s of core.allStations()) {
      let c = perBss.get(s.bssid);
      if (c === undefined) perBss.set(s.bssid, (c = { associated: 0, authenticating: 0, authorized: 0 }));
      c[s.phase ?? 'associated']++;
    }
    const agents = (await this.agents()).map((a) => ({ agentId: a.agentId, state: a.state, stations: a.stations, bssids: a.bssids, worker: a.worker }));
    const bsses = core
      .bssViews()
      .map((b) => ({ bssid: b.bssid, agentId: b.agentId, ssid: b.ssid, away: b.detached, ...(perBss.get(b.bssid) ?? { associated: 0, authenticating: 0, authorized: 0 }) }))
      .sort((x, y) => x.bssid.localeCompare(y.bssid));
    const now = Date.now();
    const failures = this.service.failures.list(now);
    const goneAgents = this.service.goneAgents.list(now);
    return { generatedAtUnixMs: now, agents, bsses, stations: core.phaseCounts(), handshakes: this.service.handshakeSeries.snapshot(), failures, goneAgents, radius: this.service.radiusHealth() };
  }

  rekey(bssid: Buffer): Promise<boolean> {
    return Promise.resolve(this.service.rekeyGroup(bssid));
  }

  radiusServers(): Promise<RadiusServerInfo[]> {
    return Promise.resolve(this.service.radiusHealth().map((h) => radiusServerInfo(h)));
  }

  degraded(): Promise<Degradation[]> {
    return Promise.resolve(radiusDegradation(this.service.radiusHealth(), this.service.offers8021x()));
  }

  radiusTest(userName: string, password: Buffer): Promise<RadiusTestOutcome> {
    return this.service.radiusTest(userName, password);
  }

  private stationInfo(s: StationView): StationInfo {
    return {
      sta: s.sta,
      bssid: s.bssid,
      agentId: s.agentId,
      state: s.phase ?? 'associated',
      akm: akmLabel(s.akm),
      vlanId: s.vlanId,
      sinceUnixMs: BigInt(this.wall(s.associatedAt)),
      lastHandshakeResult: s.handshake?.result ?? '',
      lastHandshakeDetail: s.handshake?.detail ?? '',
      ptkState: s.ptkState,
    };
  }

  private handshakeInfo(r: HandshakeRecord): HandshakeInfo {
    return {
      bssid: r.bssid,
      akm: akmLabel(r.akm),
      startedUnixMs: BigInt(this.wall(r.startedAt)),
      durationMs: r.endedAt !== undefined ? Math.round((r.endedAt - r.startedAt) * 100) / 100 : 0,
      result: r.result ?? '',
      detail: r.detail ?? '',
      msg1Sent: r.msg1Sent,
      msg3Sent: r.msg3Sent,
      micFailures: r.micFailures,
      diagnosisCause: r.diagnosis?.cause ?? '',
      diagnosis: r.diagnosis?.text ?? '',
      joinMs: r.joinMs !== undefined ? Math.round(r.joinMs * 100) / 100 : 0,
      eap: r.auth === undefined ? undefined : eapAuthInfo(r.auth),
      stage: r.stage ?? '',
    };
  }
}

/** The 802.1X part of a handshake for explain. */
export function eapAuthInfo(a: Readonly<AuthRecord>): EapAuthInfo {
  return {
    identity: a.identity,
    userName: a.userName ?? '',
    method: eapMethodName(a.method),
    result: a.result ?? '',
    pmksaCached: a.pmksaCached,
    rounds: a.rounds.map((r) => ({ server: r.server, rttMs: Math.round(r.rttMs * 100) / 100 })),
    roundsTotal: a.roundsTotal,
    vlanId: a.vlanId,
    sessionTimeoutS: a.sessionTimeoutS,
  };
}

/** A MAC from "aa:bb:cc:dd:ee:ff" (or with '-', or 12 hex digits), or undefined. */
export function macFromText(s: string): Buffer | undefined {
  const hex = s.trim().replace(/[:-]/g, '');
  if (!/^[0-9A-Fa-f]{12}$/.test(hex) || !/^(?:[0-9A-Fa-f]{2}([:-]?)){5}[0-9A-Fa-f]{2}$/.test(s.trim())) return undefined;
  return Buffer.from(hex, 'hex');
}

/** The canonical text of a MAC. */
export function macText(b: Buffer): string {
  return formatMac(b);
}
