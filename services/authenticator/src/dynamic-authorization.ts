/**
 * Dynamic Authorization (RFC 5176) at the authenticator: what a Disconnect-Request or a
 * CoA-Request from a policy server (PacketFence, ISE, radclient) does to a station. The
 * protocol (allowlist, Message-Authenticator, Event-Timestamp window, duplicates, NAKs the
 * server decides alone) is @airlock/radius's DasListener; this is the session side, as
 * hostapd's hostapd_das_* do it:
 * - the session named: every identification attribute given must match one station
 *   (Calling-Station-Id, User-Name, Acct-Session-Id, Acct-Multi-Session-Id,
 *   Called-Station-Id's BSSID and SSID); none: 503; several: 508, as hostapd;
 * - Disconnect: deauthentication with reason 2 (previous authentication no longer valid),
 *   an Accounting-Stop with Acct-Terminate-Cause Admin-Reset, its PMKSAs forgotten (it must
 *   authenticate again), a PSK from RADIUS looked up again. No session but a PMKSA of the
 *   station: the PMKSA goes and the answer is an ACK (hostapd);
 * - CoA: all changes or none (RFC 5176 §3.3): a Session-Timeout counted from now; a
 *   reauthentication (EAP again over the open port: 802.1X stations only, else 405); a new
 *   VLAN, which takes a new association: the station is disconnected (its PMKSA forgotten,
 *   so it runs EAP or its PSK lookup again and gets the VLAN the server now gives).
 * With several authenticators on a shared store, the instance that got the request asks
 * the others (DasPeers) when the session is not its own.
 */
import { DasListener, ErrorCause, type DasEvent, type DasRequest } from '@airlock/radius';
import { formatMac, macKey, type SessionView } from '@airlock/rsn';
import type { Logger } from 'pino';

/** The session identification of a request, as it travels between instances (JSON). */
export interface DasMatch {
  /** Calling-Station-Id as 12 hex digits. */
  station?: string;
  userName?: string;
  acctSessionId?: string;
  acctMultiSessionId?: string;
  /** Called-Station-Id's BSSID (12 hex digits) and SSID (hex), when it had the RFC 3580 form. */
  bssid?: string;
  ssid?: string;
}

/** What to do to the session (JSON). */
export interface DasJob {
  kind: 'disconnect' | 'coa';
  match: DasMatch;
  sessionTimeout?: number;
  vlan?: number;
  reauthenticate?: boolean;
  /** Who asked (the client's name), for explain and logs. */
  by: string;
}

/** How a job ended here: an ACK, a NAK with its Error-Cause, or no session here. */
export type DasOutcome = { ack: true } | { ack: false; errorCause: number } | { found: 0 };

/** What the jobs act on (the authenticator service). */
export interface DasTarget {
  sessions(sta?: Buffer): SessionView[];
  /** Its VLAN now (0: none). */
  vlanOf(sta: Buffer): number;
  disconnect(sta: Buffer, reason: number, by: string): boolean;
  setSessionTimeout(sta: Buffer, seconds: number): boolean;
  reauthenticate(sta: Buffer): boolean;
  /** Forgets the station's PMKSAs (everywhere) and its PSK from RADIUS; how many PMKSAs there were. */
  forgetCredentials(sta: Buffer): number;
}

/** Other authenticators on the shared store: how many sessions they have for a match, and running a job on one of them. */
export interface DasPeers {
  /** Runs the job at the one instance holding its session; { found: 0 } when none does. */
  run(job: DasJob): Promise<DasOutcome>;
}

/** IEEE 802.11 reason of a DAS disconnect, as hostapd: previous authentication no longer valid. */
const REASON_PREV_AUTH_NOT_VALID = 2;

/** The job of a request. */
export function jobOf(r: DasRequest): DasJob {
  const s = r.session;
  const match: DasMatch = {};
  if (s.station !== undefined) match.station = macKey(s.station);
  if (s.userName !== undefined) match.userName = s.userName;
  if (s.acctSessionId !== undefined) match.acctSessionId = s.acctSessionId;
  if (s.acctMultiSessionId !== undefined) match.acctMultiSessionId = s.acctMultiSessionId;
  if (s.calledStationId?.bssid !== undefined) match.bssid = macKey(s.calledStationId.bssid);
  if (s.calledStationId?.ssid !== undefined) match.ssid = Buffer.from(s.calledStationId.ssid, 'utf8').toString('hex');
  const c = r.changes ?? {};
  return { kind: r.kind, match, sessionTimeout: c.sessionTimeout, vlan: c.vlan, reauthenticate: c.reauthenticate !== undefined ? true : undefined, by: r.client };
}

/** The sessions here that every given identification attribute names. */
export function matchSessions(target: DasTarget, m: DasMatch): SessionView[] {
  const list = m.station !== undefined ? target.sessions(Buffer.from(m.station, 'hex')) : target.sessions();
  return list.filter(
    (s) =>
      (m.userName === undefined || s.identity === m.userName || s.userName === m.userName) &&
      (m.acctSessionId === undefined || s.acctSessionId === m.acctSessionId) &&
      (m.acctMultiSessionId === undefined || s.acctMultiSessionId === m.acctMultiSessionId) &&
      (m.bssid === undefined || macKey(s.bssid) === m.bssid) &&
      (m.ssid === undefined || s.ssid.toString('hex') === m.ssid),
  );
}

/** True when the match names something a session can be found by (a BSS alone is not a session). */
function namesSession(m: DasMatch): boolean {
  return m.station !== undefined || m.userName !== undefined || m.acctSessionId !== undefined || m.acctMultiSessionId !== undefined;
}

