/**
 * The pairwise machine of one association: the 4-way handshake (IEEE 802.11-2020
 * §12.7.10.2, Figure 12-43; WPA_PTK in hostapd's wpa_auth.c) and the group key handshake
 * that delivers a new GTK to an authorized station (§12.7.10.3, Figure 12-44;
 * WPA_PTK_GROUP). `step` picks one transition of each (global ones first); `enter*` run
 * the entry actions. The rest of the core is reached through the environment (time,
 * output, timers) and the narrow PairwisePeer; the port machine (IEEE 802.1X) only says,
 * through Sig.keyRun and Sig.ReAuthenticationRequest, that a PMK is ready.
 */
import { derivePtk, calculateEapolKeyMic, timingSafeEqualBytes, wipe, type PtkKeys } from '../crypto/index.js';
import { decodeEapolKey, decodeKeyData, describeKeyMessage, findElement, KeyInfo, RSNE_ID, RSNXE_ID, decodeRsne, rsneDefaults, zeroedMicCopy } from '../codec/index.js';
import { buildGroupMsg1, buildMsg1, buildMsg3, type ManagementKey } from './frames.js';
import { dropped, report, type Environment } from './environment.js';
import { Sig, usesIeee8021x, type Association, type BssState, type GroupKeyState, type Handshake, type HandshakeRecord, type PtkState, type ReceivedKey } from './records.js';
import { fingerprint } from './fingerprint.js';
import type { StationKeys } from './station-keys.js';
import { Reason } from './reason-codes.js';
import type { HandshakeResult, MicDiagnosis } from './types.js';

/** What the pairwise machine needs from the rest of the core. */
export interface PairwisePeer {
  /** The PMKs to try for this station, in order (its PSKs, or the PMK IEEE 802.1X gave): copies it owns. */
  pmkCandidates(st: Association): Buffer[];
  /** May this station send msg 1/4 now (handshake slots)? Else it waits its turn, no timer running. */
  admit(st: Association): boolean;
  /** A msg 2/4 or 4/4 answered the frame sent last, on its first transmission (admission round trip). */
  answered(st: Association, rttMs: number): void;
  /** The handshake no longer needs its slot (msg 4/4 verified, or it failed). */
  release(st: Association): void;
  /** Explain an invalid msg 2/4 MIC (rate-limited; undefined when not now). */
  diagnose(st: Association, hs: Handshake, rk: ReceivedKey): MicDiagnosis | undefined;
  /** Close the handshake record with a result. */
  ended(st: Association, result: HandshakeResult, detail: string): void;
  /** A new handshake record replaced `previous` as the association's current one. */
  replaced(st: Association, previous: HandshakeRecord): void;
  /** A station finished (or abandoned) its part of a GTK rekey. */
  /** The station no longer counts in its BSS's GTK update (done, or it left it). */
  groupKeyDone(bss: BssState, st: Association): void;
  /** The station asked for a GTK rekey (an EAPOL-Key request without the Pairwise bit). */
  groupRekeyRequested(bss: BssState): void;
}

const EXPECT_PAIRWISE_RESPONSE = Sig.EAPOLKeyReceived | Sig.EAPOLKeyPairwise;

export class PairwiseMachine {
  /** The EAPOL-Key frame of the run in progress, and its station. */
  private rx: ReceivedKey | undefined;
  private rxSt: Association | undefined;

  constructor(
    private readonly env: Environment,
    private readonly peer: PairwisePeer,
    private readonly keys: StationKeys,
  ) {}

  /** One transition of the PTK machine and one of the group key machine; false when neither moved. */
  step(st: Association): boolean {
    const a = this.stepPtk(st);
    if (st.ptkState === 'DISCONNECTED') return a;
    return this.stepGroupKey(st) || a;
  }

  /** Consumes the one-shot inputs of a finished run. */
  settle(st: Association): void {
    st.sig &= ~(Sig.EAPOLKeyReceived | Sig.EAPOLKeyPairwise | Sig.MICVerified | Sig.TimeoutEvt);
    if (this.rxSt === st) this.rx = this.rxSt = undefined;
  }

