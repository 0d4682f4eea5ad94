/**
 * The AP's MLME for one BSS (IEEE 802.11-2020 §11.3: authentication and association,
 * §11.1.4.3: active scanning, §11.13: SA Query), sans-I/O: frames and TX status in, with
 * `now`; actions out (frames to transmit, kernel station entries to add or remove, events
 * for the authenticator). It does what hostapd's ieee802_11.c does for Open System
 * Authentication and (Re)Association, relays SAE Authentication frames (algorithm 3) to the
 * authenticator, which runs SAE, and does nothing of RSN beyond checking that a station's
 * RSNE selects what the BSS offers and agrees with its management frame protection policy
 * (hostapd's wpa_validate_wpa_ie status codes).
 *
 * Protected management frames (§11.13, hostapd's sa_query.c behaviour): a station with a
 * PMF association and an installed pairwise key keeps it through unprotected Authentication
 * and (Re)Association Requests (anyone can send those in its name). Such a request is
 * refused with status 30 and an association comeback time, and the MLME sends the station
 * protected SA Query Requests; a valid SA Query Response proves the old association alive,
 * and none within the SA Query maximum timeout ends it (reported as a locally generated
 * disassociation), so that the next request succeeds. A station's own SA Query Request is
 * answered.
 *
 * Deviations from hostapd, and why:
 * - Authenticated stations that have not associated are held in a table with a cap; when it
 *   is full the oldest such entry is dropped (counted) instead of refusing the newcomer, so
 *   a flood of Authentication frames from spoofed MACs cannot lock real stations out.
 * - A second Association Request identical to the one just accepted, before the station
 *   sent any EAPOL frame, is answered again with the same AID and is not reported: mac80211's
 *   client sends one when the first response is slow (a new sequence number, no retry bit),
 *   and reporting it would restart the 4-way handshake with a new ANonce.
 */
import { randomBytes } from 'node:crypto';
import { CIPHER, decodeRsne, formatMac, macKey, rsneDefaults } from '@airlock/rsn';
import {
  assocResponseElements,
  AUTH_ALG,
  CAPAB,
  decodeAssocRequestBody,
  decodeAuthBody,
  decodeElements,
  decodeMgmtFrame,
  decodeReasonBody,
  decodeSaQuery,
  EID,
  encodeAssocResponseBody,
  encodeAuthBody,
  encodeMgmtFrame,
  encodeProbeResponse,
  encodeReasonBody,
  encodeSaQuery,
  FC_PROTECTED,
  FC_RETRY,
  MGMT,
  REASON,
  SA_QUERY_ACTION,
  SA_QUERY_ID_LENGTH,
  STATUS,
  stationRates,
  TIMEOUT_INTERVAL_TYPE,
  timeoutIntervalElement,
  type BssAdvertisement,
  type Elements,
  type MgmtFrame,
} from './ieee80211.js';

/** The configuration of one BSS's MLME. */
export interface MlmeConfig extends BssAdvertisement {
  /** Associated stations at most; a further one is refused with status 17. Default 2007 (hostapd's max_num_sta). */
  maxStations?: number;
  /** Authenticated, not yet associated stations held at most (the oldest is dropped). Default 256. */
  maxPendingAuth?: number;
  /** How long an authenticated station may take to associate. Default 10 s. */
  pendingAuthTimeoutMs?: number;
  /** Frames the MLME answers per second at most (Authentication, Probe and refusal responses); a burst of as many. Default 200. */
  responsesPerSecond?: number;
  /**
   * A station silent this long is polled, and deauthenticated with reason 4 when the poll
   * is not acknowledged (hostapd's ap_max_inactivity). 0 = never. Default 300 s.
   */
  maxInactivityMs?: number;
  /** How often the stations' inactivity is looked at while any is associated. Default 10 s. */
  inactivityCheckMs?: number;
  /** SAE frames relayed per station per second at most, and a burst of as many. Default 5. */
  saeFramesPerSecond?: number;
  /** How long an SA Query of an association comeback may take, in TUs (hostapd's assoc_sa_query_max_timeout). Default 1000. */
  saQueryMaxTimeoutTu?: number;
  /** The SA Query Request is sent again this often, in TUs (hostapd's assoc_sa_query_retry_timeout). Default 201. */
  saQueryRetryTimeoutTu?: number;
  /** Random octets (SA Query transaction identifiers). Default node:crypto's randomBytes. */
  random?: (n: number) => Buffer;
}

/** What the MLME asks its driver to do, in order. */
export type MlmeAction =
  /** Transmit a management frame. `ackToken`: report its TX status with handleTxStatus(token, acked). */
  | { type: 'transmit'; frame: Buffer; ackToken?: number }
  /** Add (or, with `replace`, delete and add again) the kernel's entry for an associating station; `mfp`: PMF negotiated. */
  | { type: 'add-station'; sta: Buffer; aid: number; capability: number; listenInterval: number; rates: number[]; replace: boolean; mfp: boolean }
  /** Delete the kernel's entry (keys and all). */
  | { type: 'remove-station'; sta: Buffer }
  /** Report an association to the authenticator (after the station acknowledged the response). */
  | { type: 'associated'; sta: Buffer; rsne: Buffer; reassociation: boolean; previousBssid: Buffer | undefined; rsnxe: Buffer | undefined }
  /** Relay an Authentication frame of an algorithm the authenticator runs (SAE) to it. */
  | { type: 'authentication'; sta: Buffer; algorithm: number; transaction: number; status: number; body: Buffer }
  /** Report that a station left or was removed. */
  | { type: 'disassociated'; sta: Buffer; reason: number; deauth: boolean; locallyGenerated: boolean }
  /** Read every station's inactive time (GET_STATION) and hand each to inactivity(). */
  | { type: 'check-inactivity' }
  /** Poll a station (a null data frame, PROBE_CLIENT); its outcome goes to pollAnswered(). */
  | { type: 'poll'; sta: Buffer };

