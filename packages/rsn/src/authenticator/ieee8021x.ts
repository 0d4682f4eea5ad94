/**
 * What IEEE 802.1X's outcomes mean for an association (hostapd's ieee802_1x.c callbacks
 * around eapol_auth_sm): a cached PMKSA skips EAP (invariant 9); a success caches the
 * PMKSA, arms the Session-Timeout and hands the PMK to the pairwise machine (Sig.keyRun);
 * a failure closes the port, starts quietWhile and disconnects the station shortly after
 * its EAP-Failure; a Logoff closes the port and starts over. The port machine reaches this
 * through PortPeer; this reaches the rest of the core through StationControl.
 */
import { takeOldest } from '@airlock/bytes';
import { decodeRsne } from '../codec/index.js';
import { report, type Environment } from './environment.js';
import type { Accounting } from './accounting.js';
import { msg1Pmkid, type PmksaCache, type PmksaEntry } from './pmksa-cache.js';
import type { PortPeer } from './port-machine.js';
import type { StationKeys } from './station-keys.js';
import { Reason } from './reason-codes.js';
import { Sig, type Association, type AuthRecord, type EapConversation } from './records.js';
import { AcctTerminateCause, type HandshakeResult } from './types.js';

/** What the 802.1X policy needs from the core. */
export interface StationControl {
  /** Close the station's handshake record with a result. */
  ended(st: Association, result: HandshakeResult, detail: string): void;
  /** Close the station's port (if open) and take it back to phase authenticating. */
  closePort(st: Association): void;
  /** Open the port of a station on a port without key management (no key to install first). */
  openPort(st: Association): void;
}

export class Ieee8021xPolicy implements PortPeer {
  /** quietWhile per station after a failed authentication, by macKey; bounded. */
  private readonly quietUntil = new Map<string, number>();

  constructor(
    private readonly env: Environment,
    private readonly pmksa: PmksaCache,
    private readonly accounting: Accounting,
    private readonly control: StationControl,
    private readonly keys: StationKeys,
    private readonly maxQuiet: number,
  ) {}

  /** A station of an 802.1X AKM associated: a cached PMKSA skips EAP, else EAP starts (or quietWhile holds it). */
  start(st: Association, rsne: Buffer): void {
    const env = this.env;
    const bss = st.bss;
    const dec = rsne.length > 0 ? decodeRsne(rsne) : undefined;
    const pmkids = dec !== undefined && dec.ok ? (dec.value.pmkids ?? []) : [];
    const e = this.pmksa.lookup(st.sta, bss.cfg.network.ssid, bss.cfg.bssid, pmkids, env.now);
    if (e !== undefined) {
      this.keys.setPmk(st, e.pmk);
      const record: AuthRecord = { identity: e.identity, userName: undefined, method: 0, rounds: [], roundsTotal: 0, result: 'accept', pmksaCached: true, vlanId: e.vlanId, sessionTimeoutS: e.sessionTimeoutS };
      st.authz = {
        identity: e.identity,
        classes: e.classes,
        vlanId: e.vlanId,
        sessionTimeoutS: e.sessionTimeoutS,
        terminationAction: e.terminationAction,
        acctMultiSessionId: e.acctMultiSessionId,
        pmkid: msg1Pmkid(bss.cfg, st.sta, st.akm, e.pmk),
        record,
      };
      st.paeState = 'AUTHENTICATED';
      st.sig |= Sig.keyRun;
      const left = e.expiresAt - env.now;
      env.setTimer(st, 'sessionEndAt', e.sessionTimeoutS > 0 ? env.now + Math.min(left, e.sessionTimeoutS * 1000) : Infinity);
      report(env, { kind: 'pmksa', bssid: bss.cfg.bssid, sta: st.sta, event: 'used' });
      return;
    }
    const quiet = this.quietUntil.get(st.key);
    if (quiet !== undefined && quiet > env.now) {
      // IEEE 802.1X HELD: the station is ignored for the rest of quietWhile.
      st.paeState = 'HELD';
      env.setTimer(st, 'paeTimeoutAt', quiet);
    }
  }

