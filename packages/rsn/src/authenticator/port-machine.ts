/**
 * The port machine of one association: IEEE 802.1X's Authenticator PAE (IEEE 802.1X-2004
 * §8.2.4, with the RESTART state of -2010) and Backend Authentication machine (§8.2.9),
 * relaying EAP between the station and RADIUS (RFC 3579): hostapd's eapol_auth_sm.c in
 * pass-through mode. The authenticator itself only originates EAP-Request/Identity, and
 * EAP-Success/Failure when the server sent none.
 *
 * The conversation's variables live in a transient EapConversation, made at CONNECTING and
 * dropped at AUTHENTICATED, HELD or DISCONNECTED; an idle station keeps only paeState. The
 * pairwise machine hears of the outcome through PortPeer (the core: PMKSA, accounting, the
 * port) and Sig.keyRun.
 */
import { wipe } from '../crypto/index.js';
import { decodeEap, EapCode, EapType, encodeEap } from '../codec/eap.js';
import { encodeEapol, EapolType } from '../codec/eapol.js';
import { AUTHENTICATOR_EAPOL_VERSION } from './frames.js';
import { Reason } from './reason-codes.js';
import type { Environment } from './environment.js';
import { MAX_AUTH_ROUNDS, Sig, type Association, type AuthRecord, type BackendState, type EapConversation, type PaeState } from './records.js';
import type { RadiusOutcome } from './types.js';

/**
 * reAuthMax (IEEE 802.1X-2004 §8.2.4.1.2, default 2). Deviation: 4, because a station's own
 * EAPOL-Starts often cross the authenticator's first Identity request.
 */
export const REAUTH_MAX = 4;

/** Reason code for a failed 802.1X authentication. */
export const EAP_FAILURE_REASON = Reason.IEEE_802_1X_AUTH_FAILED;

/** What the port machine tells the rest of the core. */
export interface PortPeer {
  /** AUTHENTICATED: the conversation's PMK and grant are in st.eap (dropped right after). */
  authenticated(st: Association, conv: EapConversation): void;
  /** HELD: EAP-Failure was sent; the port closes and the station goes after a short delay (or waits out quietWhile). */
  failed(st: Association, result: 'reject' | 'timeout', detail: string, record: AuthRecord | undefined): void;
  /** EAPOL-Logoff: the port closes and the key goes; the association stays. */
  loggedOff(st: Association): void;
}

export class PortMachine {
  constructor(
    private readonly env: Environment,
    private readonly peer: PortPeer,
  ) {}

  /** One transition of the PAE, else of the backend; false when neither moved. */
  step(st: Association): boolean {
    if (this.stepPae(st)) return true;
    return st.eap !== undefined && this.stepBackend(st, st.eap);
  }

  /** Accepts an EAP packet from the station; returns a drop reason when it is not the awaited response. */
  receiveEapResponse(st: Association, eap: Buffer): string | undefined {
    const p = decodeEap(eap);
    if (!p.ok) return 'malformed_eap';
    if (p.value.code !== EapCode.Response) return 'unexpected_eap_code';
    const conv = st.eap;
    if (conv === undefined || conv.backendState !== 'REQUEST') return 'unexpected_eap';
    if (p.value.identifier !== st.lastEapId) return 'eap_id_mismatch';
    if (p.value.type === EapType.Identity && st.paeState === 'CONNECTING') {
      // RFC 3748 §5.1: the identity may carry a NUL and options after it; keep the name.
      const raw = p.value.data;
      const nul = raw.indexOf(0);
      conv.identity = (nul >= 0 ? raw.subarray(0, nul) : raw).toString('utf8').slice(0, 253);
      conv.record.identity = conv.identity;
    } else if (p.value.type !== undefined && p.value.type !== EapType.Identity && p.value.type !== EapType.Nak && p.value.type !== EapType.Notification) {
      conv.record.method = p.value.type; // the method the station goes on with (after any Nak)
    }
    conv.eapResp = Buffer.from(eap.subarray(0, eap.readUInt16BE(2))); // without link-layer padding
    conv.eapolEap = true;
    return undefined;
  }

