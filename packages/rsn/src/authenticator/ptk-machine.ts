/**
 * Per-station 4-way handshake state machine, IEEE 802.11-2020 §12.7.10.2 (Figure 12-43;
 * WPA_PTK in hostapd's wpa_auth.c). `stepPtk` picks the transition (global ones first),
 * `enter` runs the entry actions of the new state.
 */
import { derivePtk, calculateEapolKeyMic, timingSafeEqualBytes, wipe, type PtkKeys } from '../crypto/index.js';
import { decodeKeyData, findElement, RSNE_ID, decodeRsne, rsneDefaults } from '../codec/index.js';
import { isPskAkm } from '../suites.js';
import { buildMsg1, buildMsg3 } from './frames.js';
import type { MachineContext } from './context.js';
import type { PtkState, StationState } from './state.js';
import { fingerprint } from './fingerprint.js';
import { Reason } from './reason-codes.js';


/** Runs one transition of the PTK machine; returns false when no transition applies. */
export function stepPtk(ctx: MachineContext, st: StationState): boolean {
  const n = ctx.timing.pairwiseUpdateCount;
  // Global transitions (UCT from "any state" in Figure 12-43).
  if (st.Init) return enter(ctx, st, 'INITIALIZE');
  if (st.Disconnect) return enter(ctx, st, 'DISCONNECT');
  if (st.DeauthenticationRequest) return enter(ctx, st, 'DISCONNECTED');
  if (st.AuthenticationRequest) return enter(ctx, st, 'AUTHENTICATION');
  if (st.ReAuthenticationRequest) return enter(ctx, st, 'AUTHENTICATION2');
  if (st.PTKRequest) return enter(ctx, st, 'PTKSTART');

  const s = st.ptkState;
  switch (s) {
    case 'INITIALIZE':
      return false;
    case 'DISCONNECT':
      return enter(ctx, st, 'DISCONNECTED');
    case 'DISCONNECTED':
      return false; // the core removes the station
    case 'AUTHENTICATION':
      return enter(ctx, st, 'AUTHENTICATION2');
    case 'AUTHENTICATION2':
      if (isPskAkm(st.akm)) return enter(ctx, st, 'INITPSK');
      // 802.1X AKM: wait until EAP succeeded (or a PMKSA was found): hostapd's keyRun.
      if (st.keyRun) return enter(ctx, st, 'INITPMK');
      return false;
    case 'INITPMK':
    case 'INITPSK':
      if (st.pmkCandidates.length > 0) return ctx.admit(st) ? enter(ctx, st, 'PTKSTART') : false;
      st.disconnectReason = Reason.IEEE_802_1X_AUTH_FAILED;
      ctx.finishHandshake(st, 'rejected', s === 'INITPSK' ? 'no PSK configured for the station' : 'no PMK for the station');
      return enter(ctx, st, 'DISCONNECT');
    case 'PTKSTART':
      if (st.EAPOLKeyReceived && !st.EAPOLKeyRequest && st.EAPOLKeyPairwise) return enter(ctx, st, 'PTKCALCNEGOTIATING');
      if (st.TimeoutCtr > n) {
        st.disconnectReason = Reason.FOURWAY_HANDSHAKE_TIMEOUT;
        const mic = st.handshake !== undefined && st.handshake.micFailures > 0;
        ctx.finishHandshake(st, mic ? 'mic_failure' : 'timeout', `msg 1/4 sent ${n} times${mic ? ', every msg 2/4 failed its MIC' : ', no valid answer'}`);
        return enter(ctx, st, 'DISCONNECT');
      }
      if (st.TimeoutEvt) return enter(ctx, st, 'PTKSTART');
      return false;
    case 'PTKCALCNEGOTIATING':
      if (st.MICVerified) return enter(ctx, st, 'PTKCALCNEGOTIATING2');
      if (st.EAPOLKeyReceived && !st.EAPOLKeyRequest && st.EAPOLKeyPairwise) return enter(ctx, st, 'PTKCALCNEGOTIATING');
      if (st.TimeoutEvt) return enter(ctx, st, 'PTKSTART');
      return false;
    case 'PTKCALCNEGOTIATING2':
      return enter(ctx, st, 'PTKINITNEGOTIATING');
    case 'PTKINITNEGOTIATING':
      if (st.EAPOLKeyReceived && !st.EAPOLKeyRequest && st.EAPOLKeyPairwise && st.MICVerified) return enter(ctx, st, 'PTKINITDONE');
      if (st.TimeoutCtr > n) {
        st.disconnectReason = Reason.FOURWAY_HANDSHAKE_TIMEOUT;
        ctx.finishHandshake(st, 'timeout', `msg 3/4 sent ${n} times, no valid msg 4/4`);
        return enter(ctx, st, 'DISCONNECT');
      }
      if (st.TimeoutEvt) return enter(ctx, st, 'PTKINITNEGOTIATING');
      return false;
    case 'PTKINITDONE':
      return false;
    default:
      return assertNever(s);
  }
}