/** Runs a job on the sessions here. */
export function runJob(target: DasTarget, job: DasJob): DasOutcome {
  if (!namesSession(job.match)) return { found: 0 };
  const found = matchSessions(target, job.match);
  if (found.length > 1) return { ack: false, errorCause: ErrorCause.MultipleSessionSelectionUnsupported };
  const s = found[0];
  if (s === undefined) {
    // hostapd: no session, but a PMKSA of the station: forgetting it is what was asked.
    if (job.kind === 'disconnect' && job.match.station !== undefined && job.match.userName === undefined && job.match.acctSessionId === undefined && job.match.acctMultiSessionId === undefined) {
      if (target.forgetCredentials(Buffer.from(job.match.station, 'hex')) > 0) return { ack: true };
    }
    return { found: 0 };
  }
  const by = `a Dynamic Authorization ${job.kind === 'disconnect' ? 'Disconnect' : 'CoA'}-Request from ${job.by}`;
  if (job.kind === 'disconnect') {
    target.forgetCredentials(s.sta);
    target.disconnect(s.sta, REASON_PREV_AUTH_NOT_VALID, by);
    return { ack: true };
  }
  // CoA: check everything first, then apply it all (RFC 5176 §3.3).
  if (job.reauthenticate === true && !s.ieee8021x) return { ack: false, errorCause: ErrorCause.UnsupportedService };
  if (job.reauthenticate === true && !s.authorized) return { ack: false, errorCause: ErrorCause.ResourcesUnavailable };
  const newVlan = job.vlan !== undefined && job.vlan !== target.vlanOf(s.sta);
  if (newVlan) {
    // A VLAN takes a new association: the station joins again and gets what the server gives now.
    target.forgetCredentials(s.sta);
    target.disconnect(s.sta, REASON_PREV_AUTH_NOT_VALID, `${by} (new VLAN ${job.vlan})`);
    return { ack: true };
  }
  if (job.sessionTimeout !== undefined) target.setSessionTimeout(s.sta, job.sessionTimeout);
  if (job.reauthenticate === true) target.reauthenticate(s.sta);
  return { ack: true };
}

/** Options of the DAS of an authenticator (config das.*). */
export interface DasOptions {
  address: string;
  port: number;
  clients: { name: string; address: string; secret: string }[];
  timeWindowS: number;
  requireEventTimestamp: boolean;
  nas: { identifier: string; ipAddress: string };
  target: DasTarget;
  /** Other instances (a shared store), when there are. */
  peers?: () => DasPeers | undefined;
  log: Logger;
  /** One per answer: kind, result (ack, nak), Error-Cause. */
  onAnswer?(kind: 'disconnect' | 'coa', result: 'ack' | 'nak', errorCause: number | undefined): void;
  /** One per dropped request, by reason (anyone can send them: counted, and logged rate-limited by the caller). */
  onDrop?(reason: string, source: string, detail: string): void;
}

/** The Dynamic Authorization Server of an authenticator. */
export class DynamicAuthorization {
  private readonly listener: DasListener;

  constructor(private readonly o: DasOptions) {
    this.listener = new DasListener({
      address: o.address,
      port: o.port,
      clients: o.clients.map((c) => ({ name: c.name, address: c.address, secret: Buffer.from(c.secret, 'utf8') })),
      nas: { identifiers: [o.nas.identifier], addresses: o.nas.ipAddress === '' ? [] : [o.nas.ipAddress] },
      timeWindowSec: o.timeWindowS,
      requireEventTimestamp: o.requireEventTimestamp,
      onRequest: (r) => void this.handle(r),
      onEvent: (e) => this.onEvent(e),
      onError: (err) => o.log.warn({ error: err.message }, 'DAS socket error'),
    });
  }

  /** Binds the socket; the address and port it listens on. */
  start(): Promise<{ address: string; port: number }> {
    return this.listener.start();
  }

  close(): Promise<void> {
    return this.listener.close();
  }

  private async handle(r: DasRequest): Promise<void> {
    const job = jobOf(r);
    let outcome: DasOutcome;
    try {
      outcome = runJob(this.o.target, job);
      if ('found' in outcome) outcome = (await this.o.peers?.()?.run(job)) ?? outcome;
    } catch (err) {
      this.o.log.error({ error: err instanceof Error ? err.message : String(err) }, 'DAS request failed');
      outcome = { ack: false, errorCause: ErrorCause.ResourcesUnavailable };
    }
    if ('found' in outcome) this.listener.nak(r.handle, ErrorCause.SessionContextNotFound);
    else if (outcome.ack) this.listener.ack(r.handle);
    else this.listener.nak(r.handle, outcome.errorCause);
    const sta = job.match.station !== undefined ? formatMac(Buffer.from(job.match.station, 'hex')) : undefined;
    this.o.log.info({ client: r.client, kind: r.kind, sta, userName: job.match.userName, result: 'found' in outcome ? 'nak' : outcome.ack ? 'ack' : 'nak', errorCause: 'found' in outcome ? ErrorCause.SessionContextNotFound : outcome.ack ? undefined : outcome.errorCause }, 'Dynamic Authorization request');
  }

  private onEvent(e: DasEvent): void {
    if (e.type === 'answered') this.o.onAnswer?.(e.kind, e.code === 41 || e.code === 44 ? 'ack' : 'nak', e.errorCause);
    else if (e.type === 'dropped') this.o.onDrop?.(e.reason, `${e.source.address}:${e.source.port}`, e.detail);
  }
}
