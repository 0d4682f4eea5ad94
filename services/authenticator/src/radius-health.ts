/**
 * The health of each configured RADIUS server as the authenticator's client sees it (issue
 * 14; RFC 5080 §2.2.1 retransmission, RFC 5997 Status-Server): alive or dead and since when,
 * round-trip times (the last one, and smoothed as TCP does, RFC 6298 §2), the last error,
 * and the requests that went unanswered.
 *
 * The client keeps the state (RadiusClient.serverStates(): alive, since, RTTs, timeouts,
 * requests in flight, what went unanswered while dead); this file adds only what an operator
 * reads and the client has no use for: the address, the last error in words, and the lines
 * to log. It logs state changes only. An unreachable server costs one warn line when the
 * client marks it dead and one info line when it answers again; every unanswered request in
 * between is a counter (airlock_radius_requests_total{code="timeout"},
 * airlock_radius_unanswered_total), not a line, so a dead server no longer fills the log
 * with one line per station (issue 14: 235 lines in 4 minutes).
 *
 * Pure: fed with the RADIUS client's hooks and state and the wall clock (Unix ms) by the
 * service, it returns the line to write. One entry per configured server, nothing else.
 */
import type { RadiusResultReport, RadiusServerState } from '@airlock/radius';
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
  /** Requests waiting on it now. */
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

/** What the client does not keep: where the server is, and its last problem in words. */
interface Entry {
  readonly address: string;
  lastError?: string;
  lastErrorUnixMs?: number;
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

  /** `servers` in priority order (a RadSec server shows its TLS port, marked "tls"). */
  constructor(servers: readonly { name: string; host: string; authPort: number; transport?: 'udp' | 'tls'; tlsPort?: number }[]) {
    for (const s of servers) {
      const port = s.transport === 'tls' ? (s.tlsPort ?? 2083) : s.authPort;
      const hostPort = s.host.includes(':') ? `[${s.host}]:${port}` : `${s.host}:${port}`;
      this.entries.set(s.name, { address: s.transport === 'tls' ? `${hostPort} (tls)` : hostPort });
    }
  }

  /** The client's report of one answer, timeout or dropped datagram (its onResult hook): the last error. */
  onResult(r: RadiusResultReport, nowUnixMs: number): void {
    const e = this.entries.get(r.server);
    if (e === undefined || typeof r.code === 'number') return;
    if (r.code === 'timeout') {
      this.error(e, r.kind === 'status' ? 'Status-Server probe not answered' : `no answer to an ${r.kind === 'accounting' ? 'Accounting' : 'Access'}-Request (every retransmission)`, nowUnixMs);
      return;
    }
    // A dropped datagram. An unknown Identifier is most often a late answer to a request
    // already answered or given up (a retransmission crossed its answer): not a problem.
    if (r.reason === 'unknown-id') return;
    const from = r.source === undefined ? '' : ` from ${r.source.address}:${r.source.port}`;
    this.error(e, `response dropped: ${dropText(r.reason ?? 'invalid')}${from}`, nowUnixMs);
  }

  /** A socket error or failed send towards `server` (the client's onSocketError hook). */
  onSocketError(server: string, err: Error, nowUnixMs: number): void {
    const e = this.entries.get(server);
    if (e === undefined) return;
    const code = (err as NodeJS.ErrnoException).code;
    this.error(e, `socket: ${code ?? err.message}`, nowUnixMs);
  }

  /**
   * The client marked `server` dead or alive (its onServerState hook; `previousForMs`: how
   * long it was in the other state): the line to log. `states` is the client's, just after.
   */
  onState(server: string, alive: boolean, previousForMs: number, states: readonly RadiusServerState[]): HealthLine | undefined {
    const e = this.entries.get(server);
    const state = states.find((s) => s.name === server);
    if (e === undefined || state === undefined) return undefined;
    const aliveServers = states.filter((s) => s.alive).length;
    if (!alive) {
      return { level: 'warn', msg: DEAD_MESSAGE, fields: { server, address: e.address, lastError: e.lastError, aliveServers, servers: states.length } };
    }
    const unanswered = state.unansweredWhileDead;
    return {
      level: 'info',
      msg: ALIVE_MESSAGE,
      fields: { server, address: e.address, deadForS: Math.round(previousForMs / 100) / 10, unansweredRequests: unanswered.requests, unansweredProbes: unanswered.probes, aliveServers, servers: states.length },
    };
  }

  /** Every server of the client's `states` in priority order; `wallMs` turns the client's clock into Unix ms. */
  snapshot(states: readonly RadiusServerState[], wallMs: (clientMs: number) => number): RadiusServerHealth[] {
    return states.map((s) => {
      const e = this.entries.get(s.name);
      return {
        name: s.name,
        address: e?.address ?? '',
        alive: s.alive,
        sinceUnixMs: wallMs(s.sinceMs),
        ...(s.lastRttMs !== undefined ? { lastRttMs: s.lastRttMs } : {}),
        ...(s.srttMs !== undefined ? { srttMs: s.srttMs } : {}),
        ...(e?.lastError !== undefined ? { lastError: e.lastError, lastErrorUnixMs: e.lastErrorUnixMs } : {}),
        timeouts: s.timeouts,
        inFlight: s.inFlight,
      };
    });
  }

  private error(e: Entry, text: string, nowUnixMs: number): void {
    e.lastError = truncateText(text, MAX_ERROR_TEXT);
    e.lastErrorUnixMs = nowUnixMs;
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