  // ---- EAPOL-Key frames from the station ----------------------------------------------

  /**
   * An EAPOL-Key frame from the station (`body`: its packet body, `frame`: the whole EAPOL
   * frame): checked (descriptor version, MIC location, the replay window of invariant 3) and
   * fed in. Returns a drop (reason, detail), or undefined when the machine has it.
   */
  onKeyFrame(st: Association, frame: Buffer, body: Buffer): [string, string] | undefined {
    const k = decodeEapolKey(body);
    if (!k.ok) return ['malformed_eapol_key', k.error.detail];
    const key = k.value;
    const info = key.keyInfo;
    if ((info & KeyInfo.VERSION_MASK) !== st.descriptorVersion) return ['bad_descriptor_version', `key descriptor version ${info & KeyInfo.VERSION_MASK}, expected ${st.descriptorVersion}`];
    const zeroed = zeroedMicCopy(frame);
    if (zeroed === undefined) return ['malformed_eapol_key', 'cannot locate the MIC'];
    // The codec's classification is hostapd's: a pairwise response without key data is
    // msg 4/4, with key data msg 2/4.
    const kind = describeKeyMessage(key);
    if (kind === 'request') return this.request(st, zeroed, key.mic, key.replayCounter, (info & KeyInfo.PAIRWISE) !== 0);
    if (kind !== 'msg2/4' && kind !== 'msg4/4' && kind !== 'group2/2') return ['unexpected_key_info', `key info 0x${info.toString(16)} (${kind}) is not a station's response`];
    // Invariant 3: responses carry one of the last 4 counters sent, not yet consumed.
    if (!st.replay.accepts(key.replayCounter)) return ['replay', `replay counter ${key.replayCounter} is not outstanding (last sent ${st.replay.current})`];
    return this.receive(st, kind, { zeroed, mic: key.mic, keyInfo: info, replayCounter: key.replayCounter, nonce: key.nonce, keyData: key.keyData });
  }

  /**
   * A response from the station, already parsed and within the replay window. Returns a
   * drop (reason, detail) when it is not for the machine now, else feeds it in.
   */
  private receive(st: Association, kind: 'msg2/4' | 'msg4/4' | 'group2/2', rk: ReceivedKey): [string, string] | undefined {
    switch (kind) {
      case 'group2/2':
        if (st.groupState !== 'REKEYNEGOTIATING') return ['unexpected_message', `group msg 2/2 in state ${st.groupState}`];
        if (!verifyWithPtk(st, rk)) return ['mic_failure', 'invalid MIC in group msg 2/2'];
        this.take(st, rk);
        st.sig = (st.sig | Sig.EAPOLKeyReceived | Sig.MICVerified) & ~Sig.EAPOLKeyPairwise;
        return undefined;
      case 'msg4/4':
        if (st.ptkState !== 'PTKINITNEGOTIATING') return ['unexpected_message', `msg 4/4 in state ${st.ptkState}`];
        if (!verifyWithPtk(st, rk)) {
          if (st.record !== undefined) st.record.micFailures++;
          return ['mic_failure', 'invalid MIC in msg 4/4'];
        }
        st.replay.invalidateAll();
        this.take(st, rk);
        st.sig |= EXPECT_PAIRWISE_RESPONSE | Sig.MICVerified;
        return undefined;
      case 'msg2/4':
        if (st.ptkState !== 'PTKSTART' && st.ptkState !== 'PTKCALCNEGOTIATING') return ['unexpected_message', `msg 2/4 in state ${st.ptkState}`];
        // The MIC is checked in PTKCALCNEGOTIATING, against every candidate PMK.
        this.take(st, rk);
        st.sig = (st.sig | EXPECT_PAIRWISE_RESPONSE) & ~Sig.MICVerified;
        return undefined;
    }
  }

  private take(st: Association, rk: ReceivedKey): void {
    this.rx = rk;
    this.rxSt = st;
  }

