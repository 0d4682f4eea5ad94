/**
 * The health of each configured RADIUS server as the authenticator's client sees it (issue
 * 14; RFC 5080 §2.2.1 retransmission, RFC 5997 Status-Server): alive or dead and since when,
 * round-trip times (the last one, and smoothed as TCP does, RFC 6298 §2: SRTT += (R - SRTT)/8),
 * the last error, and the requests that went unanswered.
 *
 * It logs state changes only. An unreachable server costs one warn line when the client marks
 * it dead and one info line when it answers again; every unanswered request in between is a
 * counter (airlock_radius_requests_total{code="timeout"}, airlock_radius_unanswered_total), not
 * a line, so a dead server no longer fills the log with one line per station (issue 14: 235
 * lines in 4 minutes).
 *
 * Pure: fed with the RADIUS client's hooks and the wall clock (Unix ms) by the service, it
 * returns the line to write. One entry per configured server, nothing else is kept.
 */
import type { RadiusResultReport } from '@airlock/radius';
import { truncateText } from '@airlock/log-limit';

/** Longest last-error text kept (it may quote a socket error). */
const MAX_ERROR_TEXT = 200;

/** One server's health, as the Admin API, the status page and /readyz show it. */
export interface RadiusServerHealth {
  /** The name of radius.servers[] (the metric label). */
  name: string;
  /** host:auth_port. */
  address: string;
  alive: boolean;
  /** Since when it is in that state (Unix ms): the client's start, or the last change. */
  sinceUnixMs: number;
  /** Round-trip time of the last verified answer (requests and Status-Server probes). */
  lastRttMs?: number;
  /** Smoothed round-trip time (RFC 6298 SRTT, gain 1/8). */
  srttMs?: number;
  /** The last problem seen: an unanswered request or probe, a dropped response, a socket error. */
  lastError?: string;
  lastErrorUnixMs?: number;
  /** Requests to it that got no answer (all retransmissions), since the client started. */
  timeouts: number;
  /** Requests waiting on it now (the client's count; filled in by the service). */
  inFlight: number;
}

/** A line to log, at a state change only. */
export interface HealthLine {
  level: 'warn' | 'info';
  msg: string;
  fields: Record<string, unknown>;
}

/** The log message when the client marks a server dead. */
export const DEAD_MESSAGE = 'RADIUS server marked dead (no answer); Status-Server probes it';
/** The log message when a dead server answers again. */
export const ALIVE_MESSAGE = 'RADIUS server answers again';

interface Entry {
  readonly health: RadiusServerHealth;
  /** Unanswered requests and probes since it was marked dead. */
  deadTimeouts: number;
  deadProbes: number;
}

/** Why a response was dropped, in words an operator can act on. */
function dropText(reason: string): string {
  switch (reason) {
    case 'bad-response-authenticator':
    case 'bad-message-authenticator':
      return `${reason} (is the shared secret the same on both sides?)`;
    case 'missing-message-authenticator':
      return `${reason} (the server does not sign its answers: BlastRADIUS, FreeRADIUS >= 3.2.5 or require_message_authenticator)`;
    default:
      return reason;
  }
}

/** The health of the servers of one RADIUS client (a reload that changes radius makes a new one). */
export class RadiusHealth {
  private readonly entries = new Map<string, Entry>();

  /** `servers` in priority order; all start alive (as the client does) at `nowUnixMs`. */
  constructor(servers: readonly { name: string; host: string; authPort: number }[], nowUnixMs: number) {
    for (const s of servers) {
      const address = s.host.includes(':') ? `[${s.host}]:${s.authPort}` : `${s.host}:${s.authPort}`;
      this.entries.set(s.name, { health: { name: s.name, address, alive: true, sinceUnixMs: nowUnixMs, timeouts: 0, inFlight: 0 }, deadTimeouts: 0, deadProbes: 0 });
    }
  }

  /** The client's report of one answer, timeout or dropped datagram (its onResult hook). */
  onResult(r: RadiusResultReport, nowUnixMs: number): void {
    const e = this.entries.get(r.server);
    if (e === undefined) return;
    const h = e.health;
    if (typeof r.code === 'number') {
      if (r.rttMs === undefined) return;
      h.lastRttMs = r.rttMs;
      h.srttMs = h.srttMs === undefined ? r.rttMs : h.srttMs + (r.rttMs - h.srttMs) / 8;
      return;
    }
    if (r.code === 'timeout') {
      if (r.kind === 'status') {
        if (!h.alive) e.deadProbes++;
        this.error(h, 'Status-Server probe not answered', nowUnixMs);
        return;
      }
      h.timeouts++;
      if (!h.alive) e.deadTimeouts++;
      this.error(h, `no answer to an ${r.kind === 'accounting' ? 'Accounting' : 'Access'}-Request (every retransmission)`, nowUnixMs);
      return;
    }
    // A dropped datagram. An unknown Identifier is most often a late answer to a request
    // already answered or given up (a retransmission crossed its answer): not a problem.
    if (r.reason === 'unknown-id') return;
    const from = r.source === undefined ? '' : ` from ${r.source.address}:${r.source.port}`;
    this.error(h, `response dropped: ${dropText(r.reason ?? 'invalid')}${from}`, nowUnixMs);
  }

  /** A socket error or failed send towards `server` (the client's onSocketError hook). */
  onSocketError(server: string, err: Error, nowUnixMs: number): void {
    const e = this.entries.get(server);
    if (e === undefined) return;
    const code = (err as NodeJS.ErrnoException).code;
    this.error(e.health, `socket: ${code ?? err.message}`, nowUnixMs);
  }