  /**
   * Takes the RADIUS server's answer for the backend machine. An Accept's PMK (the first 32
   * octets of the MSK, copied) and grant wait in the conversation until AUTHENTICATED.
   */
  receiveServerOutcome(st: Association, ref: number, r: RadiusOutcome): [string, string] | undefined {
    const conv = st.eap;
    if (conv === undefined || conv.radiusRef !== ref) return undefined; // a stale answer: nothing waits for it
    if (conv.backendState !== 'RESPONSE') return ['unexpected_radius_response', `RADIUS ${r.outcome} in backend state ${conv.backendState}`];
    conv.radiusRef = undefined;
    const rec = conv.record;
    if (r.server !== undefined && r.rttMs !== undefined) {
      // Bounded per station: the first rounds kept, the rest counted.
      if (rec.rounds.length < MAX_AUTH_ROUNDS) rec.rounds.push({ server: r.server, rttMs: r.rttMs });
      rec.roundsTotal++;
    }
    let drop: [string, string] | undefined;
    switch (r.outcome) {
      case 'challenge': {
        const p = r.eap && decodeEap(r.eap);
        if (!p || !p.ok || p.value.code !== EapCode.Request) {
          conv.eapTimeout = true; // a challenge without an EAP-Request cannot go on
          return ['challenge_without_eap_request', `RADIUS challenge in backend state ${conv.backendState}`];
        }
        conv.radiusState = r.state;
        conv.eapReqFrame = r.eap;
        conv.eapReq = true;
        return undefined;
      }
      case 'accept':
      case 'reject': {
        let accept = r.outcome === 'accept';
        if (accept && (r.msk === undefined || r.msk.length < 32)) {
          // An RSNA needs the MSK: an Accept without MS-MPPE keys cannot go on.
          accept = false;
          drop = ['accept_without_msk', 'Access-Accept without MS-MPPE keys'];
        }
        const p = r.eap && decodeEap(r.eap);
        const want = accept ? EapCode.Success : EapCode.Failure;
        conv.eapFinal = p && p.ok && p.value.code === want ? r.eap : undefined;
        if (accept) {
          wipe(conv.pmk);
          conv.pmk = Buffer.from(r.msk!.subarray(0, 32)); // PMK = first 32 octets of the MSK
          if (r.userName) {
            conv.identity = r.userName;
            rec.userName = r.userName;
          }
          conv.granted = {
            identity: conv.identity ?? '',
            classes: r.classes ?? [],
            vlanId: r.vlanId ?? 0,
            sessionTimeoutS: r.sessionTimeoutS ?? 0,
            terminationAction: r.terminationAction ?? 0,
            acctMultiSessionId: st.acctSessionId,
          };
          conv.eapSuccess = true;
        } else {
          conv.eapFail = true;
        }
        return drop;
      }
      case 'timeout':
        conv.eapTimeout = true;
        return undefined;
    }
  }

  // ---- Authenticator PAE ---------------------------------------------------------------

  private stepPae(st: Association): boolean {
    const sig = st.sig;
    const s = st.paeState;
    // Global transition.
    if (sig & Sig.eapolLogoff && (s === 'CONNECTING' || s === 'AUTHENTICATING' || s === 'AUTHENTICATED')) return this.enterPae(st, 'DISCONNECTED');
    const conv = st.eap;
    switch (s) {
      case 'INITIALIZE':
        return this.enterPae(st, 'DISCONNECTED');
      case 'DISCONNECTED':
        return this.enterPae(st, 'RESTART');
      case 'RESTART':
        return this.enterPae(st, 'CONNECTING');
      case 'CONNECTING':
        // reAuthMax: a station that keeps restarting (EAPOL-Start floods) is given up on.
        if (conv!.reAuthCount > REAUTH_MAX) {
          conv!.authTimeout = true;
          return this.enterPae(st, 'ABORTING');
        }
        if (sig & Sig.eapolStart) return this.enterPae(st, 'CONNECTING');
        if (conv!.identity !== undefined && conv!.backendState === 'RESPONSE') return this.enterPae(st, 'AUTHENTICATING');
        if (conv!.authTimeout) return this.enterPae(st, 'ABORTING');
        return false;
      case 'AUTHENTICATING':
        if (conv!.authSuccess) return this.enterPae(st, 'AUTHENTICATED');
        if (conv!.authFail) return this.enterPae(st, 'HELD');
        if (conv!.authTimeout || sig & Sig.eapolStart) return this.enterPae(st, 'ABORTING');
        return false;
      case 'AUTHENTICATED':
        if (sig & (Sig.eapolStart | Sig.reAuthenticate)) return this.enterPae(st, 'RESTART');
        return false;
      case 'ABORTING':
        if (conv!.authTimeout) return this.enterPae(st, 'HELD'); // nobody answered: give up like a failure
        return this.enterPae(st, 'RESTART');
      case 'HELD':
        return false; // the station is being disconnected, or waits out quietWhile (the core's timer)
      default:
        return assertNever(s);
    }
  }