  /** An EAPOL-Key request (§12.7.2 b.1): a PTK rekey, or a GTK rekey. Returns a drop, or undefined. */
  private request(st: Association, zeroed: Buffer, mic: Buffer, counter: bigint, pairwise: boolean): [string, string] | undefined {
    if (!st.PTK_valid || st.PTK === undefined) return ['unexpected_message', 'EAPOL-Key request before the PTK is in place'];
    if (!timingSafeEqualBytes(calculateEapolKeyMic(st.PTK.kck, zeroed, st.descriptorVersion), mic)) return ['mic_failure', 'invalid MIC in EAPOL-Key request'];
    if (Number(counter) <= st.lastRequestCounter) return ['replay', 'EAPOL-Key request replayed'];
    st.lastRequestCounter = Number(counter);
    if (pairwise) st.sig |= Sig.PTKRequest | Sig.ReAuthenticationRequest;
    else this.peer.groupRekeyRequested(st.bss);
    return undefined;
  }

  /** TX status of the first transmission of msg 1/4 or 3/4 (invariant 7). */
  txStatus(st: Association, ref: number): void {
    const hs = st.hs;
    if (hs === undefined || hs.firstTxRef !== ref) return;
    hs.firstTxRef = undefined;
    // With TX status, the first timeout is the short one, counted from the status
    // (acknowledged or not: a frame the station missed is retried just as soon).
    this.env.setTimer(st, 'keyTimeoutAt', this.env.now + this.env.timing.firstTimeoutMs);
  }

  // ---- WPA_PTK -------------------------------------------------------------------------

  private stepPtk(st: Association): boolean {
    const n = this.env.timing.pairwiseUpdateCount;
    const sig = st.sig;
    // Global transitions (UCT from "any state" in Figure 12-43).
    if (sig & Sig.Init) return this.enter(st, 'INITIALIZE');
    if (sig & Sig.Disconnect) return this.enter(st, 'DISCONNECT');
    if (sig & Sig.DeauthenticationRequest) return this.enter(st, 'DISCONNECTED');
    if (sig & Sig.AuthenticationRequest) return this.enter(st, 'AUTHENTICATION');
    if (sig & Sig.ReAuthenticationRequest) return this.enter(st, 'AUTHENTICATION2');
    if (sig & Sig.PTKRequest) return this.enter(st, 'PTKSTART');

    const hs = st.hs;
    const response = (sig & EXPECT_PAIRWISE_RESPONSE) === EXPECT_PAIRWISE_RESPONSE;
    const s = st.ptkState;
    switch (s) {
      case 'INITIALIZE':
        return false;
      case 'DISCONNECT':
        return this.enter(st, 'DISCONNECTED');
      case 'DISCONNECTED':
        return false; // the core removes the station
      case 'AUTHENTICATION':
        return this.enter(st, 'AUTHENTICATION2');
      case 'AUTHENTICATION2':
        // PSK, and SAE, whose PMK the exchange before the association gave.
        if (!usesIeee8021x(st.akm)) return this.enter(st, 'INITPSK');
        // 802.1X AKM: wait until EAP succeeded (or a PMKSA was found): hostapd's keyRun.
        if (sig & Sig.keyRun) return this.enter(st, 'INITPMK');
        return false;
      case 'INITPMK':
      case 'INITPSK':
        if (hs!.pmkCandidates.length > 0) return this.peer.admit(st) ? this.enter(st, 'PTKSTART') : false;
        return this.fail(st, Reason.IEEE_802_1X_AUTH_FAILED, 'rejected', s === 'INITPSK' ? 'no PSK configured for the station' : 'no PMK for the station');
      case 'PTKSTART':
        if (response) return this.enter(st, 'PTKCALCNEGOTIATING');
        if (hs!.TimeoutCtr > n) {
          const mic = (st.record?.micFailures ?? 0) > 0;
          return this.fail(st, Reason.FOURWAY_HANDSHAKE_TIMEOUT, mic ? 'mic_failure' : 'timeout', `msg 1/4 sent ${n} times${mic ? ', every msg 2/4 failed its MIC' : ', no valid answer'}`);
        }
        if (sig & Sig.TimeoutEvt) return this.enter(st, 'PTKSTART');
        return false;
      case 'PTKCALCNEGOTIATING':
        if (sig & Sig.MICVerified) return this.enter(st, 'PTKCALCNEGOTIATING2');
        if (response) return this.enter(st, 'PTKCALCNEGOTIATING');
        if (sig & Sig.TimeoutEvt) return this.enter(st, 'PTKSTART');
        return false;
      case 'PTKCALCNEGOTIATING2':
        return this.enter(st, 'PTKINITNEGOTIATING');
      case 'PTKINITNEGOTIATING':
        if (response && sig & Sig.MICVerified) return this.enter(st, 'PTKINITDONE');
        if (hs!.TimeoutCtr > n) {
          const forged = (st.record?.micFailures ?? 0) > 0;
          return this.fail(st, Reason.FOURWAY_HANDSHAKE_TIMEOUT, forged ? 'mic_failure' : 'timeout', `msg 3/4 sent ${n} times, ${forged ? 'every msg 4/4 failed its MIC' : 'no valid msg 4/4'}`);
        }
        if (sig & Sig.TimeoutEvt) return this.enter(st, 'PTKINITNEGOTIATING');
        return false;
      case 'PTKINITDONE':
        return false;
      default:
        return assertNever(s);
    }
  }

