/**
 * IEEE 802.1X authenticator for RSNA stations: the Authenticator PAE state machine
 * (IEEE 802.1X-2004 §8.2.4, with the RESTART state of -2010 §8.2.4) and the Backend
 * Authentication state machine (§8.2.9), relaying EAP between the station and RADIUS
 * (RFC 3579) — hostapd's eapol_auth_sm.c in pass-through mode. The authenticator itself
 * only originates EAP-Request/Identity, and EAP-Success/Failure when the server sent none.
 */
import { decodeEap, EapCode, EapType, encodeEap } from '../codec/eap.js';
import { encodeEapol, EapolType } from '../codec/eapol.js';
import { AUTHENTICATOR_EAPOL_VERSION } from './frames.js';
import { Reason } from './reason-codes.js';
import type { MachineContext } from './context.js';
import type { BackendState, PaeState, StationState } from './state.js';

/**
 * reAuthMax (IEEE 802.1X-2004 §8.2.4.1.2, default 2). Deviation: 4, because a station's own
 * EAPOL-Starts often cross the authenticator's first Identity request.
 */
export const REAUTH_MAX = 4;

/** Runs one transition of the Authenticator PAE; returns false when none applies. */
export function stepPae(ctx: PaeContext, st: StationState): boolean {
  // Global transitions.
  if (!st.portEnabled) return st.paeState === 'INITIALIZE' ? false : enterPae(ctx, st, 'INITIALIZE');
  if (st.eapolLogoff && (st.paeState === 'CONNECTING' || st.paeState === 'AUTHENTICATING' || st.paeState === 'AUTHENTICATED'))
    return enterPae(ctx, st, 'DISCONNECTED');
  const s = st.paeState;
  switch (s) {
    case 'INITIALIZE':
      return enterPae(ctx, st, 'DISCONNECTED');
    case 'DISCONNECTED':
      return enterPae(ctx, st, 'RESTART');
    case 'RESTART':
      return enterPae(ctx, st, 'CONNECTING');
    case 'CONNECTING':
      // reAuthMax: a station that keeps restarting (EAPOL-Start floods) is given up on.
      if (st.reAuthCount > REAUTH_MAX) {
        st.authTimeout = true;
        return enterPae(ctx, st, 'ABORTING');
      }
      if (st.eapolStart) return enterPae(ctx, st, 'CONNECTING');
      if (st.identity !== undefined && st.backendState === 'RESPONSE') return enterPae(ctx, st, 'AUTHENTICATING');
      if (st.authTimeout) return enterPae(ctx, st, 'ABORTING');
      return false;
    case 'AUTHENTICATING':
      if (st.authSuccess) return enterPae(ctx, st, 'AUTHENTICATED');
      if (st.authFail) return enterPae(ctx, st, 'HELD');
      if (st.authTimeout || st.eapolStart) return enterPae(ctx, st, 'ABORTING');
      return false;
    case 'AUTHENTICATED':
      if (st.eapolStart || st.reAuthenticate) return enterPae(ctx, st, 'RESTART');
      return false;
    case 'ABORTING':
      if (st.authTimeout) return enterPae(ctx, st, 'HELD'); // nobody answered: give up like a failure
      return enterPae(ctx, st, 'RESTART');
    case 'HELD':
      return false; // the station is being disconnected; quietWhile lives on in the core
    default: {
      const never: never = s;
      throw new Error(`unreachable state ${String(never)}`);
    }
  }
}

/** What the PAE needs beyond the machine context. */
export interface PaeContext extends MachineContext {
  /** Set the PAE timer (EAP retransmission) of a station; Infinity clears it. */
  schedulePae(st: StationState, at: number): void;
  /** 802.1X failed: EAP-Failure was sent; disconnect after a short delay and start quietWhile. */
  authenticationFailed(st: StationState, result: 'reject' | 'timeout', detail: string): void;
  /** 802.1X succeeded: the PMK is in st.PMK; cache it and start (or restart) the 4-way handshake. */
  authenticationSucceeded(st: StationState): void;
  /** Logoff: close the port and remove the key, keep the association. */
  loggedOff(st: StationState): void;
}