/** Why frames were dropped or refused (counters). */
export type MlmeDrop =
  | 'malformed'
  | 'not-for-this-bss'
  | 'retransmission'
  | 'duplicate-association'
  | 'response-budget'
  | 'auth-evicted'
  | 'auth-refused'
  | 'association-refused'
  | 'association-not-acked'
  | 'unexpected-subtype'
  | 'unknown-station'
  | 'sae-rate'
  | 'unprotected'
  | 'sa-query-unmatched';

type StaState = 'authenticated' | 'associating' | 'associated';

interface StationEntry {
  mac: Buffer;
  key: string;
  state: StaState;
  aid: number;
  /** Sequence Control and subtype of the last frame, to drop retransmissions. */
  lastSeqCtrl: number;
  lastSubtype: number;
  /** Authenticated only: when the entry expires. */
  expiresAt: number;
  /** The accepted request's body, the response and its token (while associating/associated). */
  acceptedBody: Buffer | undefined;
  acceptedResponse: Buffer | undefined;
  acceptedAt: number;
  ackToken: number;
  reassociation: boolean;
  previousBssid: Buffer | undefined;
  rsne: Buffer;
  rsnxe: Buffer | undefined;
  /** Management frame protection negotiated for the accepted association. */
  mfp: boolean;
  /** The driver installed its pairwise key (since its association was accepted). */
  keyInstalled: boolean;
  /** An association comeback's SA Query in progress. */
  saQuery: SaQueryState | undefined;
  /** SAE frames it may still have relayed (a token bucket) and when that was counted. */
  saeTokens: number;
  saeTokensAt: number;
  /** An EAPOL frame came from the station since its association was accepted. */
  spokeEapol: boolean;
  /** The authenticator opened its port (since its association was accepted). */
  portAuthorized: boolean;
  /**
   * The authenticator was told 'associated' and not yet that the station left. Stays true
   * while an associated station re-associates (state 'associating'): its kernel entry and
   * keys are replaced, so its leaving must still be reported.
   */
  reported: boolean;
  /** Polled for inactivity; no answer yet. */
  polling: boolean;
}

/** The SA Query of an association comeback (hostapd's sa_query_* fields of sta_info). */
interface SaQueryState {
  startedAt: number;
  /** Transaction identifiers sent, any of which a Response may carry. */
  ids: Buffer[];
  /** When the Request is sent again. */
  nextAt: number;
}

/** One TU (§3.1, time unit) in ms. */
const TU_MS = 1.024;

/** How long an Association Response may wait for its TX status before it counts as lost. */
const ASSOC_RESPONSE_TIMEOUT_MS = 5000;
/** Within this time an identical Association Request is a duplicate (see the module comment). */
const DUPLICATE_ASSOC_WINDOW_MS = 3000;
/** The AIDs a BSS hands out (§9.4.1.8: 1..2007). */
const MAX_AID = 2007;
/** RSN Capabilities: management frame protection required / capable (§9.4.2.24.4). */
const MFPR = 0x0040;
const MFPC = 0x0080;
/** AKM suite selectors the policy names (§9.4.2.24.3 Table 9-151). */
const AKM_PSK_SHA256 = 0x000fac06;
const AKM_SAE = 0x000fac08;

/** Counters of one BSS's MLME. */
export interface MlmeCounters {
  framesReceived: number;
  authentications: number;
  associations: number;
  probeResponses: number;
  dropped: Record<MlmeDrop, number>;
  /** Refusals by status code. */
  refusedByStatus: Record<number, number>;
  /** SAE Authentication frames relayed to the authenticator. */
  saeRelayed: number;
  /** Association comebacks that started an SA Query. */
  saQueriesStarted: number;
  /** SA Queries answered by the station (its association stays). */
  saQueriesAnswered: number;
  /** SA Queries unanswered: the old association ended. */
  saQueryTimeouts: number;
  /** SA Query Requests of stations answered. */
  saQueryResponses: number;
}

/**
 * The MLME of one BSS. Feed it received management frames (handleFrame), TX status of
 * the frames it asked to track (handleTxStatus), EAPOL arrivals (eapolReceived), and time
 * (tick at nextDeadline()); carry out the actions it returns, in order.
 */
export class ApMlme {
  readonly counters: MlmeCounters = {
    framesReceived: 0,
    authentications: 0,
    associations: 0,
    probeResponses: 0,
    dropped: {
      malformed: 0,
      'not-for-this-bss': 0,
      retransmission: 0,
      'duplicate-association': 0,
      'response-budget': 0,
      'auth-evicted': 0,
      'auth-refused': 0,
      'association-refused': 0,
      'association-not-acked': 0,
      'unexpected-subtype': 0,
      'unknown-station': 0,
      'sae-rate': 0,
      unprotected: 0,
      'sa-query-unmatched': 0,
    },
    refusedByStatus: {},
    saeRelayed: 0,
    saQueriesStarted: 0,
    saQueriesAnswered: 0,
    saQueryTimeouts: 0,
    saQueryResponses: 0,
  };
  private readonly stations = new Map<string, StationEntry>();
  private readonly byToken = new Map<number, StationEntry>();
  private readonly usedAids = new Set<number>();
  private pendingAuth = 0;
  private associatedCount = 0;
  private nextToken = 1;
  private budget: number;
  private budgetAt = 0;
  private readonly maxStations: number;
  /** Associated stations not yet port-authorized, at most (the authenticator's Welcome). */
  private maxUnauthorized = Infinity;
  private readonly maxPendingAuth: number;
  private readonly pendingAuthTimeoutMs: number;
  private readonly responsesPerSecond: number;
  private readonly maxInactivityMs: number;
  private readonly inactivityCheckMs: number;
  private nextInactivityCheck: number | undefined;
  private readonly bssRsne: ReturnType<typeof rsneDefaults> | undefined;
  /** The BSS offers SAE (AKM 8): SAE Authentication frames are relayed. */
  private readonly offersSae: boolean;
  private readonly saeFramesPerSecond: number;
  private readonly saQueryMaxMs: number;
  private readonly saQueryMaxTu: number;
  private readonly saQueryRetryMs: number;
  private readonly random: (n: number) => Buffer;