  authenticated(st: Association, conv: EapConversation): void {
    const env = this.env;
    const bss = st.bss;
    const granted = conv.granted!;
    // The new PMK replaces the one in use until now (its copy is the station's; the
    // conversation's goes with it).
    if (conv.pmk !== undefined) this.keys.setPmk(st, conv.pmk);
    const record = conv.record;
    record.result = 'accept';
    record.vlanId = granted.vlanId;
    record.sessionTimeoutS = granted.sessionTimeoutS;
    // A reauthentication keeps the session's Acct-Multi-Session-Id.
    const authz = { ...granted, acctMultiSessionId: st.authz?.acctMultiSessionId ?? granted.acctMultiSessionId, pmkid: undefined as Buffer | undefined, record };
    st.authz = authz;
    report(env, { kind: 'eap', bssid: bss.cfg.bssid, sta: st.sta, result: 'accept', detail: 'Access-Accept', agentId: bss.cfg.agentId, auth: record });
    env.setTimer(st, 'sessionEndAt', authz.sessionTimeoutS > 0 ? env.now + authz.sessionTimeoutS * 1000 : Infinity);
    if (!bss.keyManagement) {
      // IEEE 802.1X-2004 §8.2.4: AUTHENTICATED opens the port; there are no keys to install.
      this.control.openPort(st);
      return;
    }
    authz.pmkid = msg1Pmkid(bss.cfg, st.sta, st.akm, st.PMK!);
    const lifetime = Math.min(env.timing.pmksaLifetimeMs, authz.sessionTimeoutS > 0 ? authz.sessionTimeoutS * 1000 : Infinity);
    const entry: PmksaEntry = {
      sta: Buffer.from(st.sta),
      ssid: bss.cfg.network.ssid,
      pmk: Buffer.from(st.PMK!),
      akm: st.akm,
      expiresAt: env.now + lifetime,
      identity: authz.identity,
      classes: authz.classes,
      vlanId: authz.vlanId,
      sessionTimeoutS: authz.sessionTimeoutS,
      terminationAction: authz.terminationAction,
      acctMultiSessionId: authz.acctMultiSessionId,
    };
    this.pmksa.cache(entry, env.now);
    report(env, { kind: 'pmksa', bssid: bss.cfg.bssid, sta: st.sta, event: 'cached' });
    // A reauthentication of a station with a PTK in use: a new 4-way handshake with the new PMK.
    if (st.ptkState === 'PTKINITDONE') st.sig |= Sig.ReAuthenticationRequest;
  }

  failed(st: Association, result: 'reject' | 'timeout', detail: string, record: AuthRecord | undefined): void {
    const env = this.env;
    const bss = st.bss;
    if (record !== undefined) record.result = result;
    report(env, { kind: 'eap', bssid: bss.cfg.bssid, sta: st.sta, result, detail, agentId: bss.cfg.agentId, auth: record });
    this.control.ended(st, result === 'reject' ? 'rejected' : 'timeout', `802.1X: ${detail}`);
    this.pmksa.drop(st.sta, bss.cfg.network.ssid);
    if (result === 'reject') {
      // quietWhile follows a failed authentication (HELD), not a timeout (ABORTING).
      this.quietUntil.delete(st.key);
      this.quietUntil.set(st.key, env.now + env.timing.quietPeriodMs);
      if (this.quietUntil.size > this.maxQuiet) takeOldest(this.quietUntil);
    }
    // IEEE 802.1X-2004 HELD: portStatus = Unauthorized at once (a failed reauthentication).
    this.control.closePort(st);
    // EAP-Failure is on its way; disconnect once the station had time to receive it.
    st.sig |= Sig.failurePending;
    env.setTimer(st, 'paeTimeoutAt', env.now + env.timing.failureDisconnectMs);
  }

  loggedOff(st: Association): void {
    this.accounting.stop(st, AcctTerminateCause.UserRequest);
    this.control.closePort(st);
    this.control.ended(st, 'aborted', 'EAPOL-Logoff');
    this.pmksa.drop(st.sta, st.bss.cfg.network.ssid);
    this.env.setTimer(st, 'sessionEndAt', Infinity);
    // The PTK goes (INITIALIZE removes it); the association stays and 802.1X starts over.
    st.sig |= Sig.Init | Sig.AuthenticationRequest;
  }

  /** The PAE timer came due: the disconnect after EAP-Failure, the end of quietWhile, or an EAP retransmission. */
  paeTimer(st: Association): void {
    if (st.sig & Sig.failurePending) {
      st.sig &= ~Sig.failurePending;
      st.disconnectReason = Reason.IEEE_802_1X_AUTH_FAILED;
      st.sig |= Sig.Disconnect;
    } else if (st.paeState === 'HELD') {
      st.paeState = 'DISCONNECTED'; // quietWhile is over
    } else if (st.eap !== undefined) {
      st.eap.aWhileExpired = true;
    }
  }

  /** The Session-Timeout came: reauthenticate (Termination-Action RADIUS-Request) or disconnect. */
  sessionTimer(st: Association): void {
    if (st.authz?.terminationAction === 1) {
      st.sig |= Sig.reAuthenticate;
      return;
    }
    st.terminateCause = AcctTerminateCause.SessionTimeout;
    st.disconnectReason = Reason.PREV_AUTH_NOT_VALID;
    st.sig |= Sig.Disconnect;
    this.control.ended(st, 'aborted', 'Session-Timeout');
  }
}