  /** The handshake failed: record why, and disconnect with `reason`. */
  private fail(st: Association, reason: number, result: HandshakeResult, detail: string): boolean {
    st.disconnectReason = reason;
    this.peer.ended(st, result, detail);
    return this.enter(st, 'DISCONNECT');
  }

  private enter(st: Association, to: PtkState): boolean {
    const env = this.env;
    env.trace({ machine: 'PTK', bssid: st.bss.cfg.bssid, sta: st.sta, from: st.ptkState, to });
    st.ptkState = to;
    switch (to) {
      case 'INITIALIZE':
        st.sig &= ~Sig.Init;
        if (st.PTK_valid) env.emit({ type: 'remove-pairwise-key', bssid: st.bss.cfg.bssid, sta: st.sta });
        st.PTK_valid = false;
        this.keys.dropPtk(st);
        this.endHandshake(st);
        env.setTimer(st, 'keyTimeoutAt', Infinity);
        break;
      case 'DISCONNECT':
        st.sig &= ~Sig.Disconnect;
        env.emit({ type: 'disconnect', bssid: st.bss.cfg.bssid, sta: st.sta, reason: st.disconnectReason, deauth: true });
        break;
      case 'DISCONNECTED':
        st.sig &= ~Sig.DeauthenticationRequest;
        env.setTimer(st, 'keyTimeoutAt', Infinity);
        break;
      case 'AUTHENTICATION':
        st.sig &= ~Sig.AuthenticationRequest;
        this.keys.dropPtk(st);
        st.PTK_valid = false;
        break;
      case 'AUTHENTICATION2':
        st.sig &= ~Sig.ReAuthenticationRequest;
        this.beginHandshake(st);
        break;
      case 'INITPMK':
        st.sig &= ~Sig.keyRun;
        replacePmkCandidates(st.hs!, this.peer.pmkCandidates(st));
        break;
      case 'INITPSK':
        replacePmkCandidates(st.hs!, this.peer.pmkCandidates(st));
        break;
      case 'PTKSTART': {
        st.sig &= ~(Sig.PTKRequest | Sig.TimeoutEvt);
        // A PTK rekey the station asked for starts here without AUTHENTICATION2's handshake.
        const hs = st.hs ?? this.beginHandshake(st);
        hs.TimeoutCtr++;
        if (hs.TimeoutCtr > env.timing.pairwiseUpdateCount) break; // about to disconnect
        this.sendPairwise(st, hs, 1);
        break;
      }
      case 'PTKCALCNEGOTIATING':
        this.processMsg2(st, st.hs!);
        break;
      case 'PTKCALCNEGOTIATING2':
        this.answered(st, st.hs!);
        st.hs!.TimeoutCtr = 0;
        break;
      case 'PTKINITNEGOTIATING': {
        st.sig &= ~Sig.TimeoutEvt;
        const hs = st.hs!;
        hs.TimeoutCtr++;
        if (hs.TimeoutCtr > env.timing.pairwiseUpdateCount) break;
        this.sendPairwise(st, hs, 3);
        break;
      }
      case 'PTKINITDONE':
        this.answered(st, st.hs!);
        env.setTimer(st, 'keyTimeoutAt', Infinity);
        st.sig &= ~(Sig.EAPOLKeyReceived | Sig.MICVerified);
        st.PTK_valid = true;
        st.installRef = env.nextRef(st);
        // Invariant 6: the PTK is installed only now, after msg 4/4 verified; the port opens
        // (and the handshake counts as a success) once the agent confirms this install.
        env.emit({
          type: 'install-pairwise-key',
          bssid: st.bss.cfg.bssid,
          sta: st.sta,
          cipher: st.pairwiseCipher,
          keyId: 0,
          // A copy the consumer owns (and wipes once handed on): the core wipes its PTK on
          // rekey and disconnect, whatever the glue still has queued.
          key: Buffer.from(st.PTK!.tk),
          ref: st.installRef,
        });
        // What only the handshake needed goes now (its slot, nonces, the other PMK
        // candidates): the station may stay for hours.
        this.endHandshake(st);
        // A station that got the old GTK in msg 3/4 during a rekey joins the group update.
        if (st.bss.gtkState === 'SETKEYS' && st.gtkKeyId !== st.bss.GN && !st.GUpdateStationKeys) {
          st.GUpdateStationKeys = true;
          st.bss.GKeyDoneStations++;
        }
        break;
      default:
        assertNever(to);
    }
    return true;
  }