function enter(ctx: MachineContext, st: StationState, to: PtkState): boolean {
  ctx.trace({ machine: 'PTK', bssid: st.bss.cfg.bssid, sta: st.sta, from: st.ptkState, to });
  st.ptkState = to;
  switch (to) {
    case 'INITIALIZE':
      st.Init = false;
      if (st.PTK_valid) ctx.emit({ type: 'remove-pairwise-key', bssid: st.bss.cfg.bssid, sta: st.sta });
      st.PTK_valid = false;
      wipePtk(st.PTK);
      st.PTK = undefined;
      st.TimeoutCtr = 0;
      ctx.cancel(st);
      break;
    case 'DISCONNECT':
      st.Disconnect = false;
      ctx.emit({ type: 'disconnect', bssid: st.bss.cfg.bssid, sta: st.sta, reason: st.disconnectReason, deauth: true });
      break;
    case 'DISCONNECTED':
      st.DeauthenticationRequest = false;
      ctx.cancel(st);
      break;
    case 'AUTHENTICATION':
      st.AuthenticationRequest = false;
      wipePtk(st.PTK);
      st.PTK = undefined;
      st.PTK_valid = false;
      break;
    case 'AUTHENTICATION2':
      st.ReAuthenticationRequest = false;
      if (st.ANonce.length > 0) {
        st.previousANonces.unshift(st.ANonce);
        if (st.previousANonces.length > 2) st.previousANonces.length = 2;
      }
      st.ANonce = ctx.random(32); // a fresh ANonce for each handshake (invariant 2)
      st.SNonce = undefined;
      st.TimeoutCtr = 0;
      st.handshake = {
        bssid: st.bss.bssidText,
        akm: st.akm,
        startedAt: ctx.now,
        msg1Sent: 0,
        msg3Sent: 0,
        micFailures: 0,
        anonceFp: fingerprint(st.ANonce),
        auth: st.auth,
      };
      break;
    case 'INITPMK':
      st.keyRun = false;
      replacePmkCandidates(st, ctx.pmkCandidates(st));
      break;
    case 'INITPSK':
      replacePmkCandidates(st, ctx.pmkCandidates(st));
      break;
    case 'PTKSTART':
      st.PTKRequest = false;
      st.TimeoutEvt = false;
      st.TimeoutCtr++;
      if (st.TimeoutCtr > ctx.timing.pairwiseUpdateCount) break; // about to disconnect
      sendPairwise(ctx, st, 1);
      break;
    case 'PTKCALCNEGOTIATING':
      processMsg2(ctx, st);
      break;
    case 'PTKCALCNEGOTIATING2':
      ctx.keyAnswered(st);
      st.TimeoutCtr = 0;
      break;
    case 'PTKINITNEGOTIATING':
      st.TimeoutEvt = false;
      st.TimeoutCtr++;
      if (st.TimeoutCtr > ctx.timing.pairwiseUpdateCount) break;
      sendPairwise(ctx, st, 3);
      break;
    case 'PTKINITDONE':
      ctx.keyAnswered(st);
      ctx.cancel(st);
      st.firstTxRef = undefined; // a late TX status of msg 3/4 must not re-arm the timer
      st.EAPOLKeyReceived = false;
      st.MICVerified = false;
      st.TimeoutCtr = 0;
      st.PTK_valid = true;
      st.installRef = ctx.nextRef(st);
      // Invariant 6: the PTK is installed only now, after msg 4/4 verified; the port opens
      // once the agent confirms this install (see the core's command-result handling).
      ctx.emit({
        type: 'install-pairwise-key',
        bssid: st.bss.cfg.bssid,
        sta: st.sta,
        cipher: st.pairwiseCipher,
        keyId: 0,
        // A copy the consumer owns (and wipes once handed on): the core wipes its PTK on
        // rekey and disconnect, whatever the glue still has queued.
        tk: Buffer.from(st.PTK!.tk),
        ref: st.installRef,
      });
      ctx.finishHandshake(st, 'success', 'msg 4/4 verified');
      // What only the handshake needed goes now: the station may stay for hours. Of the PMK
      // candidates only the verified one is kept (a PTK rekey uses it; the others are key
      // copies, wiped); the SNonce is spent.
      for (const k of st.pmkCandidates) if (k !== st.PMK) wipe(k);
      st.pmkCandidates = st.PMK !== undefined ? [st.PMK] : [];
      st.SNonce = undefined;
      // A station that got the old GTK in msg 3/4 during a rekey joins the group update.
      if (st.bss.gtkState === 'SETKEYS' && st.gtkKeyId !== st.bss.GN) {
        st.GUpdateStationKeys = true;
        st.bss.GKeyDoneStations++;
      }
      break;
    default:
      assertNever(to);
  }
  return true;
}