  private enterPae(st: Association, to: PaeState): boolean {
    this.env.trace({ machine: 'AUTH_PAE', bssid: st.bss.cfg.bssid, sta: st.sta, from: st.paeState, to });
    st.paeState = to;
    switch (to) {
      case 'INITIALIZE':
        break;
      case 'DISCONNECTED':
        if (st.sig & Sig.eapolLogoff) this.peer.loggedOff(st);
        st.sig &= ~Sig.eapolLogoff;
        this.endConversation(st);
        break;
      case 'RESTART':
        st.sig |= Sig.eapRestart;
        break;
      case 'CONNECTING': {
        st.sig &= ~(Sig.eapolStart | Sig.reAuthenticate | Sig.eapRestart);
        const conv = (st.eap ??= newConversation());
        conv.reAuthCount++;
        conv.identity = undefined;
        conv.radiusState = undefined;
        conv.radiusRef = undefined;
        conv.authSuccess = conv.authFail = conv.authTimeout = false;
        // A new authentication: its record (explain), also of the handshake waiting for it.
        conv.record = { identity: '', userName: undefined, method: 0, rounds: [], roundsTotal: 0, result: undefined, pmksaCached: false, vlanId: 0, sessionTimeoutS: 0 };
        if (st.record !== undefined && st.record.result === undefined) st.record.auth = conv.record;
        // The authenticator's own request: EAP-Request/Identity (RFC 3748 §5.1). RFC 3748
        // §4.1: a new Request never reuses the Identifier of the last one sent (ours or the
        // server's): a peer would take it for a retransmission.
        conv.eapReqFrame = encodeEap({ code: EapCode.Request, identifier: (st.lastEapId + 1) & 0xff, type: EapType.Identity, data: Buffer.alloc(0) });
        conv.eapReq = true;
        conv.backendState = 'IDLE';
        break;
      }
      case 'AUTHENTICATING': {
        st.sig &= ~Sig.eapolStart;
        const conv = st.eap!;
        conv.authSuccess = conv.authFail = conv.authTimeout = false;
        break;
      }
      case 'AUTHENTICATED':
        this.peer.authenticated(st, st.eap!);
        this.endConversation(st);
        break;
      case 'ABORTING':
        st.sig &= ~Sig.eapolStart;
        st.eap!.radiusRef = undefined;
        break;
      case 'HELD': {
        const conv = st.eap;
        const timeout = conv?.authTimeout ?? false;
        this.endConversation(st);
        this.peer.failed(st, timeout ? 'timeout' : 'reject', timeout ? 'EAP timed out' : 'Access-Reject', conv?.record);
        break;
      }
      default:
        assertNever(to);
    }
    return true;
  }

  /** The conversation is over: its PMK is wiped (AUTHENTICATED copied it into the association). */
  private endConversation(st: Association): void {
    const conv = st.eap;
    if (conv === undefined) return;
    wipe(conv.pmk);
    this.env.setTimer(st, 'paeTimeoutAt', Infinity);
    st.eap = undefined;
  }

  // ---- Backend Authentication ---------------------------------------------------------

  private stepBackend(st: Association, conv: EapConversation): boolean {
    const s = conv.backendState;
    switch (s) {
      case 'INITIALIZE':
        return this.enterBackend(st, conv, 'IDLE');
      case 'IDLE':
        if (conv.eapReq) return this.enterBackend(st, conv, 'REQUEST');
        if (conv.eapSuccess) return this.enterBackend(st, conv, 'SUCCESS');
        if (conv.eapFail) return this.enterBackend(st, conv, 'FAIL');
        return false;
      case 'REQUEST':
        if (conv.eapolEap) return this.enterBackend(st, conv, 'RESPONSE');
        if (conv.aWhileExpired) {
          conv.aWhileExpired = false;
          return this.enterBackend(st, conv, conv.reqCount >= this.env.timing.eapMaxTransmissions ? 'TIMEOUT' : 'REQUEST');
        }
        return false;
      case 'RESPONSE':
        if (conv.eapReq) return this.enterBackend(st, conv, 'REQUEST');
        if (conv.eapSuccess) return this.enterBackend(st, conv, 'SUCCESS');
        if (conv.eapFail) return this.enterBackend(st, conv, 'FAIL');
        if (conv.eapTimeout) return this.enterBackend(st, conv, 'TIMEOUT');
        return false;
      case 'IGNORE':
        return this.enterBackend(st, conv, 'REQUEST');
      case 'SUCCESS':
      case 'FAIL':
      case 'TIMEOUT':
        return this.enterBackend(st, conv, 'IDLE');
      default:
        return assertNever(s);
    }
  }