  constructor(readonly config: MlmeConfig) {
    this.maxStations = Math.min(config.maxStations ?? MAX_AID, MAX_AID);
    this.maxPendingAuth = config.maxPendingAuth ?? 256;
    this.pendingAuthTimeoutMs = config.pendingAuthTimeoutMs ?? 10_000;
    this.responsesPerSecond = config.responsesPerSecond ?? 200;
    this.maxInactivityMs = config.maxInactivityMs ?? 300_000;
    this.inactivityCheckMs = config.inactivityCheckMs ?? 10_000;
    this.saeFramesPerSecond = config.saeFramesPerSecond ?? 5;
    this.saQueryMaxTu = config.saQueryMaxTimeoutTu ?? 1000;
    this.saQueryMaxMs = this.saQueryMaxTu * TU_MS;
    this.saQueryRetryMs = (config.saQueryRetryTimeoutTu ?? 201) * TU_MS;
    this.random = config.random ?? randomBytes;
    this.budget = this.responsesPerSecond;
    if (config.rsne.length > 0) {
      const r = decodeRsne(config.rsne);
      if (!r.ok) throw new Error(`BSS ${formatMac(config.bssid)}: its own RSNE does not decode: ${r.error.detail}`);
      this.bssRsne = rsneDefaults(r.value);
    }
    this.offersSae = this.bssRsne?.akms.includes(AKM_SAE) ?? false;
  }

  /** The BSSID. */
  get bssid(): Buffer {
    return this.config.bssid;
  }

  /** Associated stations (for Hello's station table and counters). */
  associatedStations(): { sta: Buffer; aid: number; rsne: Buffer; rsnxe: Buffer | undefined; mfp: boolean }[] {
    const out: { sta: Buffer; aid: number; rsne: Buffer; rsnxe: Buffer | undefined; mfp: boolean }[] = [];
    for (const s of this.stations.values()) if (s.state === 'associated') out.push({ sta: s.mac, aid: s.aid, rsne: s.rsne, rsnxe: s.rsnxe, mfp: s.mfp });
    return out;
  }

  /** True when the BSS relays SAE Authentication frames (it offers AKM 8). */
  get relaysSae(): boolean {
    return this.offersSae;
  }

  /**
   * Stations associated and not yet port-authorized, at most (0: no limit); a further
   * association is refused with status 17. The authenticator sets it (its
   * limits.max_pending_stations_per_bss), so a flood of spoofed MACs stops at the radio.
   */
  setMaxUnauthorized(n: number): void {
    this.maxUnauthorized = n > 0 ? n : Infinity;
  }

  /** The authenticator opened or closed a station's port. */
  portAuthorized(sta: Buffer, authorized: boolean): void {
    const s = this.stations.get(macKey(sta));
    if (s !== undefined && s.state !== 'authenticated') s.portAuthorized = authorized;
  }

  /**
   * The driver installed (or removed) a station's pairwise key. With PMF negotiated, from
   * then on the kernel protects the robust management frames sent to it, and its
   * association is kept through unprotected requests (association comeback).
   */
  pairwiseKeyInstalled(sta: Buffer, installed: boolean): void {
    const s = this.stations.get(macKey(sta));
    if (s !== undefined && s.state !== 'authenticated') s.keyInstalled = installed;
  }

  /** Stations associated (or associating) whose port is not open. */
  private unauthorizedCount(): number {
    let n = 0;
    for (const s of this.stations.values()) if (s.state !== 'authenticated' && !s.portAuthorized) n++;
    return n;
  }

  /** True when the station is associated to this BSS. */
  isAssociated(sta: Buffer): boolean {
    return this.stations.get(macKey(sta))?.state === 'associated';
  }

  /** The earliest time tick() has something to do, or undefined. */
  nextDeadline(): number | undefined {
    let min = this.associatedCount > 0 && this.maxInactivityMs > 0 ? this.nextInactivityCheck : undefined;
    for (const s of this.stations.values()) {
      const t = s.state === 'authenticated' ? s.expiresAt : s.state === 'associating' ? s.acceptedAt + ASSOC_RESPONSE_TIMEOUT_MS : s.saQuery !== undefined ? this.saQueryDue(s.saQuery) : undefined;
      if (t !== undefined && (min === undefined || t < min)) min = t;
    }
    return min;
  }

  /**
   * Expires authenticated stations that did not associate and responses never acknowledged;
   * sends SA Query Requests again, and ends the association of a station whose SA Query went
   * unanswered; asks for the stations' inactive times every inactivityCheckMs while any is
   * associated.
   */
  tick(now: number): MlmeAction[] {
    const out: MlmeAction[] = [];
    for (const s of [...this.stations.values()]) {
      if (s.state === 'authenticated' && s.expiresAt <= now) this.forget(s);
      else if (s.state === 'associating' && s.acceptedAt + ASSOC_RESPONSE_TIMEOUT_MS <= now) this.assocNotAcked(s, now, out);
      else if (s.state === 'associated' && s.saQuery !== undefined && this.saQueryDue(s.saQuery) <= now) this.saQueryTimer(s, now, out);
    }
    if (this.nextInactivityCheck !== undefined && this.nextInactivityCheck <= now && this.associatedCount > 0 && this.maxInactivityMs > 0) {
      this.nextInactivityCheck = now + this.inactivityCheckMs;
      out.push({ type: 'check-inactivity' });
    }
    return out;
  }

  /**
   * A station's inactive time (from the kernel). Past maxInactivityMs it is polled; still
   * silent at the next look while the poll is unanswered, it is expelled with reason 4.
   */
  inactivity(sta: Buffer, inactiveMs: number): MlmeAction[] {
    const s = this.stations.get(macKey(sta));
    if (s === undefined || s.state !== 'associated' || this.maxInactivityMs === 0) return [];
    if (inactiveMs < this.maxInactivityMs) {
      s.polling = false;
      return [];
    }
    if (s.polling) return this.expel(sta, REASON.DISASSOC_DUE_TO_INACTIVITY);
    s.polling = true;
    return [{ type: 'poll', sta: s.mac }];
  }