  /** A fresh Handshake with a fresh ANonce (invariant 2), and its record. */
  private beginHandshake(st: Association): Handshake {
    const prev = st.hs;
    const anonces =
      prev !== undefined ? [prev.ANonce, ...prev.previousANonces].filter((n) => n.length > 0).slice(0, 2) : st.lastANonce !== undefined ? [Buffer.from(st.lastANonce, 'latin1')] : [];
    const hs: Handshake = {
      ANonce: this.env.random(32),
      previousANonces: anonces,
      SNonce: undefined,
      // A rekey starts from the PMK in use (PTKRequest goes straight to PTKSTART): a copy, as every candidate.
      pmkCandidates: prev?.pmkCandidates ?? (st.PMK !== undefined ? [Buffer.from(st.PMK)] : []),
      TimeoutCtr: 0,
      firstTxRef: undefined,
      keySentAt: 0,
    };
    st.hs = hs;
    const rec: HandshakeRecord = {
      bssid: st.bss.bssidText,
      akm: st.akm,
      startedAt: this.env.now,
      msg1Sent: 0,
      msg3Sent: 0,
      micFailures: 0,
      anonceFp: fingerprint(hs.ANonce),
      // Every field from the start: one shape, no properties added later (memory per station).
      endedAt: undefined,
      result: undefined,
      detail: undefined,
      pmkFp: undefined,
      diagnosis: undefined,
      joinMs: undefined,
      auth: st.eap?.record ?? st.authz?.record,
    };
    const previous = st.record;
    st.record = rec;
    if (previous !== undefined) this.peer.replaced(st, previous);
    return hs;
  }

  /**
   * The handshake is over (done or abandoned): its slot goes back, and its PMK candidates are
   * wiped (the verified PMK is in st.PMK, a copy).
   */
  private endHandshake(st: Association): void {
    const hs = st.hs;
    if (hs === undefined) return;
    this.peer.release(st);
    for (const k of hs.pmkCandidates) wipe(k);
    if (hs.ANonce.length > 0) st.lastANonce = hs.ANonce.toString('latin1');
    st.hs = undefined;
  }

  private answered(st: Association, hs: Handshake): void {
    // Only first transmissions: an answer to a retransmission has no clear round trip (Karn).
    if (hs.TimeoutCtr === 1) this.peer.answered(st, this.env.now - hs.keySentAt);
  }

