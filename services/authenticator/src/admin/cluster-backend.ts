/**
 * The Admin API of a clustered authenticator: the primary asks every worker (their
 * LocalAdmin, over IPC) and merges. A station is held by one worker; for a moment after a
 * roam between workers two may know it, and the newest association wins.
 */
import type { AgentInfo, ExplainStationResponse, RadiusServerInfo, StationInfo } from '@airlock/proto';
import { radiusServerInfo, type AdminBackend, type StationFilter, type StatusSnapshot } from './backend.js';
import { mergeRadiusHealth, radiusDegradation, type Degradation, type RadiusServerHealth } from '../radius-health.js';
import { RadiusTestRefused, type RadiusTestOutcome } from '../radius-test.js';
import { mergeSeries } from '../status/series.js';
import { MAX_GONE_AGENTS, MAX_FAILURES, type GoneAgent } from '../status/failures.js';
import type { EventJournal } from '../events/event-journal.js';
import type { RadiusTestAnswer, WorkerQuestion } from '../cluster/protocol.js';

/**
 * Puts a question to every worker (`one`: to one of them only) and resolves with the answers
 * that came within `timeoutMs` (default: the primary's answer timeout; undefined: none).
 */
export type AskWorkers = (q: WorkerQuestion, opts?: { one?: boolean; timeoutMs?: number }) => Promise<unknown[]>;

/** How long the primary waits for a worker's radtest: every server with all its retransmissions. */
const RADIUS_TEST_ANSWER_MS = 180_000;

export class ClusterAdmin implements AdminBackend {
  constructor(
    private readonly ask: AskWorkers,
    /** The primary's journal of the workers' station events (cluster/primary.ts). */
    readonly events: EventJournal | undefined = undefined,
  ) {}

  async status(): Promise<StatusSnapshot> {
    const all = ((await this.ask({ op: 'status' })) as (StatusSnapshot | undefined)[]).filter((s) => s !== undefined);
    const agents = new Map<string, StatusSnapshot['agents'][number]>();
    for (const s of all) for (const a of s.agents) if (!agents.has(a.agentId) || a.state === 'connected') agents.set(a.agentId, a);
    const stations = { associated: 0, authenticating: 0, authorized: 0 };
    for (const s of all) for (const k of Object.keys(stations) as (keyof typeof stations)[]) stations[k] += s.stations[k];
    return {
      generatedAtUnixMs: Date.now(),
      agents: [...agents.values()].sort((x, y) => x.agentId.localeCompare(y.agentId)),
      bsses: all.flatMap((s) => s.bsses).sort((x, y) => x.bssid.localeCompare(y.bssid)),
      stations,
      handshakes: mergeSeries(all.map((s) => s.handshakes)),
      failures: all.flatMap((s) => s.failures).sort((x, y) => y.lastAtUnixMs - x.lastAtUnixMs).slice(0, MAX_FAILURES),
      goneAgents: goneOfCluster(all, agents),
      radius: mergeRadiusHealth(all.map((s) => s.radius)),
    };
  }

  async agents(): Promise<AgentInfo[]> {
    const byId = new Map<string, AgentInfo>();
    for (const list of (await this.ask({ op: 'agents' })) as (AgentInfo[] | undefined)[]) {
      for (const a of list ?? []) {
        const seen = byId.get(a.agentId);
        if (seen === undefined || (seen.state !== 'connected' && a.state === 'connected')) byId.set(a.agentId, a);
      }
    }
    return [...byId.values()].sort((x, y) => x.agentId.localeCompare(y.agentId));
  }

  async stations(filter: StationFilter): Promise<StationInfo[]> {
    const bySta = new Map<string, StationInfo>();
    for (const list of (await this.ask({ op: 'stations', filter })) as (StationInfo[] | undefined)[]) {
      for (const s of list ?? []) {
        const seen = bySta.get(s.sta);
        if (seen === undefined || s.sinceUnixMs > seen.sinceUnixMs) bySta.set(s.sta, s);
      }
    }
    return [...bySta.values()];
  }

  async explain(sta: Buffer): Promise<ExplainStationResponse | undefined> {
    const answers = ((await this.ask({ op: 'explain', sta })) as (ExplainStationResponse | undefined)[]).filter((a) => a !== undefined);
    if (answers.length === 0) return undefined;
    const current = answers.map((a) => a.station).filter((s) => s !== undefined).sort((x, y) => Number(y.sinceUnixMs - x.sinceUnixMs))[0];
    const handshakes = answers.flatMap((a) => a.handshakes).sort((x, y) => Number(y.startedUnixMs - x.startedUnixMs));
    return { station: current, handshakes };
  }

  async disconnect(sta: Buffer, reason: number): Promise<boolean> {
    return ((await this.ask({ op: 'disconnect', sta, reason })) as (boolean | undefined)[]).some((x) => x === true);
  }

  async rekey(bssid: Buffer): Promise<boolean> {
    return ((await this.ask({ op: 'rekey', bssid })) as (boolean | undefined)[]).some((x) => x === true);
  }

  async radiusServers(): Promise<RadiusServerInfo[]> {
    const all = ((await this.ask({ op: 'radius' })) as (RadiusServerHealth[] | undefined)[]).filter((a) => a !== undefined);
    return mergeRadiusHealth(all).map((h) => radiusServerInfo(h, h.workersDead, h.workers));
  }

  async degraded(): Promise<Degradation[]> {
    const [health, offers] = await Promise.all([this.ask({ op: 'radius' }), this.ask({ op: 'offers-8021x' })]);
    const merged = mergeRadiusHealth((health as (RadiusServerHealth[] | undefined)[]).filter((a) => a !== undefined));
    return radiusDegradation(merged, (offers as (boolean | undefined)[]).some((x) => x === true));
  }

  /** One worker runs it (its RADIUS client, as its stations' requests would go). */
  async radiusTest(userName: string, password: Buffer): Promise<RadiusTestOutcome> {
    const [a] = (await this.ask({ op: 'radius-test', user: userName, password }, { one: true, timeoutMs: RADIUS_TEST_ANSWER_MS })) as (RadiusTestAnswer | undefined)[];
    if (a === undefined) throw new Error('no worker answered the RADIUS test');
    if (!a.ok) throw new RadiusTestRefused(a.reason, a.message);
    return a.outcome;
  }
}

/** The workers' gone agents, less the ones another worker serves now; the newest report of each. */
function goneOfCluster(all: StatusSnapshot[], present: Map<string, unknown>): GoneAgent[] {
  const gone = new Map<string, GoneAgent>();
  for (const s of all) {
    for (const g of s.goneAgents) {
      if (present.has(g.agentId)) continue;
      const seen = gone.get(g.agentId);
      if (seen === undefined || g.goneAtUnixMs > seen.goneAtUnixMs) gone.set(g.agentId, g);
    }
  }
  return [...gone.values()].sort((x, y) => y.goneAtUnixMs - x.goneAtUnixMs).slice(0, MAX_GONE_AGENTS);
}