  private enterBackend(st: Association, conv: EapConversation, to: BackendState): boolean {
    const env = this.env;
    env.trace({ machine: 'BACKEND', bssid: st.bss.cfg.bssid, sta: st.sta, from: conv.backendState, to });
    conv.backendState = to;
    switch (to) {
      case 'INITIALIZE':
        conv.eapReq = conv.eapolEap = conv.eapSuccess = conv.eapFail = conv.eapTimeout = false;
        env.setTimer(st, 'paeTimeoutAt', Infinity);
        break;
      case 'IDLE':
        conv.reqCount = 0;
        break;
      case 'REQUEST':
        // A new request (from us or the server) or a retransmission of the last one.
        if (conv.eapReq) {
          conv.eapReq = false;
          conv.lastEapReq = conv.eapReqFrame;
          if (conv.lastEapReq !== undefined && conv.lastEapReq.length > 1) st.lastEapId = conv.lastEapReq[1];
          conv.reqCount = 0;
        }
        conv.reqCount++;
        if (conv.lastEapReq !== undefined) this.sendEap(st, conv.lastEapReq);
        env.setTimer(st, 'paeTimeoutAt', env.now + env.timing.eapRetransmitMs);
        break;
      case 'RESPONSE': {
        conv.eapolEap = false;
        env.setTimer(st, 'paeTimeoutAt', Infinity);
        const resp = conv.eapResp!;
        conv.eapResp = undefined;
        conv.radiusRef = env.nextRef(st);
        const bss = st.bss;
        env.emit({
          type: 'radius-request',
          ref: conv.radiusRef,
          bssid: bss.cfg.bssid,
          sta: st.sta,
          agentId: bss.cfg.agentId,
          ssid: bss.cfg.network.ssid,
          identity: conv.identity ?? '',
          eap: resp,
          state: conv.radiusState,
          akm: st.akm,
          pairwiseCipher: st.pairwiseCipher,
          groupCipher: bss.groupCipher,
          acctSessionId: st.acctSessionId,
        });
        break;
      }
      case 'IGNORE':
        break;
      case 'SUCCESS':
        conv.eapSuccess = false;
        this.sendEap(st, conv.eapFinal ?? this.final(st, EapCode.Success));
        conv.eapFinal = undefined;
        // keyRun starts the 4-way handshake: not on a port without key management.
        if (st.bss.keyManagement) st.sig |= Sig.keyRun;
        conv.authSuccess = true;
        break;
      case 'FAIL':
        conv.eapFail = false;
        this.sendEap(st, conv.eapFinal ?? this.final(st, EapCode.Failure));
        conv.eapFinal = undefined;
        conv.authFail = true;
        break;
      case 'TIMEOUT':
        conv.eapTimeout = false;
        env.setTimer(st, 'paeTimeoutAt', Infinity);
        // The station never answered, or RADIUS did not: tell the station it failed.
        this.sendEap(st, this.final(st, EapCode.Failure));
        conv.authTimeout = true;
        break;
      default:
        assertNever(to);
    }
    return true;
  }

  /** An EAP-Success or EAP-Failure of our own, with the last Request's Identifier. */
  private final(st: Association, code: typeof EapCode.Success | typeof EapCode.Failure): Buffer {
    return encodeEap({ code, identifier: st.lastEapId, type: undefined, data: Buffer.alloc(0) });
  }

  /** Sends an EAP packet in an EAPOL frame; protected once a PTK is in place (reauthentication). */
  private sendEap(st: Association, eap: Buffer): void {
    const frame = encodeEapol({ version: AUTHENTICATOR_EAPOL_VERSION, type: EapolType.EapPacket, body: eap });
    this.env.emit({ type: 'transmit-eapol', bssid: st.bss.cfg.bssid, sta: st.sta, frame, protected: st.PTK_valid });
  }
}

function newConversation(): EapConversation {
  return {
    backendState: 'IDLE',
    reAuthCount: 0,
    eapolEap: false,
    eapResp: undefined,
    eapReq: false,
    eapReqFrame: undefined,
    lastEapReq: undefined,
    eapFinal: undefined,
    eapSuccess: false,
    eapFail: false,
    eapTimeout: false,
    authSuccess: false,
    authFail: false,
    authTimeout: false,
    aWhileExpired: false,
    reqCount: 0,
    identity: undefined,
    radiusState: undefined,
    radiusRef: undefined,
    pmk: undefined,
    granted: undefined,
    record: { identity: '', userName: undefined, method: 0, rounds: [], roundsTotal: 0, result: undefined, pmksaCached: false, vlanId: 0, sessionTimeoutS: 0 },
  };
}

function assertNever(x: never): never {
  throw new Error(`unreachable state ${String(x)}`);
}