  /** The outcome of a poll: acknowledged keeps the station, not acknowledged expels it (reason 4). */
  pollAnswered(sta: Buffer, acked: boolean): MlmeAction[] {
    const s = this.stations.get(macKey(sta));
    if (s === undefined || !s.polling) return [];
    s.polling = false;
    return acked ? [] : this.expel(sta, REASON.DISASSOC_DUE_TO_INACTIVITY);
  }

  /** A management frame received on the BSS's interface (from the 802.11 header on). */
  handleFrame(frame: Buffer, now: number): MlmeAction[] {
    this.counters.framesReceived++;
    const d = decodeMgmtFrame(frame);
    if (!d.ok) return this.drop('malformed');
    const f = d.value;
    if (f.subtype === MGMT.PROBE_REQ) return this.probeRequest(f, now);
    // Everything else must be addressed to this BSS.
    if (!f.bssid.equals(this.config.bssid) || !f.da.equals(this.config.bssid) || (f.sa[0] & 1) !== 0) return this.drop('not-for-this-bss');
    const st = this.stations.get(macKey(f.sa));
    if (st !== undefined && (f.flags & FC_RETRY) !== 0 && st.lastSeqCtrl === f.seqCtrl && st.lastSubtype === f.subtype) return this.drop('retransmission');
    if (st !== undefined) {
      st.lastSeqCtrl = f.seqCtrl;
      st.lastSubtype = f.subtype;
    }
    switch (f.subtype) {
      case MGMT.AUTH:
        return this.authentication(f, st, now);
      case MGMT.ASSOC_REQ:
        return this.association(f, st, false, now);
      case MGMT.REASSOC_REQ:
        return this.association(f, st, true, now);
      case MGMT.DEAUTH:
      case MGMT.DISASSOC:
        return this.leave(f, st, now);
      case MGMT.ACTION:
        return this.action(f, st, now);
      default:
        return this.drop('unexpected-subtype');
    }
  }

  /** The TX status of a frame sent with an ackToken. */
  handleTxStatus(token: number, acked: boolean, now: number): MlmeAction[] {
    const s = this.byToken.get(token);
    if (s === undefined) return [];
    this.byToken.delete(token);
    const out: MlmeAction[] = [];
    if (s.state !== 'associating' || s.ackToken !== token) return out;
    if (!acked) {
      this.assocNotAcked(s, now, out);
      return out;
    }
    s.state = 'associated';
    s.reported = true;
    s.polling = false;
    this.nextInactivityCheck ??= now + this.inactivityCheckMs;
    this.counters.associations++;
    out.push({ type: 'associated', sta: s.mac, rsne: s.rsne, reassociation: s.reassociation, previousBssid: s.previousBssid, rsnxe: s.rsnxe });
    return out;
  }

  /**
   * An EAPOL frame arrived from `sta`. Returns false when the station is not associated (the
   * frame is dropped). A station still 'associating' has evidently received its response
   * (the TX status is late): it is associated now, and the authenticator hears it first.
   */
  eapolReceived(sta: Buffer, out: MlmeAction[]): boolean {
    const s = this.stations.get(macKey(sta));
    if (s === undefined || s.state === 'authenticated') return false;
    s.spokeEapol = true;
    if (s.state === 'associating') out.push(...this.handleTxStatus(s.ackToken, true, s.acceptedAt));
    return true;
  }

  /**
   * The authenticator (or the operator) disconnects a station: a Deauthentication or
   * Disassociation frame with `reason`, and the kernel's entry removed. Not reported back
   * up: the authenticator asked for it.
   */
  disconnect(sta: Buffer, reason: number, deauth: boolean, now: number): MlmeAction[] {
    const s = this.stations.get(macKey(sta));
    const out: MlmeAction[] = [{ type: 'transmit', frame: this.frame(deauth ? MGMT.DEAUTH : MGMT.DISASSOC, sta, encodeReasonBody(reason)) }];
    if (s === undefined) return out;
    if (s.state !== 'authenticated') out.push({ type: 'remove-station', sta: s.mac });
    if (deauth) this.forget(s);
    else this.toAuthenticated(s, now);
    return out;
  }

  /**
   * The authenticator answers a relayed Authentication frame (SAE commit or confirm): the
   * frame is sent to the station whatever the MLME holds of it (the authenticator decides);
   * a pending station's entry lives on while the exchange goes on.
   */
  transmitAuthentication(sta: Buffer, a: { algorithm: number; transaction: number; status: number; body: Buffer }, now: number): MlmeAction[] {
    const s = this.stations.get(macKey(sta));
    if (s !== undefined && s.state === 'authenticated') s.expiresAt = now + this.pendingAuthTimeoutMs;
    return [{ type: 'transmit', frame: this.frame(MGMT.AUTH, sta, encodeAuthBody({ algorithm: a.algorithm, transaction: a.transaction, status: a.status, rest: a.body })) }];
  }

  /**
   * The kernel removed a station the MLME did not ask to remove (an operator's `iw station
   * del`, the driver): reported as a disassociation the AP generated.
   */
  stationGone(sta: Buffer, reason: number): MlmeAction[] {
    const s = this.stations.get(macKey(sta));
    if (s === undefined || s.state === 'authenticated') return [];
    const wasAssociated = s.reported;
    this.forget(s);
    return wasAssociated ? [{ type: 'disassociated', sta: s.mac, reason, deauth: true, locallyGenerated: true }] : [];
  }

  /**
   * A station the AP holds no more (inactive, or no longer acknowledging): Deauthentication
   * with `reason`, the entry removed, and the authenticator told.
   */
  expel(sta: Buffer, reason: number): MlmeAction[] {
    const s = this.stations.get(macKey(sta));
    if (s === undefined) return [];
    const wasAssociated = s.reported;
    const out: MlmeAction[] = [{ type: 'transmit', frame: this.frame(MGMT.DEAUTH, s.mac, encodeReasonBody(reason)) }];
    if (s.state !== 'authenticated') out.push({ type: 'remove-station', sta: s.mac });
    this.forget(s);
    if (wasAssociated) out.push({ type: 'disassociated', sta: s.mac, reason, deauth: true, locallyGenerated: true });
    return out;
  }