function enterPae(ctx: PaeContext, st: StationState, to: PaeState): boolean {
  ctx.trace({ machine: 'AUTH_PAE', bssid: st.bss.cfg.bssid, sta: st.sta, from: st.paeState, to });
  st.paeState = to;
  switch (to) {
    case 'INITIALIZE':
      break;
    case 'DISCONNECTED':
      if (st.eapolLogoff) ctx.loggedOff(st);
      st.eapolLogoff = false;
      st.reAuthCount = 0;
      break;
    case 'RESTART':
      st.eapRestart = true;
      break;
    case 'CONNECTING':
      st.eapolStart = false;
      st.reAuthenticate = false;
      st.eapRestart = false;
      st.reAuthCount++;
      st.identity = undefined;
      st.radiusState = undefined;
      st.radiusRef = undefined;
      st.authSuccess = st.authFail = st.authTimeout = false;
      // A new authentication: its record (explain), also of the handshake waiting for it.
      st.auth = { identity: '', method: 0, rounds: [], roundsTotal: 0, pmksaCached: false, vlanId: 0, sessionTimeoutS: 0 };
      if (st.handshake !== undefined && st.handshake.result === undefined) st.handshake.auth = st.auth;
      // The authenticator's own request: EAP-Request/Identity (RFC 3748 §5.1).
      // RFC 3748 §4.1: a new Request never reuses the Identifier of the last one sent (ours
      // or the server's): a peer would take it for a retransmission.
      st.eapIdCounter = (lastRequestId(st) + 1) & 0xff;
      st.eapReqFrame = encodeEap({ code: EapCode.Request, identifier: st.eapIdCounter, type: EapType.Identity, data: Buffer.alloc(0) });
      st.eapReq = true;
      st.backendState = 'IDLE';
      break;
    case 'AUTHENTICATING':
      st.eapolStart = false;
      st.authSuccess = st.authFail = st.authTimeout = false;
      break;
    case 'AUTHENTICATED':
      st.reAuthCount = 0;
      st.authSuccess = false;
      ctx.authenticationSucceeded(st);
      break;
    case 'ABORTING':
      st.eapolStart = false;
      st.radiusRef = undefined;
      break;
    case 'HELD': {
      const timeout = st.authTimeout;
      st.authFail = st.authTimeout = false;
      ctx.authenticationFailed(st, timeout ? 'timeout' : 'reject', timeout ? 'EAP timed out' : 'Access-Reject');
      break;
    }
    default: {
      const never: never = to;
      throw new Error(`unreachable state ${String(never)}`);
    }
  }
  return true;
}

/** Runs one transition of the Backend Authentication machine; returns false when none applies. */
export function stepBackend(ctx: PaeContext, st: StationState): boolean {
  if (!st.portEnabled) return st.backendState === 'INITIALIZE' ? false : enterBackend(ctx, st, 'INITIALIZE');
  const s = st.backendState;
  switch (s) {
    case 'INITIALIZE':
      return enterBackend(ctx, st, 'IDLE');
    case 'IDLE':
      if (st.eapReq) return enterBackend(ctx, st, 'REQUEST');
      if (st.eapSuccess) return enterBackend(ctx, st, 'SUCCESS');
      if (st.eapFail) return enterBackend(ctx, st, 'FAIL');
      return false;
    case 'REQUEST':
      if (st.eapolEap) return enterBackend(ctx, st, 'RESPONSE');
      if (st.aWhileExpired) {
        st.aWhileExpired = false;
        return enterBackend(ctx, st, st.reqCount >= ctx.timing.eapMaxTransmissions ? 'TIMEOUT' : 'REQUEST');
      }
      return false;
    case 'RESPONSE':
      if (st.eapReq) return enterBackend(ctx, st, 'REQUEST');
      if (st.eapSuccess) return enterBackend(ctx, st, 'SUCCESS');
      if (st.eapFail) return enterBackend(ctx, st, 'FAIL');
      if (st.eapTimeout) return enterBackend(ctx, st, 'TIMEOUT');
      return false;
    case 'IGNORE':
      return enterBackend(ctx, st, 'REQUEST');
    case 'SUCCESS':
    case 'FAIL':
    case 'TIMEOUT':
      return enterBackend(ctx, st, 'IDLE');
    default: {
      const never: never = s;
      throw new Error(`unreachable state ${String(never)}`);
    }
  }
}