  /** The client marked `server` dead or alive (its onServerState hook): the line to log, once per change. */
  onState(server: string, alive: boolean, nowUnixMs: number): HealthLine | undefined {
    const e = this.entries.get(server);
    if (e === undefined || e.health.alive === alive) return undefined;
    const h = e.health;
    const wasSince = h.sinceUnixMs;
    h.alive = alive;
    h.sinceUnixMs = nowUnixMs;
    const aliveServers = [...this.entries.values()].filter((x) => x.health.alive).length;
    if (!alive) {
      e.deadTimeouts = 0;
      e.deadProbes = 0;
      return {
        level: 'warn',
        msg: DEAD_MESSAGE,
        fields: { server, address: h.address, lastError: h.lastError, aliveServers, servers: this.entries.size },
      };
    }
    return {
      level: 'info',
      msg: ALIVE_MESSAGE,
      fields: { server, address: h.address, deadForS: Math.round((nowUnixMs - wasSince) / 100) / 10, unansweredRequests: e.deadTimeouts, unansweredProbes: e.deadProbes, aliveServers, servers: this.entries.size },
    };
  }

  /** Every server in priority order, with `inFlight` from the client (by name). */
  snapshot(inFlight: (name: string) => number = () => 0): RadiusServerHealth[] {
    return [...this.entries.values()].map((e) => ({ ...e.health, inFlight: inFlight(e.health.name) }));
  }

  private error(h: RadiusServerHealth, text: string, nowUnixMs: number): void {
    h.lastError = truncateText(text, MAX_ERROR_TEXT);
    h.lastErrorUnixMs = nowUnixMs;
  }
}

/** What /readyz reports as degraded: a service that works in part. */
export interface Degradation {
  /** What is degraded: "802.1x" (authentication), or "radius" (redundancy, or accounting only). */
  component: string;
  /** In words. */
  reason: string;
  /** What still works, and what does not. */
  impact: string;
  /** The servers concerned: name, state, since when, last error. */
  servers: { name: string; address: string; state: 'alive' | 'dead'; sinceUnixMs: number; lastError?: string }[];
}

/**
 * How the RADIUS servers degrade the service, from their health: no server alive makes
 * 802.1X authentication fail (when a network offers 802.1X; else only accounting is lost);
 * some dead leave no failover. Empty when every server is alive (or none is configured).
 */
export function radiusDegradation(servers: readonly RadiusServerHealth[], offers8021x: boolean): Degradation[] {
  const dead = servers.filter((s) => !s.alive);
  if (dead.length === 0) return [];
  const view = (list: readonly RadiusServerHealth[]): Degradation['servers'] =>
    list.map((s) => ({ name: s.name, address: s.address, state: s.alive ? 'alive' : 'dead', sinceUnixMs: s.sinceUnixMs, ...(s.lastError !== undefined ? { lastError: s.lastError } : {}) }));
  if (dead.length === servers.length) {
    return [offers8021x
      ? { component: '802.1x', reason: `no RADIUS server answers (${dead.length} of ${servers.length} dead)`, impact: '802.1X authentications fail; PSK joins and PMKSA-cached roams still work', servers: view(dead) }
      : { component: 'radius', reason: `no RADIUS server answers (${dead.length} of ${servers.length} dead)`, impact: 'accounting records are lost; joins are not affected', servers: view(dead) }];
  }
  return [{ component: 'radius', reason: `${dead.length} of ${servers.length} RADIUS servers dead`, impact: 'requests fail over to the others; no redundancy left for the dead ones', servers: view(dead) }];
}

/**
 * The servers' health over a cluster's workers (each worker has its own RADIUS client): a
 * server is dead when any worker holds it dead (as airlock_radius_server_up's 'min'), since
 * the earliest of those; RTTs are the workers' mean; the last error is the newest; timeouts
 * and requests in flight are summed. `workersDead` / `workers` say how many saw what.
 */
export function mergeRadiusHealth(perWorker: readonly (readonly RadiusServerHealth[])[]): (RadiusServerHealth & { workersDead: number; workers: number })[] {
  const byName = new Map<string, RadiusServerHealth[]>();
  for (const list of perWorker) {
    for (const h of list) {
      const seen = byName.get(h.name);
      if (seen === undefined) byName.set(h.name, [h]);
      else seen.push(h);
    }
  }
  const mean = (xs: (number | undefined)[]): number | undefined => {
    const v = xs.filter((x): x is number => x !== undefined);
    return v.length === 0 ? undefined : v.reduce((a, b) => a + b, 0) / v.length;
  };
  return [...byName.values()].map((hs) => {
    const dead = hs.filter((h) => !h.alive);
    const since = dead.length > 0 ? Math.min(...dead.map((h) => h.sinceUnixMs)) : Math.max(...hs.map((h) => h.sinceUnixMs));
    const newest = hs.filter((h) => h.lastErrorUnixMs !== undefined).sort((a, b) => (b.lastErrorUnixMs ?? 0) - (a.lastErrorUnixMs ?? 0))[0];
    const lastRttMs = mean(hs.map((h) => h.lastRttMs));
    const srttMs = mean(hs.map((h) => h.srttMs));
    return {
      name: hs[0].name,
      address: hs[0].address,
      alive: dead.length === 0,
      sinceUnixMs: since,
      ...(lastRttMs !== undefined ? { lastRttMs } : {}),
      ...(srttMs !== undefined ? { srttMs } : {}),
      ...(newest !== undefined ? { lastError: newest.lastError, lastErrorUnixMs: newest.lastErrorUnixMs } : {}),
      timeouts: hs.reduce((a, h) => a + h.timeouts, 0),
      inFlight: hs.reduce((a, h) => a + h.inFlight, 0),
      workersDead: dead.length,
      workers: hs.length,
    };
  });
}