  /**
   * A class 3 frame (data) from a station that is not associated (the kernel reports it):
   * Deauthentication with reason 7, as hostapd does, within the response budget.
   */
  unexpectedFrame(sta: Buffer, now: number): MlmeAction[] {
    if ((sta[0] & 1) !== 0) return this.drop('malformed');
    if (this.stations.get(macKey(sta))?.state === 'associated') return [];
    if (!this.spend(now)) return this.drop('response-budget');
    return [{ type: 'transmit', frame: this.frame(MGMT.DEAUTH, sta, encodeReasonBody(REASON.CLASS3_FRAME_FROM_NONASSOC_STA)) }];
  }

  // ---- frames ---------------------------------------------------------------------

  private probeRequest(f: MgmtFrame, now: number): MlmeAction[] {
    // Probe Requests are broadcast, or addressed to this BSS (§11.1.4.3.4).
    const toUs = (f.da.equals(this.config.bssid) || (f.da[0] & 1) !== 0) && (f.bssid.equals(this.config.bssid) || f.bssid.every((b) => b === 0xff));
    if (!toUs || (f.sa[0] & 1) !== 0) return this.drop('not-for-this-bss');
    const e = decodeElements(f.body);
    if (!e.ok) return this.drop('malformed');
    const ssid = e.value.find(EID.SSID);
    if (ssid === undefined) return this.drop('malformed');
    if (ssid.data.length !== 0 && !ssid.data.equals(this.config.ssid)) return this.drop('not-for-this-bss');
    if (!this.spend(now)) return this.drop('response-budget');
    this.counters.probeResponses++;
    return [{ type: 'transmit', frame: encodeProbeResponse(this.config, f.sa) }];
  }

  private authentication(f: MgmtFrame, st: StationEntry | undefined, now: number): MlmeAction[] {
    const a = decodeAuthBody(f.body);
    if (!a.ok) return this.drop('malformed');
    const { algorithm, transaction } = a.value;
    if (algorithm === AUTH_ALG.SAE && this.offersSae && (transaction === 1 || transaction === 2)) return this.saeFrame(f, st, a.value.status, a.value.rest, now);
    // Open System here (§12.3.3.2); SAE on a BSS that offers it goes to the authenticator.
    let status: number = STATUS.SUCCESS;
    if (algorithm === AUTH_ALG.SAE && this.offersSae) status = STATUS.UNKNOWN_AUTH_TRANSACTION;
    else if (algorithm !== AUTH_ALG.OPEN_SYSTEM) status = STATUS.NOT_SUPPORTED_AUTH_ALG;
    else if (transaction !== 1) status = STATUS.UNKNOWN_AUTH_TRANSACTION;
    if (!this.spend(now)) return this.drop('response-budget');
    const out: MlmeAction[] = [];
    if (status !== STATUS.SUCCESS) {
      this.refused('auth-refused', status);
    } else {
      this.authenticating(f, st, now, out);
      this.counters.authentications++;
    }
    // SAE answers with the transaction it refuses (hostapd); others with the next one, which
    // wraps like a u16 (0xffff is answered with 0, not a throw).
    const answer = algorithm === AUTH_ALG.SAE ? transaction : (transaction + 1) & 0xffff;
    out.push({ type: 'transmit', frame: this.frame(MGMT.AUTH, f.sa, encodeAuthBody({ algorithm, transaction: answer, status })) });
    return out;
  }

  /**
   * An SAE commit or confirm: relayed to the authenticator, which answers with
   * transmitAuthentication. Each frame costs the station's own SAE budget, then the BSS's
   * response budget, and a new station takes a pending entry (the oldest goes when the
   * table is full), so a flood costs its sender first and stays bounded.
   */
  private saeFrame(f: MgmtFrame, st: StationEntry | undefined, status: number, body: Buffer, now: number): MlmeAction[] {
    if (st !== undefined && !this.saeToken(st, now)) return this.drop('sae-rate');
    if (!this.spend(now)) return this.drop('response-budget');
    const out: MlmeAction[] = [];
    const s = this.authenticating(f, st, now, out);
    if (st === undefined) this.saeToken(s, now);
    this.counters.saeRelayed++;
    out.push({ type: 'authentication', sta: s.mac, algorithm: AUTH_ALG.SAE, transaction: f.body.readUInt16LE(2), status, body: Buffer.from(body) });
    return out;
  }

  /**
   * A station authenticates (Open System, or an SAE frame): it is tracked, its pending
   * deadline restarts, and one that was associated or associating loses that (§11.3.1:
   * its kernel entry and keys go, and the authenticator hears that it left) — except a
   * station with a PMF association and its key installed: an unprotected Authentication
   * frame does not end that (hostapd keeps such a station's entry; its Association Request
   * will meet the SA Query).
   */
  private authenticating(f: MgmtFrame, st: StationEntry | undefined, now: number, out: MlmeAction[]): StationEntry {
    if (st === undefined) return this.track(f.sa, f.seqCtrl, f.subtype, now);
    if (st.state === 'authenticated') {
      st.expiresAt = now + this.pendingAuthTimeoutMs;
    } else if (!this.pmfProtected(st)) {
      const wasAssociated = st.reported;
      out.push({ type: 'remove-station', sta: st.mac });
      if (wasAssociated) out.push({ type: 'disassociated', sta: st.mac, reason: REASON.PREV_AUTH_NOT_VALID, deauth: true, locallyGenerated: false });
      this.toAuthenticated(st, now);
    }
    return st;
  }