/** Sends msg 1/4 or msg 3/4 and arms the retransmission timer (invariant 7). */
function sendPairwise(ctx: MachineContext, st: StationState, msg: 1 | 3): void {
  const bss = st.bss;
  const replayCounter = st.replay.next();
  let frame: Buffer;
  if (msg === 1) {
    // Invariant 9: the PMKID KDE only for 802.1X AKMs (st.pmkid is never set for PSK).
    frame = buildMsg1({ version: st.descriptorVersion, pairwiseCipher: st.pairwiseCipher, replayCounter, anonce: st.ANonce, pmkid: st.pmkid });
    st.handshake!.msg1Sent++;
  } else {
    // The GTK the BSS transmits with; during a rekey PTKINITDONE adds the station to the update.
    const keyId = bss.txKeyId;
    frame = buildMsg3({
      version: st.descriptorVersion,
      pairwiseCipher: st.pairwiseCipher,
      replayCounter,
      anonce: st.ANonce,
      apRsne: bss.cfg.rsne,
      gtk: bss.gtk[keyId]!,
      gtkKeyId: keyId,
      kck: st.PTK!.kck,
      kek: st.PTK!.kek,
    });
    st.gtkKeyId = keyId;
    st.handshake!.msg3Sent++;
  }
  const first = st.TimeoutCtr === 1;
  const wantTx = first && bss.cfg.reportsTxStatus;
  const ref = wantTx ? ctx.nextRef(st) : undefined;
  st.firstTxRef = ref;
  st.keySentAt = ctx.now;
  // As hostapd's wpa_send_eapol(): encrypted once a pairwise key is set (a PTK rekey), not before.
  ctx.emit({ type: 'transmit-eapol', bssid: bss.cfg.bssid, sta: st.sta, frame, protected: st.PTK_valid, ref });
  const t = ctx.timing;
  // With TX status, the short first timeout starts when the status arrives; until then the
  // long one guards against a lost status.
  ctx.schedule(st, ctx.now + (first ? t.firstTimeoutNoTxStatusMs : t.subsequentTimeoutMs));
}