  /** Sends msg 1/4 or msg 3/4 and arms the retransmission timer (invariant 7). */
  private sendPairwise(st: Association, hs: Handshake, msg: 1 | 3): void {
    const env = this.env;
    const bss = st.bss;
    const replayCounter = st.replay.next();
    let frame: Buffer;
    if (msg === 1) {
      // Invariant 9: the PMKID KDE only for 802.1X AKMs (a PSK station has no authz).
      frame = buildMsg1({ version: st.descriptorVersion, pairwiseCipher: st.pairwiseCipher, replayCounter, anonce: hs.ANonce, pmkid: st.authz?.pmkid });
      if (st.record) st.record.msg1Sent++;
    } else {
      // The GTK the BSS transmits with; during a rekey PTKINITDONE adds the station to the update.
      const keyId = bss.txKeyId;
      frame = buildMsg3({
        version: st.descriptorVersion,
        pairwiseCipher: st.pairwiseCipher,
        replayCounter,
        anonce: hs.ANonce,
        apRsne: bss.cfg.rsne,
        apRsnxe: bss.cfg.rsnxe,
        gtk: bss.gtk[keyId]!,
        gtkKeyId: keyId,
        gtkRsc: bss.txPn[keyId],
        ...managementKeys(st, keyId),
        kck: st.PTK!.kck,
        kek: st.PTK!.kek,
      });
      st.gtkKeyId = keyId;
      if (st.record) st.record.msg3Sent++;
    }
    const first = hs.TimeoutCtr === 1;
    const ref = first && bss.cfg.reportsTxStatus ? env.nextRef(st) : undefined;
    hs.firstTxRef = ref;
    hs.keySentAt = env.now;
    // As hostapd's wpa_send_eapol(): encrypted once a pairwise key is set (a PTK rekey), not before.
    env.emit({ type: 'transmit-eapol', bssid: bss.cfg.bssid, sta: st.sta, frame, protected: st.PTK_valid, ref });
    const t = env.timing;
    // With TX status, the short first timeout starts when the status arrives; until then the
    // long one guards against a lost status.
    env.setTimer(st, 'keyTimeoutAt', env.now + (first ? t.firstTimeoutNoTxStatusMs : t.subsequentTimeoutMs));
  }

  /** PTKCALCNEGOTIATING entry: derive the PTK from each candidate PMK until the MIC verifies. */
  private processMsg2(st: Association, hs: Handshake): void {
    const rk = this.rx!;
    st.sig &= ~(Sig.EAPOLKeyReceived | Sig.MICVerified);
    const bss = st.bss;
    // As hostapd's PTKCALCNEGOTIATING: derive into a local, keep it only once the MIC verifies.
    // During a PTK rekey st.PTK still holds the PTK in use, so it cannot tell.
    let verified: { pmk: Buffer; ptk: PtkKeys } | undefined;
    for (const pmk of hs.pmkCandidates) {
      const ptk = derivePtk({ pmk, aa: bss.cfg.bssid, spa: st.sta, anonce: hs.ANonce, snonce: rk.nonce, akm: st.akm, cipher: st.pairwiseCipher });
      const mic = calculateEapolKeyMic(ptk.kck, rk.zeroed, st.descriptorVersion);
      if (timingSafeEqualBytes(mic, rk.mic)) {
        verified = { pmk, ptk };
        break;
      }
      wipePtk(ptk);
    }
    if (verified === undefined) {
      // Invariant 11: never advance on an invalid MIC; count it and diagnose once.
      const rec = st.record!;
      rec.micFailures++;
      dropped(this.env, bss.cfg.bssid, st.sta, 'mic_failure', 'invalid MIC in msg 2/4 of 4-Way Handshake');
      if (rec.diagnosis === undefined) {
        const d = this.peer.diagnose(st, hs, rk);
        if (d !== undefined) {
          rec.diagnosis = d;
          report(this.env, { kind: 'mic-failure-diagnosis', bssid: bss.cfg.bssid, sta: st.sta, diagnosis: d });
        }
      }
      return;
    }
    // The PMK and PTK move into the station's own memory (station-keys.ts). The PTK in use
    // until now (a PTK rekey) goes: the agent holds its own copy of the TK until the new one
    // is installed.
    this.keys.setPmk(st, verified.pmk);
    this.keys.setPtk(st, verified.ptk);
    // A copy: rk.nonce is a view of the received frame, and through it of the whole message
    // the frame arrived in, which the handshake would otherwise keep alive.
    hs.SNonce = Buffer.from(rk.nonce);
    st.record!.pmkFp = fingerprint(verified.pmk);
    // Invariant 5: the RSNE in msg 2/4 equals the one of the (Re)Association Request.
    const mismatch = checkMsg2Rsne(st, rk.keyData);
    if (mismatch !== undefined) {
      st.disconnectReason = Reason.IE_IN_4WAY_DIFFERS;
      st.sig |= Sig.Disconnect;
      this.peer.ended(st, 'rejected', mismatch);
      return;
    }
    st.replay.invalidateAll();
    st.sig |= Sig.MICVerified;
  }