function enterBackend(ctx: PaeContext, st: StationState, to: BackendState): boolean {
  ctx.trace({ machine: 'BACKEND', bssid: st.bss.cfg.bssid, sta: st.sta, from: st.backendState, to });
  st.backendState = to;
  switch (to) {
    case 'INITIALIZE':
      st.eapReq = st.eapolEap = st.eapSuccess = st.eapFail = st.eapTimeout = false;
      ctx.schedulePae(st, Infinity);
      break;
    case 'IDLE':
      st.reqCount = 0;
      break;
    case 'REQUEST': {
      // A new request (from us or the server) or a retransmission of the last one.
      if (st.eapReq) {
        st.eapReq = false;
        st.lastEapReq = st.eapReqFrame;
        st.reqCount = 0;
      }
      st.reqCount++;
      if (st.lastEapReq !== undefined) sendEap(ctx, st, st.lastEapReq);
      ctx.schedulePae(st, ctx.now + ctx.timing.eapRetransmitMs);
      break;
    }
    case 'RESPONSE': {
      st.eapolEap = false;
      ctx.schedulePae(st, Infinity);
      const resp = st.eapResp!;
      st.eapResp = undefined;
      st.radiusRef = ctx.nextRef(st);
      const bss = st.bss;
      ctx.emit({
        type: 'radius-request',
        ref: st.radiusRef,
        bssid: bss.cfg.bssid,
        sta: st.sta,
        agentId: bss.cfg.agentId,
        ssid: bss.cfg.network.ssid,
        identity: st.identity ?? '',
        eap: resp,
        state: st.radiusState,
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
      st.eapSuccess = false;
      sendEap(ctx, st, st.eapFinal ?? encodeEap({ code: EapCode.Success, identifier: lastRequestId(st), type: undefined, data: Buffer.alloc(0) }));
      st.eapFinal = undefined;
      // keyRun starts the 4-way handshake: not on a port without key management.
      st.keyRun = st.bss.keyManagement;
      st.authSuccess = true;
      break;
    case 'FAIL':
      st.eapFail = false;
      sendEap(ctx, st, st.eapFinal ?? encodeEap({ code: EapCode.Failure, identifier: lastRequestId(st), type: undefined, data: Buffer.alloc(0) }));
      st.eapFinal = undefined;
      st.authFail = true;
      break;
    case 'TIMEOUT':
      st.eapTimeout = false;
      ctx.schedulePae(st, Infinity);
      // The station never answered, or RADIUS did not: tell the station it failed.
      sendEap(ctx, st, encodeEap({ code: EapCode.Failure, identifier: lastRequestId(st), type: undefined, data: Buffer.alloc(0) }));
      st.authTimeout = true;
      break;
    default: {
      const never: never = to;
      throw new Error(`unreachable state ${String(never)}`);
    }
  }
  return true;
}

/** Accepts an EAP packet from the station; returns a drop reason when it is not the awaited response. */
export function receiveEapResponse(st: StationState, eap: Buffer): string | undefined {
  const p = decodeEap(eap);
  if (!p.ok) return 'malformed_eap';
  if (p.value.code !== EapCode.Response) return 'unexpected_eap_code';
  if (st.backendState !== 'REQUEST') return 'unexpected_eap';
  if (p.value.identifier !== lastRequestId(st)) return 'eap_id_mismatch';
  if (p.value.type === EapType.Identity && st.paeState === 'CONNECTING') {
    // RFC 3748 §5.1: the identity may carry a NUL and options after it; keep the name.
    const raw = p.value.data;
    const nul = raw.indexOf(0);
    st.identity = (nul >= 0 ? raw.subarray(0, nul) : raw).toString('utf8').slice(0, 253);
    if (st.auth !== undefined) st.auth.identity = st.identity;
  } else if (st.auth !== undefined && p.value.type !== undefined && p.value.type !== EapType.Identity && p.value.type !== EapType.Nak && p.value.type !== EapType.Notification) {
    st.auth.method = p.value.type; // the method the station goes on with (after any Nak)
  }
  st.eapResp = Buffer.from(eap.subarray(0, eap.readUInt16BE(2))); // without link-layer padding
  st.eapolEap = true;
  return undefined;
}

/** Takes the RADIUS server's answer for the backend machine. */
export function receiveServerOutcome(st: StationState, r: { outcome: 'challenge' | 'accept' | 'reject' | 'timeout'; eap?: Buffer; state?: Buffer }): string | undefined {
  if (st.backendState !== 'RESPONSE') return 'unexpected_radius_response';
  st.radiusRef = undefined;
  switch (r.outcome) {
    case 'challenge': {
      const p = r.eap && decodeEap(r.eap);
      if (!p || !p.ok || p.value.code !== EapCode.Request) {
        st.eapTimeout = true; // a challenge without an EAP-Request cannot go on
        return 'challenge_without_eap_request';
      }
      st.radiusState = r.state;
      st.eapReqFrame = r.eap;
      st.eapReq = true;
      return undefined;
    }
    case 'accept':
    case 'reject': {
      const p = r.eap && decodeEap(r.eap);
      const want = r.outcome === 'accept' ? EapCode.Success : EapCode.Failure;
      st.eapFinal = p && p.ok && p.value.code === want ? r.eap : undefined;
      if (r.outcome === 'accept') st.eapSuccess = true;
      else st.eapFail = true;
      return undefined;
    }
    case 'timeout':
      st.eapTimeout = true;
      return undefined;
  }
}

/** Identifier of the last EAP-Request sent to the station (0 before any). */
function lastRequestId(st: StationState): number {
  return st.lastEapReq !== undefined && st.lastEapReq.length > 1 ? st.lastEapReq[1] : st.eapIdCounter;
}

/** Sends an EAP packet in an EAPOL frame; protected once a PTK is in place (reauthentication). */
function sendEap(ctx: MachineContext, st: StationState, eap: Buffer): void {
  const frame = encodeEapol({ version: AUTHENTICATOR_EAPOL_VERSION, type: EapolType.EapPacket, body: eap });
  ctx.emit({ type: 'transmit-eapol', bssid: st.bss.cfg.bssid, sta: st.sta, frame, protected: st.PTK_valid });
}

/** Reason code for a failed 802.1X authentication. */
export const EAP_FAILURE_REASON = Reason.IEEE_802_1X_AUTH_FAILED;