  private association(f: MgmtFrame, st: StationEntry | undefined, reassociation: boolean, now: number): MlmeAction[] {
    const respType = reassociation ? MGMT.REASSOC_RESP : MGMT.ASSOC_RESP;
    if (st === undefined) {
      // Class 2 frame from a station that did not authenticate (§11.3.3).
      if (!this.spend(now)) return this.drop('response-budget');
      this.drop('unknown-station');
      return [{ type: 'transmit', frame: this.frame(MGMT.DEAUTH, f.sa, encodeReasonBody(REASON.CLASS2_FRAME_FROM_NONAUTH_STA)) }];
    }
    const req = decodeAssocRequestBody(f.body, reassociation);
    if (!req.ok) return this.drop('malformed');
    if (
      st.state !== 'authenticated' &&
      !st.spokeEapol &&
      st.acceptedBody !== undefined &&
      st.acceptedResponse !== undefined &&
      now - st.acceptedAt < DUPLICATE_ASSOC_WINDOW_MS &&
      st.acceptedBody.equals(f.body)
    ) {
      this.counters.dropped['duplicate-association']++;
      return [{ type: 'transmit', frame: st.acceptedResponse }];
    }
    const refuse = (status: number): MlmeAction[] => {
      this.refused('association-refused', status);
      if (!this.spend(now)) return this.drop('response-budget');
      return [{ type: 'transmit', frame: this.frame(respType, f.sa, encodeAssocResponseBody({ capability: this.config.capability, status, aid: 0, elements: [] })) }];
    };
    if (this.pmfProtected(st)) return this.associationComeback(st, respType, now);
    const el = decodeElements(req.value.elementBytes);
    if (!el.ok) return refuse(STATUS.UNSPECIFIED_FAILURE);
    const elements = el.value;
    const ssid = elements.find(EID.SSID);
    if (ssid === undefined || !ssid.data.equals(this.config.ssid)) return refuse(STATUS.UNSPECIFIED_FAILURE);
    const rates = stationRates(elements);
    if (rates.length === 0) return refuse(STATUS.UNSPECIFIED_FAILURE);
    for (const r of this.config.rates) {
      if ((r & 0x80) !== 0 && !rates.some((x) => (x & 0x7f) === (r & 0x7f))) return refuse(STATUS.ASSOC_DENIED_RATES);
    }
    const rsneCheck = this.checkRsne(elements);
    if (rsneCheck.status !== STATUS.SUCCESS) return refuse(rsneCheck.status);
    // The RSNXE goes up as it came (the authenticator checks SAE's H2E against it); the first one counts.
    const rsnxe = elements.find(EID.RSNX);
    const replacing = st.state !== 'authenticated';
    if (!replacing && this.associatedCount >= this.maxStations) return refuse(STATUS.AP_UNABLE_TO_HANDLE_NEW_STA);
    if (!replacing && Number.isFinite(this.maxUnauthorized) && this.unauthorizedCount() >= this.maxUnauthorized) return refuse(STATUS.AP_UNABLE_TO_HANDLE_NEW_STA);
    let aid = st.aid;
    if (aid === 0) {
      aid = this.freeAid();
      if (aid === 0) return refuse(STATUS.AP_UNABLE_TO_HANDLE_NEW_STA);
    }
    // Accepted: the kernel entry first (so the response and what follows reach the station
    // as a known one), then the response; the authenticator hears of it on the ACK.
    if (st.state === 'authenticated') {
      this.pendingAuth--;
      this.associatedCount++;
      this.usedAids.add(aid);
    } else if (st.state === 'associating') {
      this.byToken.delete(st.ackToken);
    }
    st.state = 'associating';
    st.aid = aid;
    st.acceptedBody = Buffer.from(f.body);
    st.acceptedAt = now;
    st.spokeEapol = false;
    st.portAuthorized = false;
    st.reassociation = reassociation;
    st.previousBssid = req.value.currentAp !== undefined ? Buffer.from(req.value.currentAp) : undefined;
    st.rsne = rsneCheck.rsne;
    st.rsnxe = rsnxe === undefined ? undefined : Buffer.from(rsnxe.raw);
    st.mfp = rsneCheck.mfp;
    st.keyInstalled = false;
    this.stopSaQuery(st);
    st.ackToken = this.nextToken++;
    this.byToken.set(st.ackToken, st);
    const response = this.frame(respType, st.mac, encodeAssocResponseBody({ capability: this.config.capability, status: STATUS.SUCCESS, aid, elements: assocResponseElements(this.config) }));
    st.acceptedResponse = response;
    return [
      { type: 'add-station', sta: st.mac, aid, capability: req.value.capability, listenInterval: req.value.listenInterval, rates: rates.map((r) => r & 0x7f), replace: replacing, mfp: st.mfp },
      { type: 'transmit', frame: response, ackToken: st.ackToken },
    ];
  }

  private leave(f: MgmtFrame, st: StationEntry | undefined, now: number): MlmeAction[] {
    const r = decodeReasonBody(f.body);
    if (!r.ok) return this.drop('malformed');
    if (st === undefined) return this.drop('unknown-station');
    // mac80211 drops these itself once the key is in (and reports them as UNPROT_*); kept
    // here too, so the MLME's state never follows a forged one.
    if (this.pmfProtected(st) && (f.flags & FC_PROTECTED) === 0) return this.drop('unprotected');
    const deauth = f.subtype === MGMT.DEAUTH;
    const out: MlmeAction[] = [];
    const wasAssociated = st.reported;
    if (st.state !== 'authenticated') out.push({ type: 'remove-station', sta: st.mac });
    if (wasAssociated) out.push({ type: 'disassociated', sta: st.mac, reason: r.value, deauth, locallyGenerated: false });
    if (deauth) this.forget(st);
    else this.toAuthenticated(st, now);
    return out;
  }