  // ---- WPA_PTK_GROUP -------------------------------------------------------------------

  private stepGroupKey(st: Association): boolean {
    // Global: the group handshake runs only on a station whose PTK is in place.
    if (st.ptkState !== 'PTKINITDONE' && st.groupState !== 'IDLE') return this.enterGroup(st, 'IDLE');
    const s = st.groupState;
    switch (s) {
      case 'IDLE':
        if (st.GUpdateStationKeys && st.ptkState === 'PTKINITDONE') return this.enterGroup(st, 'REKEYNEGOTIATING');
        return false;
      case 'REKEYNEGOTIATING':
        if ((st.sig & (Sig.EAPOLKeyReceived | Sig.EAPOLKeyPairwise | Sig.MICVerified)) === (Sig.EAPOLKeyReceived | Sig.MICVerified)) return this.enterGroup(st, 'REKEYESTABLISHED');
        if (st.GTimeoutCtr > this.env.timing.groupUpdateCount) return this.enterGroup(st, 'KEYERROR');
        if (st.sig & Sig.TimeoutEvt) return this.enterGroup(st, 'REKEYNEGOTIATING');
        return false;
      case 'REKEYESTABLISHED':
        return this.enterGroup(st, 'IDLE');
      case 'KEYERROR':
        return false; // Disconnect is set: the PTK machine takes the station down
      default:
        return assertNever(s);
    }
  }

  private enterGroup(st: Association, to: GroupKeyState): boolean {
    const env = this.env;
    env.trace({ machine: 'PTK_GROUP', bssid: st.bss.cfg.bssid, sta: st.sta, from: st.groupState, to });
    const from = st.groupState;
    st.groupState = to;
    switch (to) {
      case 'IDLE':
        st.GTimeoutCtr = 0;
        // Left mid-update (PTK machine restarted): the GTK machine stops waiting for it.
        if (from === 'REKEYNEGOTIATING') this.leaveGroupUpdate(st);
        break;
      case 'REKEYNEGOTIATING': {
        st.sig &= ~Sig.TimeoutEvt;
        st.GTimeoutCtr++;
        if (st.GTimeoutCtr > env.timing.groupUpdateCount) break;
        const bss = st.bss;
        const keyId = bss.GN;
        const frame = buildGroupMsg1({
          version: st.descriptorVersion,
          replayCounter: st.replay.next(),
          gtk: bss.gtk[keyId]!,
          gtkKeyId: keyId,
          ...managementKeys(st, keyId),
          kck: st.PTK!.kck,
          kek: st.PTK!.kek,
        });
        // A rekey message leaves protected with the installed PTK.
        env.emit({ type: 'transmit-eapol', bssid: bss.cfg.bssid, sta: st.sta, frame, protected: true });
        const t = env.timing;
        env.setTimer(st, 'keyTimeoutAt', env.now + (st.GTimeoutCtr === 1 ? t.groupTimeoutMs : t.subsequentTimeoutMs));
        break;
      }
      case 'REKEYESTABLISHED':
        st.sig &= ~(Sig.EAPOLKeyReceived | Sig.MICVerified);
        env.setTimer(st, 'keyTimeoutAt', Infinity);
        st.gtkKeyId = st.bss.GN;
        st.replay.invalidateAll();
        this.leaveGroupUpdate(st);
        break;
      case 'KEYERROR':
        env.setTimer(st, 'keyTimeoutAt', Infinity);
        this.leaveGroupUpdate(st);
        st.disconnectReason = Reason.GROUP_KEY_UPDATE_TIMEOUT;
        st.sig |= Sig.Disconnect;
        break;
      default:
        assertNever(to);
    }
    return true;
  }