/** PTKCALCNEGOTIATING entry: derive the PTK from each candidate PMK until the MIC verifies. */
function processMsg2(ctx: MachineContext, st: StationState): void {
  const rk = st.received!;
  st.EAPOLKeyReceived = false;
  st.MICVerified = false;
  const bss = st.bss;
  // As hostapd's PTKCALCNEGOTIATING: derive into a local, keep it only once the MIC verifies.
  // During a PTK rekey st.PTK still holds the PTK in use, so it cannot tell.
  let verified: { pmk: Buffer; ptk: PtkKeys } | undefined;
  for (const pmk of st.pmkCandidates) {
    const ptk = derivePtk({ pmk, aa: bss.cfg.bssid, spa: st.sta, anonce: st.ANonce, snonce: rk.nonce, akm: st.akm, cipher: st.pairwiseCipher });
    const mic = calculateEapolKeyMic(ptk.kck, rk.zeroed, st.descriptorVersion);
    if (timingSafeEqualBytes(mic, rk.mic)) {
      verified = { pmk, ptk };
      break;
    }
    wipePtk(ptk);
  }
  if (verified === undefined) {
    // Invariant 11: never advance on an invalid MIC; count it and diagnose once.
    const hs = st.handshake!;
    hs.micFailures++;
    ctx.report({ kind: 'frame-dropped', bssid: bss.cfg.bssid, sta: st.sta, reason: 'mic_failure', detail: 'invalid MIC in msg 2/4 of 4-Way Handshake' });
    if (hs.diagnosis === undefined) {
      const d = ctx.diagnose(st, rk);
      if (d !== undefined) {
        hs.diagnosis = d;
        ctx.report({ kind: 'mic-failure-diagnosis', bssid: bss.cfg.bssid, sta: st.sta, diagnosis: d });
      }
    }
    return;
  }
  // PMK candidates and st.PMK are the station's own copies: an old st.PMK that is no longer a
  // candidate (replaced by INITPMK/INITPSK) was wiped there. The PTK in use until now (a PTK
  // rekey) goes: the agent holds its own copy of the TK until the new one is installed.
  st.PMK = verified.pmk;
  if (st.PTK !== undefined && st.PTK !== verified.ptk) wipePtk(st.PTK);
  st.PTK = verified.ptk;
  // A copy: rk.nonce is a view of the received frame, and through it of the whole message
  // the frame arrived in, which the station would otherwise keep alive for its lifetime.
  st.SNonce = Buffer.from(rk.nonce);
  st.handshake!.pmkFp = fingerprint(st.PMK);
  // Invariant 5: the RSNE in msg 2/4 equals the one of the (Re)Association Request.
  const mismatch = checkMsg2Rsne(st, rk.keyData);
  if (mismatch !== undefined) {
    st.disconnectReason = Reason.IE_IN_4WAY_DIFFERS;
    st.Disconnect = true;
    ctx.finishHandshake(st, 'rejected', mismatch);
    return;
  }
  st.replay.invalidateAll();
  st.MICVerified = true;
}

/** Undefined when the msg 2/4 RSNE is acceptable, else why not. */
function checkMsg2Rsne(st: StationState, keyData: Buffer): string | undefined {
  const els = decodeKeyData(keyData);
  if (!els.ok) return `msg 2/4 key data malformed (${els.error.detail})`;
  const rsne = findElement(els.value, RSNE_ID);
  if (rsne === undefined) return 'msg 2/4 carries no RSNE';
  if (!st.bss.cfg.wired) {
    return rsne.equals(st.assocRsne) ? undefined : 'RSNE in msg 2/4 differs from the (Re)Association Request';
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

/**
 * INITPMK/INITPSK: the candidates of a new handshake replace the old ones. Every old one that
 * is not a candidate again is wiped, st.PMK included (a PSK station's PMK of the previous
 * handshake); an 802.1X station's st.PMK is its own candidate and stays.
 */
function replacePmkCandidates(st: StationState, fresh: Buffer[]): void {
  for (const k of st.pmkCandidates) if (!fresh.includes(k)) wipe(k);
  if (st.PMK !== undefined && !fresh.includes(st.PMK)) {
    wipe(st.PMK);
    st.PMK = undefined;
  }
  st.pmkCandidates = fresh;
}

function assertNever(x: never): never {
  throw new Error(`unreachable state ${String(x)}`);
}