  /**
   * The station's RSNE against the BSS's (hostapd's wpa_validate_wpa_ie statuses): absent or
   * undecodable 40, version 44, group cipher 41, no common pairwise cipher 42, no common AKM
   * 43; management frame protection (§12.6.3 Table 12-3 of MFPC/MFPR): required by one side
   * and not offered by the other 31, SAE without it 31, and with it a group management
   * cipher other than the BSS's (BIP-CMAC-128) 46. `mfp`: PMF negotiated.
   */
  private checkRsne(elements: Elements): { status: number; rsne: Buffer; mfp: boolean } {
    const none = Buffer.alloc(0);
    const refuse = (status: number): { status: number; rsne: Buffer; mfp: boolean } => ({ status, rsne: none, mfp: false });
    if (this.bssRsne === undefined) return { status: STATUS.SUCCESS, rsne: none, mfp: false };
    if (elements.count(EID.RSN) !== 1) return refuse(STATUS.INVALID_IE);
    const raw = elements.find(EID.RSN)!.raw;
    const d = decodeRsne(raw);
    if (!d.ok) return refuse(d.error.code === 'bad-version' ? STATUS.UNSUPPORTED_RSN_IE_VERSION : STATUS.INVALID_IE);
    const sta = rsneDefaults(d.value);
    const bss = this.bssRsne;
    if (sta.groupCipher !== bss.groupCipher) return refuse(STATUS.GROUP_CIPHER_NOT_VALID);
    if (sta.pairwiseCiphers.length === 0 || !sta.pairwiseCiphers.some((c) => c !== CIPHER.USE_GROUP && bss.pairwiseCiphers.includes(c))) return refuse(STATUS.PAIRWISE_CIPHER_NOT_VALID);
    const common = sta.akms.filter((a) => bss.akms.includes(a));
    if (common.length === 0) return refuse(STATUS.AKMP_NOT_VALID);
    const bssMfpc = (bss.capabilities & MFPC) !== 0;
    const bssMfpr = (bss.capabilities & MFPR) !== 0;
    const staMfpc = (sta.capabilities & MFPC) !== 0;
    const staMfpr = (sta.capabilities & MFPR) !== 0;
    if ((bssMfpr && !staMfpc) || (staMfpr && !bssMfpc)) return refuse(STATUS.ROBUST_MGMT_FRAME_POLICY_VIOLATION);
    const mfp = bssMfpc && staMfpc;
    // The AKM in use, by hostapd's preference: PSK-SHA256 before SAE before the rest.
    const sae = common.includes(AKM_SAE) && !common.includes(AKM_PSK_SHA256);
    if (sae && !mfp) return refuse(STATUS.ROBUST_MGMT_FRAME_POLICY_VIOLATION);
    if (mfp && sta.groupMgmtCipher !== bss.groupMgmtCipher) return refuse(STATUS.CIPHER_REJECTED_PER_POLICY);
    return { status: STATUS.SUCCESS, rsne: Buffer.from(raw), mfp };
  }

  // ---- protected management frames (§11.13) --------------------------------------------

  /** A PMF association whose key is installed: the kernel protects and checks its robust frames. */
  private pmfProtected(s: StationEntry): boolean {
    return s.state === 'associated' && s.mfp && s.keyInstalled;
  }

  /**
   * A (Re)Association Request in the name of a station with a PMF association: refused with
   * status 30 and the time left until the SA Query ends (hostapd's
   * hostapd_eid_assoc_comeback_time), and an SA Query started when none runs.
   */
  private associationComeback(st: StationEntry, respType: number, now: number): MlmeAction[] {
    this.refused('association-refused', STATUS.ASSOC_REJECTED_TEMPORARILY);
    if (!this.spend(now)) return this.drop('response-budget');
    const out: MlmeAction[] = [];
    if (st.saQuery === undefined) {
      st.saQuery = { startedAt: now, ids: [], nextAt: now };
      this.counters.saQueriesStarted++;
      this.sendSaQueryRequest(st, now, out);
    }
    const elapsedTu = Math.floor((now - st.saQuery.startedAt) / TU_MS);
    let comebackTu = Math.max(this.saQueryMaxTu - elapsedTu, 0);
    // A TU more for the timers' rounding, as hostapd.
    if (comebackTu < this.saQueryMaxTu) comebackTu++;
    const elements = [...assocResponseElements(this.config), timeoutIntervalElement(TIMEOUT_INTERVAL_TYPE.ASSOC_COMEBACK, comebackTu)];
    out.unshift({ type: 'transmit', frame: this.frame(respType, st.mac, encodeAssocResponseBody({ capability: this.config.capability, status: STATUS.ASSOC_REJECTED_TEMPORARILY, aid: 0, elements })) });
    return out;
  }

  /** An SA Query Request with a new transaction identifier (the kernel protects it: robust, to an MFP station with a key). */
  private sendSaQueryRequest(st: StationEntry, now: number, out: MlmeAction[]): void {
    const q = st.saQuery!;
    const id = Buffer.from(this.random(SA_QUERY_ID_LENGTH).subarray(0, SA_QUERY_ID_LENGTH));
    q.ids.push(id);
    q.nextAt = now + this.saQueryRetryMs;
    out.push({ type: 'transmit', frame: this.frame(MGMT.ACTION, st.mac, encodeSaQuery(SA_QUERY_ACTION.REQUEST, id)) });
  }

  /** When the SA Query next needs the clock: its next retry, or its end. */
  private saQueryDue(q: SaQueryState): number {
    return Math.min(q.nextAt, q.startedAt + this.saQueryMaxMs);
  }

  /** The SA Query's timer: no Response by the maximum timeout ends the association; before it, the Request goes again. */
  private saQueryTimer(st: StationEntry, now: number, out: MlmeAction[]): void {
    const q = st.saQuery!;
    if (now < q.startedAt + this.saQueryMaxMs) {
      this.sendSaQueryRequest(st, now, out);
      return;
    }
    // The station holds the old keys no more (it would have answered): its association
    // ends here, so its next request succeeds. Nothing is sent to it: a frame protected
    // with keys it lost would be dropped, and an unprotected one could end the new attempt.
    this.counters.saQueryTimeouts++;
    out.push({ type: 'remove-station', sta: st.mac });
    if (st.reported) out.push({ type: 'disassociated', sta: st.mac, reason: REASON.PREV_AUTH_NOT_VALID, deauth: false, locallyGenerated: true });
    this.toAuthenticated(st, now);
  }

  private stopSaQuery(st: StationEntry): void {
    st.saQuery = undefined;
  }