  /** The station no longer counts in its BSS's GTK update. */
  leaveGroupUpdate(st: Association): void {
    if (!st.GUpdateStationKeys) return;
    st.GUpdateStationKeys = false;
    this.peer.groupKeyDone(st.bss, st);
  }
}

function verifyWithPtk(st: Association, rk: ReceivedKey): boolean {
  if (st.PTK === undefined) return false;
  return timingSafeEqualBytes(calculateEapolKeyMic(st.PTK.kck, rk.zeroed, st.descriptorVersion), rk.mic);
}

/** Undefined when the msg 2/4 RSNE is acceptable, else why not. */
function checkMsg2Rsne(st: Association, keyData: Buffer): string | undefined {
  const els = decodeKeyData(keyData);
  if (!els.ok) return `msg 2/4 key data malformed (${els.error.detail})`;
  const rsne = findElement(els.value, RSNE_ID);
  if (rsne === undefined) return 'msg 2/4 carries no RSNE';
  if (!st.bss.cfg.wired) {
    if (!rsne.equals(st.assocRsne)) return 'RSNE in msg 2/4 differs from the (Re)Association Request';
    // WPA3 downgrade protection (§12.7.6.3): the RSNXE too, present in both or in neither.
    const rsnxe = findElement(els.value, RSNXE_ID);
    const sent = st.assocRsnxe;
    if (sent === undefined ? rsnxe !== undefined : rsnxe === undefined || !rsnxe.equals(sent)) return 'RSNXE in msg 2/4 differs from the (Re)Association Request';
    return undefined;
  }
  // A wired port has no association frame: check the station's RSNE against the port policy.
  const dec = decodeRsne(rsne);
  if (!dec.ok) return `msg 2/4 RSNE malformed (${dec.error.detail})`;
  const r = rsneDefaults(dec.value);
  if (r.akms.length !== 1 || r.akms[0] !== st.akm) return 'msg 2/4 RSNE selects another AKM than the port uses';
  if (r.pairwiseCiphers.length !== 1 || r.pairwiseCiphers[0] !== st.pairwiseCipher) return 'msg 2/4 RSNE selects another pairwise cipher';
  if (r.groupCipher !== st.bss.groupCipher) return 'msg 2/4 RSNE names another group cipher';
  return undefined;
}

/** Overwrites a PTK (KCK, KEK and TK) that is being dropped. */
export function wipePtk(ptk: PtkKeys | undefined): void {
  if (ptk === undefined) return;
  wipe(ptk.kck);
  wipe(ptk.kek);
  wipe(ptk.tk);
}

/** INITPMK/INITPSK: the candidates of a new handshake (copies) replace the old ones, which are wiped. */
function replacePmkCandidates(hs: Handshake, fresh: Buffer[]): void {
  for (const k of hs.pmkCandidates) if (!fresh.includes(k)) wipe(k);
  hs.pmkCandidates = fresh;
}

function assertNever(x: never): never {
  throw new Error(`unreachable state ${String(x)}`);
}

/** A PMF station's IGTK and BIGTK of GTK generation `id` (key ids id + 3 and id + 5); none without PMF. */
function managementKeys(st: Association, id: 1 | 2): { igtk?: ManagementKey; bigtk?: ManagementKey } {
  if (!st.mfp) return {};
  const bss = st.bss;
  const igtk = bss.igtk[id];
  const bigtk = bss.bigtk[id];
  // The packet numbers the agent last reported: 0 for a new generation (group msg 1/2), the
  // transmit counter of the one in use (msg 3/4).
  return { igtk: igtk && { keyId: id + 3, key: igtk, pn: bss.txPn[id + 3] }, bigtk: bigtk && { keyId: id + 5, key: bigtk, pn: bss.txPn[id + 5] } };
}