  /**
   * An Action frame (only SA Query is registered for): a station's SA Query Request is
   * answered with its transaction identifier; a Response that carries one of ours ends the
   * SA Query with the association alive. Only from an associated station, and protected
   * when PMF is in force (mac80211 drops unprotected robust ones too).
   */
  private action(f: MgmtFrame, st: StationEntry | undefined, now: number): MlmeAction[] {
    const q = decodeSaQuery(f.body);
    if (!q.ok) return this.drop(q.error.code === 'bad-type' ? 'unexpected-subtype' : 'malformed');
    if (st === undefined || st.state !== 'associated') return this.drop('unknown-station');
    if (st.mfp && (f.flags & FC_PROTECTED) === 0) return this.drop('unprotected');
    const { action, transactionId } = q.value;
    if (action === SA_QUERY_ACTION.REQUEST) {
      if (!this.spend(now)) return this.drop('response-budget');
      this.counters.saQueryResponses++;
      return [{ type: 'transmit', frame: this.frame(MGMT.ACTION, st.mac, encodeSaQuery(SA_QUERY_ACTION.RESPONSE, transactionId)) }];
    }
    if (action !== SA_QUERY_ACTION.RESPONSE) return this.drop('unexpected-subtype');
    if (st.saQuery === undefined || !st.saQuery.ids.some((id) => id.equals(transactionId))) return this.drop('sa-query-unmatched');
    this.counters.saQueriesAnswered++;
    this.stopSaQuery(st);
    return [];
  }

  // ---- table --------------------------------------------------------------------

  private track(mac: Buffer, seqCtrl: number, subtype: number, now: number): StationEntry {
    if (this.pendingAuth >= this.maxPendingAuth) {
      // Full of stations that authenticated and never associated: the oldest goes.
      for (const s of this.stations.values()) {
        if (s.state === 'authenticated') {
          this.forget(s);
          this.counters.dropped['auth-evicted']++;
          break;
        }
      }
    }
    const s: StationEntry = {
      mac: Buffer.from(mac),
      key: macKey(mac),
      state: 'authenticated',
      aid: 0,
      lastSeqCtrl: seqCtrl,
      lastSubtype: subtype,
      expiresAt: now + this.pendingAuthTimeoutMs,
      acceptedBody: undefined,
      acceptedResponse: undefined,
      acceptedAt: 0,
      ackToken: 0,
      reassociation: false,
      previousBssid: undefined,
      rsne: Buffer.alloc(0),
      rsnxe: undefined,
      mfp: false,
      keyInstalled: false,
      saQuery: undefined,
      saeTokens: this.saeFramesPerSecond,
      saeTokensAt: now,
      spokeEapol: false,
      portAuthorized: false,
      reported: false,
      polling: false,
    };
    this.stations.set(s.key, s);
    this.pendingAuth++;
    return s;
  }

  /** Back to authenticated (not associated): the AID is released. */
  private toAuthenticated(s: StationEntry, now: number): void {
    if (s.state !== 'authenticated') {
      this.associatedCount--;
      this.usedAids.delete(s.aid);
      this.byToken.delete(s.ackToken);
      this.pendingAuth++;
      // Re-inserted so that the table's order stays oldest-first for eviction.
      this.stations.delete(s.key);
      this.stations.set(s.key, s);
    }
    this.stopSaQuery(s);
    s.state = 'authenticated';
    s.reported = false;
    s.mfp = false;
    s.keyInstalled = false;
    s.aid = 0;
    s.acceptedBody = undefined;
    s.acceptedResponse = undefined;
    s.expiresAt = now + this.pendingAuthTimeoutMs;
  }

  private forget(s: StationEntry): void {
    if (this.stations.get(s.key) !== s) return;
    this.stations.delete(s.key);
    this.stopSaQuery(s);
    if (s.state === 'authenticated') {
      this.pendingAuth--;
    } else {
      this.associatedCount--;
      this.usedAids.delete(s.aid);
      this.byToken.delete(s.ackToken);
    }
  }

  private assocNotAcked(s: StationEntry, now: number, out: MlmeAction[]): void {
    this.counters.dropped['association-not-acked']++;
    out.push({ type: 'remove-station', sta: s.mac });
    // An associated station that re-associated lost its entry and keys with it.
    if (s.reported) out.push({ type: 'disassociated', sta: s.mac, reason: REASON.UNSPECIFIED, deauth: false, locallyGenerated: true });
    this.toAuthenticated(s, now);
  }

  private freeAid(): number {
    for (let aid = 1; aid <= MAX_AID; aid++) if (!this.usedAids.has(aid)) return aid;
    return 0;
  }

  /** Takes one SAE frame from the station's own budget (a token bucket, saeFramesPerSecond). */
  private saeToken(s: StationEntry, now: number): boolean {
    const rate = this.saeFramesPerSecond;
    if (now > s.saeTokensAt) {
      s.saeTokens = Math.min(rate, s.saeTokens + ((now - s.saeTokensAt) * rate) / 1000);
      s.saeTokensAt = now;
    }
    if (s.saeTokens < 1) return false;
    s.saeTokens -= 1;
    return true;
  }

  /** Takes one response from the per-second budget (a token bucket). */
  private spend(now: number): boolean {
    const rate = this.responsesPerSecond;
    if (now > this.budgetAt) {
      this.budget = Math.min(rate, this.budget + ((now - this.budgetAt) * rate) / 1000);
      this.budgetAt = now;
    }
    if (this.budget < 1) return false;
    this.budget -= 1;
    return true;
  }

  private frame(subtype: number, da: Buffer, body: Buffer): Buffer {
    return encodeMgmtFrame(subtype, da, this.config.bssid, this.config.bssid, body);
  }

  private drop(why: MlmeDrop): MlmeAction[] {
    this.counters.dropped[why]++;
    return [];
  }

  private refused(why: MlmeDrop, status: number): void {
    this.counters.dropped[why]++;
    this.counters.refusedByStatus[status] = (this.counters.refusedByStatus[status] ?? 0) + 1;
  }
}

/** The capability field of a BSS: ESS, Privacy when it has an RSNE, short slot time on 2.4 GHz. */
export function bssCapability(rsne: Buffer, channel: number): number {
  let c: number = CAPAB.ESS | CAPAB.SHORT_PREAMBLE;
  if (rsne.length > 0) c |= CAPAB.PRIVACY;
  if (channel <= 14) c |= CAPAB.SHORT_SLOT_TIME;
  return c;
}
