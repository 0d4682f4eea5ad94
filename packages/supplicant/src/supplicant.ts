/**
 * Station (Supplicant) side of the IEEE 802.11-2020 §12.7.6 4-way handshake and §12.7.7
 * group key handshake, on EAPOL-Key frames (§12.7.2) carried by IEEE 802.1X-2010 EAPOL:
 * AKMs 1, 2, 5, 6 and SAE (8, Key Descriptor Version 0), management frame protection
 * (IGTK and BIGTK KDEs) and the RSNXE downgrade check of §12.7.6.4.
 * Behaviour follows the standard and, where it leaves room, wpa_supplicant's
 * src/rsn_supp/wpa.c (replay counter, SNonce renewal, key reinstallation guards, RSNXE
 * comparison). One deliberate difference: with PMF negotiated, a msg 3/4 or group msg 1/2
 * without an IGTK KDE is refused (the standard puts the IGTK there); wpa_supplicant accepts
 * it and installs no IGTK.
 *
 * Sans-I/O: frames in, effects out; no timers, no clock, randomness injected. A rejected
 * frame yields exactly one 'dropped' effect and leaves the machine as it was.
 */
import {
  EapolType,
  KEY_DESCRIPTOR_RSN,
  KdeType,
  KeyInfo,
  RSNE_ID,
  RSNXE_ID,
  CIPHER,
  EAPOL_KEY_MIC_OFFSET,
  aesKeyUnwrap,
  calculateEapolKeyMic,
  decodeBigtkKde,
  decodeEapol,
  decodeEapolKey,
  decodeGtkKde,
  decodeIgtkKde,
  decodeKeyData,
  decodeRsne,
  derivePtk,
  encodeEapolKeyFrame,
  findElement,
  findKde,
  igtkLength,
  keyDescriptorVersionFor,
  pmfOf,
  rsneDefaults,
  tkLength,
  newEapolKey,
  timingSafeEqualBytes,
  wipe,
  writeMic,
  zeroedMicCopy,
} from '@airlock/rsn';
import type { DecodeError, EapolKey, KeyDataElement, PtkKeys, Result } from '@airlock/rsn';

export type { PtkKeys } from '@airlock/rsn';

/** Why the station ignored a frame. */
export type SupplicantDropReason =
  | 'malformed'
  | 'replay'
  | 'bad-mic'
  | 'anonce-changed'
  | 'rsne-mismatch'
  | 'rsnxe-mismatch'
  | 'unwrap-failed'
  | 'unexpected'
  | 'no-gtk'
  | 'no-igtk'
  | 'no-bigtk';

/** Where the station is: no PTK, a handshake under way (TPTK held), or a PTK installed and no handshake pending. */
export type SupplicantState = 'idle' | 'ptk-negotiating' | 'established';

/** A group temporal key with its key id. */
export interface GroupKey {
  /** Key ID (0..3) from the GTK KDE. */
  readonly keyId: number;
  /** The GTK octets. */
  readonly gtk: Buffer;
}

/**
 * An integrity group key from an IGTK KDE (Key ID 4 or 5) or a BIGTK KDE (Key ID 6 or 7),
 * with the packet number (IPN / BIPN) the BIP replay counter starts from.
 */
export interface IntegrityGroupKey {
  /** Key ID from the KDE. */
  readonly keyId: number;
  /** IPN (IGTK) or BIPN (BIGTK) from the KDE, 48 bits. */
  readonly ipn: bigint;
  /** The IGTK or BIGTK octets. */
  readonly key: Buffer;
}

/** Test-only misbehaviours of the simulated station. */
export interface SupplicantMisbehaviour {
  /** Put this RSNE in msg 2/4 instead of the one of the (Re)Association Request. */
  msg2Rsne?: Buffer;
  /** Put this RSNXE in msg 2/4 instead of the one of the (Re)Association Request (an empty Buffer: none). */
  msg2Rsnxe?: Buffer;
  /** Never answer group msg 1/2 (the AP's group key handshake times out). */
  ignoreGroupMsg1?: boolean;
  /** Mute station: every frame is dropped unanswered. */
  dropAll?: boolean;
  /** Send msg 4/4 with a corrupted MIC (a forged msg 4/4); the station still installs its PTK. */
  corruptMsg4Mic?: boolean;
  /** Send group msg 2/2 with a corrupted MIC (a forged group msg 2/2); the station still installs the GTK. */
  corruptGroupMsg2Mic?: boolean;
}

/** What a station needs to run the handshakes with one AP. */
export interface SupplicantOptions {
  /** Station MAC (SPA). */
  spa: Buffer;
  /** The BSSID the station associated to: its Authenticator Address. */
  aa: Buffer;
  /**
   * PSK (from pbkdf2Psk), the PMK from EAP, or for SAE (AKM 8) the PMK of the SAE exchange
   * (sae.processPeerCommit's keys.pmk). Not copied and never wiped: it may be shared.
   */
  pmk: Buffer;
  /** Negotiated AKM selector (AKM.*). */
  akm: number;
  /** Negotiated pairwise cipher selector (CIPHER.*). */
  pairwiseCipher: number;
  /** The BSS's group cipher selector (CIPHER.*). */
  groupCipher: number;
  /**
   * RSNE the station put in its (Re)Association Request; msg 2/4 carries it. With MFPC set
   * here and in apRsne, management frame protection is negotiated (§12.6.3): msg 3/4 and
   * group msg 1/2 must then carry an IGTK KDE for apRsne's group management cipher.
   */
  assocRsne: Buffer;
  /** RSNE the AP advertises in Beacons; msg 3/4 must carry it byte for byte. */
  apRsne: Buffer;
  /** RSNXE the station put in its (Re)Association Request; msg 2/4 carries it after the RSNE. Absent or empty: none. */
  assocRsnxe?: Buffer;
  /**
   * RSNXE the AP advertises in Beacons; msg 3/4 must carry it byte for byte, and must carry
   * none when this is absent or empty (§12.7.6.4 downgrade protection, as wpa_supplicant).
   */
  apRsnxe?: Buffer;
  /**
   * The BSS uses Beacon protection (Extended Capabilities bit 84) and so does the station
   * (wpa_supplicant's beacon_prot=1): with PMF negotiated, msg 3/4 and group msg 1/2 must
   * carry a BIGTK KDE, which is installed. Otherwise BIGTK KDEs are ignored.
   */
  beaconProtection?: boolean;
  /** Random source for SNonces. */
  random: (n: number) => Buffer;
  /** Protocol version octet of transmitted EAPOL frames; default 1 (wpa_supplicant's eapol_version). */
  eapolVersion?: number;
  /** Test-only misbehaviours. */
  misbehave?: SupplicantMisbehaviour;
}

/**
 * The association-specific options that reset() may replace (a roam to another BSS). An
 * absent field keeps its value; an empty RSNXE Buffer removes the RSNXE.
 */
export type SupplicantAssociation = Partial<Pick<SupplicantOptions, 'aa' | 'apRsne' | 'assocRsne' | 'pmk' | 'apRsnxe' | 'assocRsnxe' | 'beaconProtection'>>;

/** What the caller must do after receive(), in order. */
export type SupplicantEffect =
  | { type: 'transmit'; frame: Buffer }
  | { type: 'install-ptk'; tk: Buffer; cipher: number }
  | { type: 'install-gtk'; keyId: number; gtk: Buffer }
  | { type: 'install-igtk'; keyId: number; ipn: bigint; igtk: Buffer }
  | { type: 'install-bigtk'; keyId: number; ipn: bigint; bigtk: Buffer }
  | { type: 'handshake-complete' }
  | { type: 'group-rekey-complete'; keyId: number }
  | { type: 'dropped'; reason: SupplicantDropReason; detail: string };

/** One EAPOL-Key frame from the Authenticator, classified as §12.7.6 / §12.7.7 name it. */
type KeyMessage =
  | { kind: 'msg1/4'; key: EapolKey }
  | { kind: 'msg3/4'; key: EapolKey; frame: Buffer }
  | { kind: 'group-msg1/2'; key: EapolKey; frame: Buffer };

type Dropped = Extract<SupplicantEffect, { type: 'dropped' }>;

/** The group keys of one msg 3/4 or group msg 1/2, checked and copied out of the Key Data. */
interface GroupKeys {
  gtk: GroupKey;
  igtk?: IntegrityGroupKey;
  bigtk?: IntegrityGroupKey;
}

/** Key Index subfield of Key Information (bits 4-5); zero for RSN pairwise frames. */
const KEY_INFO_KEY_INDEX_MASK = 0x30;
/** All Key Information bits msg 3/4 must carry besides Pairwise and Ack (§12.7.6.4). */
const MSG3_REQUIRED = KeyInfo.MIC | KeyInfo.INSTALL | KeyInfo.SECURE | KeyInfo.ENCRYPTED_KEY_DATA;
/** All Key Information bits group msg 1/2 must carry besides Ack (§12.7.7.2). */
const GROUP1_REQUIRED = KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.ENCRYPTED_KEY_DATA;
/** Shortest AES-key-wrapped Key Data: one 8-octet block plus the integrity block, padded to 16 (§12.7.2 j). */
const MIN_WRAPPED_KEY_DATA = 16;
const NONCE_LENGTH = 32;
const PMKID_LENGTH = 16;
const ZERO_NONCE = Buffer.alloc(NONCE_LENGTH);
const EMPTY = Buffer.alloc(0);

/** GTK length per group cipher (§12.7.2 Table 12-8); unknown ciphers are not length-checked. */
const GROUP_KEY_LENGTH = new Map<number, number>([
  [CIPHER.WEP_40, 5],
  [CIPHER.WEP_104, 13],
  [CIPHER.TKIP, 32],
  [CIPHER.CCMP_128, 16],
  [CIPHER.GCMP_128, 16],
  [CIPHER.GCMP_256, 32],
  [CIPHER.CCMP_256, 32],
]);

function drop(reason: SupplicantDropReason, detail: string): Dropped {
  return { type: 'dropped', reason, detail };
}

/** Flips one bit of the MIC of an encoded EAPOL-Key frame (misbehave.corruptMsg4Mic / corruptGroupMsg2Mic). */
function corruptMic(frame: Buffer): void {
  frame[EAPOL_KEY_MIC_OFFSET] ^= 0x01;
}

function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

/** True when `next` is the integrity group key already installed (same Key ID and key): not reinstalled, its IPN not reset. */
function isInUse(cur: IntegrityGroupKey | undefined, next: IntegrityGroupKey): boolean {
  return cur !== undefined && cur.keyId === next.keyId && timingSafeEqualBytes(cur.key, next.key);
}

function wipeGroupKeys(g: GroupKeys): void {
  wipe(g.gtk.gtk);
  wipe(g.igtk?.key);
  wipe(g.bigtk?.key);
}

/** True when `got` (an element found in Key Data) is `want`, byte for byte; an empty or absent `want` means none. */
function sameElement(got: Buffer | undefined, want: Buffer | undefined): boolean {
  if (want === undefined || want.length === 0) return got === undefined;
  return got !== undefined && got.equals(want);
}

function wipePtk(k: PtkKeys | undefined): void {
  if (k === undefined) return;
  wipe(k.kck);
  wipe(k.kek);
  wipe(k.tk);
}

/** The station side of the 4-way and group key handshakes with one AP. */
export class Supplicant {
  private readonly opts: SupplicantOptions;
  private aa: Buffer;
  private pmk: Buffer;
  private assocRsne: Buffer;
  private apRsne: Buffer;
  private assocRsnxe: Buffer | undefined;
  private apRsnxe: Buffer | undefined;
  private beaconProtection: boolean;
  /** Octets of the IGTK expected in msg 3/4 and group msg 1/2: 0 when PMF is not negotiated. */
  private expectedIgtkLength = 0;
  private readonly descriptorVersion: 0 | 2 | 3;
  private readonly eapolVersion: number;

  private _state: SupplicantState = 'idle';
  /** Replay counter of the last frame whose MIC verified (wpa_supplicant's rx_replay_counter). */
  private replayCounter: bigint | undefined;
  /** ANonce of the last msg 1/4 answered. */
  private anonce: Buffer | undefined;
  private snonce: Buffer | undefined;
  /** The SNonce was used by a completed msg 3/4: the next msg 1/4 gets a fresh one. */
  private renewSnonce = true;
  /** Temporary PTK of the handshake under way (§12.7.6: TPTK). */
  private tptk: PtkKeys | undefined;
  private _ptk: PtkKeys | undefined;
  private _gtk: GroupKey | undefined;
  private _igtk: IntegrityGroupKey | undefined;
  private _bigtk: IntegrityGroupKey | undefined;
  private _pmkid: Buffer | undefined;

  /** Throws RangeError on options that are programmer errors (address lengths, an unsupported AKM or pairwise cipher). */
  constructor(opts: SupplicantOptions) {
    if (opts.spa.length !== 6 || opts.aa.length !== 6) throw new RangeError('spa and aa must be 6-octet MAC addresses');
    if (opts.pmk.length === 0) throw new RangeError('pmk is empty');
    const v = keyDescriptorVersionFor(opts.akm);
    if (v === undefined) throw new RangeError(`AKM 0x${opts.akm.toString(16)} has no supported key descriptor version`);
    if (tkLength(opts.pairwiseCipher) === 0) throw new RangeError(`pairwise cipher 0x${opts.pairwiseCipher.toString(16)} is not supported`);
    const ev = opts.eapolVersion ?? 1;
    if (!Number.isInteger(ev) || ev < 1 || ev > 255) throw new RangeError(`eapolVersion ${ev} is not an octet >= 1`);
    this.opts = opts;
    this.aa = opts.aa;
    this.pmk = opts.pmk;
    this.assocRsne = opts.assocRsne;
    this.apRsne = opts.apRsne;
    this.assocRsnxe = opts.assocRsnxe;
    this.apRsnxe = opts.apRsnxe;
    this.beaconProtection = opts.beaconProtection === true;
    this.descriptorVersion = v;
    this.eapolVersion = ev;
    this.negotiatePmf();
  }

  /**
   * PMF is negotiated when both RSNEs set MFPC (§12.6.3); the IGTK length then follows the
   * AP's group management cipher (BIP-CMAC-128 when its RSNE leaves it out, §9.4.2.24.1).
   * An RSNE that does not decode negotiates nothing.
   */
  private negotiatePmf(): void {
    const sta = decodeRsne(this.assocRsne);
    const ap = decodeRsne(this.apRsne);
    const pmf = sta.ok && ap.ok && pmfOf(sta.value).capable && pmfOf(ap.value).capable;
    this.expectedIgtkLength = pmf ? igtkLength(rsneDefaults(ap.value).groupMgmtCipher) : 0;
  }

  /** Where the station is in the key handshakes. */
  get state(): SupplicantState {
    return this._state;
  }

  /** The installed PTK (wiped on rekey and reset), or undefined before the first msg 3/4. */
  get ptk(): PtkKeys | undefined {
    return this._ptk;
  }

  /** The installed GTK, or undefined. */
  get gtk(): GroupKey | undefined {
    return this._gtk;
  }

  /** Whether management frame protection is negotiated with this AP (MFPC in both RSNEs, a BIP group management cipher). */
  get pmf(): boolean {
    return this.expectedIgtkLength > 0;
  }

  /** The installed IGTK (PMF), or undefined. */
  get igtk(): IntegrityGroupKey | undefined {
    return this._igtk;
  }

  /** The installed BIGTK (Beacon protection), or undefined. */
  get bigtk(): IntegrityGroupKey | undefined {
    return this._bigtk;
  }

  /** The PMKID KDE of the last msg 1/4 answered, if it had one. */
  get pmkidSeen(): Buffer | undefined {
    return this._pmkid;
  }

  /** New association: forget PTK, GTK, nonces and replay counter; optionally switch AP (a roam). */
  reset(association: SupplicantAssociation = {}): void {
    if (association.aa !== undefined && association.aa.length !== 6) throw new RangeError('aa must be a 6-octet MAC address');
    wipePtk(this.tptk);
    wipePtk(this._ptk);
    if (this._gtk !== undefined) wipe(this._gtk.gtk);
    wipe(this._igtk?.key);
    wipe(this._bigtk?.key);
    this.tptk = undefined;
    this._ptk = undefined;
    this._gtk = undefined;
    this._igtk = undefined;
    this._bigtk = undefined;
    this._pmkid = undefined;
    this.anonce = undefined;
    this.snonce = undefined;
    this.renewSnonce = true;
    this.replayCounter = undefined;
    this._state = 'idle';
    if (association.aa !== undefined) this.aa = association.aa;
    if (association.pmk !== undefined) this.pmk = association.pmk;
    if (association.assocRsne !== undefined) this.assocRsne = association.assocRsne;
    if (association.apRsne !== undefined) this.apRsne = association.apRsne;
    if (association.assocRsnxe !== undefined) this.assocRsnxe = association.assocRsnxe;
    if (association.apRsnxe !== undefined) this.apRsnxe = association.apRsnxe;
    if (association.beaconProtection !== undefined) this.beaconProtection = association.beaconProtection;
    this.negotiatePmf();
  }

  /** Handles one EAPOL frame from the AP (from the 802.1X header on); never throws on bad bytes. */
  receive(frame: Uint8Array): SupplicantEffect[] {
    if (this.opts.misbehave?.dropAll === true) return [drop('unexpected', 'station is muted (misbehave.dropAll)')];
    const msg = this.classify(frame);
    if (msg.kind === 'dropped') return [msg.effect];
    switch (msg.kind) {
      case 'msg1/4':
        return this.onMsg1(msg.key);
      case 'msg3/4':
        return this.onMsg3(msg.key, msg.frame);
      case 'group-msg1/2':
        return this.onGroupMsg1(msg.key, msg.frame);
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  /** Parsing and the checks common to every EAPOL-Key frame (wpa_sm_rx_eapol), split from the per-message steps. */
  private classify(bytes: Uint8Array): KeyMessage | { kind: 'dropped'; effect: Dropped } {
    const bad = (reason: SupplicantDropReason, detail: string) => ({ kind: 'dropped' as const, effect: drop(reason, detail) });
    const frame = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const eapol = decodeEapol(frame);
    if (!eapol.ok) return bad('malformed', `EAPOL header: ${eapol.error.code}: ${eapol.error.detail}`);
    if (eapol.value.version < 1) return bad('malformed', `EAPOL protocol version ${eapol.value.version}`);
    if (eapol.value.type !== EapolType.Key) return bad('unexpected', `EAPOL packet type ${eapol.value.type} is not EAPOL-Key`);
    const decoded = decodeEapolKey(eapol.value.body);
    if (!decoded.ok) return bad('malformed', `EAPOL-Key: ${decoded.error.code}: ${decoded.error.detail}`);
    const key = decoded.value;
    if (key.descriptorType !== KEY_DESCRIPTOR_RSN) return bad('malformed', `descriptor type ${key.descriptorType} is not RSN (2)`);
    const info = key.keyInfo;
    const version = info & KeyInfo.VERSION_MASK;
    if (version !== this.descriptorVersion) {
      return bad('malformed', `Key Descriptor Version ${version}; the AKM uses ${this.descriptorVersion}`);
    }
    if ((info & KeyInfo.SMK_MESSAGE) !== 0) return bad('unexpected', `Key Info ${hex16(info)} has the (PeerKey) SMK Message bit set`);
    if ((info & KeyInfo.ACK) === 0) return bad('unexpected', `Key Info ${hex16(info)} without Key Ack is not from an Authenticator`);
    if ((info & KeyInfo.REQUEST) !== 0) return bad('unexpected', `Key Info ${hex16(info)} has Request set`);
    if (this.replayCounter !== undefined && key.replayCounter <= this.replayCounter) {
      return bad('replay', `replay counter ${key.replayCounter} not above ${this.replayCounter}`);
    }
    if ((info & KeyInfo.PAIRWISE) !== 0) {
      if ((info & KEY_INFO_KEY_INDEX_MASK) !== 0) return bad('malformed', `pairwise EAPOL-Key with Key Index ${(info >> 4) & 3}`);
      if ((info & (KeyInfo.MIC | KeyInfo.ENCRYPTED_KEY_DATA)) !== 0) return { kind: 'msg3/4', key, frame };
      return { kind: 'msg1/4', key };
    }
    if ((info & KeyInfo.MIC) !== 0) return { kind: 'group-msg1/2', key, frame };
    return bad('unexpected', `group EAPOL-Key without MIC (Key Info ${hex16(info)})`);
  }

  /** §12.7.6.2 msg 1/4 -> §12.7.6.3 msg 2/4. */
  private onMsg1(key: EapolKey): SupplicantEffect[] {
    const kd = decodeKeyData(key.keyData);
    if (!kd.ok) return [drop('malformed', `msg 1/4 Key Data: ${kd.error.code}: ${kd.error.detail}`)];
    const pmkidKde = findKde(kd.value, KdeType.PMKID);

    const sameAnonce = this.anonce !== undefined && this.anonce.equals(key.nonce);
    // wpa_supplicant renews the SNonce only when a new handshake starts (after a msg 3/4 was
    // accepted); a retransmitted msg 1/4 keeps it so both copies of msg 2/4 agree. A new
    // ANonce also gets a new SNonce: the PTK changes anyway and nonces are never reused.
    const renew = this.renewSnonce || this.snonce === undefined || !sameAnonce;
    let snonce = this.snonce;
    let tptk = this.tptk;
    if (renew || snonce === undefined || tptk === undefined) {
      if (renew || snonce === undefined) snonce = this.freshNonce();
      tptk = derivePtk({
        pmk: this.pmk,
        aa: this.aa,
        spa: this.opts.spa,
        anonce: key.nonce,
        snonce,
        akm: this.opts.akm,
        cipher: this.opts.pairwiseCipher,
      });
    }

    // wpa_supplicant sets Secure in msg 2/4 of a PTK rekey (a PTK is already in use).
    const keyInfo = this.descriptorVersion | KeyInfo.PAIRWISE | KeyInfo.MIC | (this._ptk !== undefined ? KeyInfo.SECURE : 0);
    // Key Data of msg 2/4: the RSNE, then the RSNXE (wpa_supplicant's order without OCV).
    const rsne = this.opts.misbehave?.msg2Rsne ?? this.assocRsne;
    const rsnxe = this.opts.misbehave?.msg2Rsnxe ?? this.assocRsnxe;
    const keyData = rsnxe === undefined || rsnxe.length === 0 ? rsne : Buffer.concat([rsne, rsnxe]);
    const msg2 = this.keyFrame(keyInfo, key.replayCounter, snonce, keyData, tptk.kck);

    if (this.tptk !== undefined && this.tptk !== tptk) wipePtk(this.tptk);
    this.tptk = tptk;
    this.snonce = snonce;
    this.renewSnonce = false;
    if (!sameAnonce) this.anonce = Buffer.from(key.nonce);
    // Like wpa_supplicant, a PMKID KDE shorter than a PMKID is ignored.
    this._pmkid = pmkidKde === undefined || pmkidKde.length < PMKID_LENGTH ? undefined : Buffer.from(pmkidKde.subarray(0, PMKID_LENGTH));
    this._state = 'ptk-negotiating';
    return [{ type: 'transmit', frame: msg2 }];
  }

  /** §12.7.6.4 msg 3/4 -> §12.7.6.5 msg 4/4, then key installation. */
  private onMsg3(key: EapolKey, frame: Buffer): SupplicantEffect[] {
    if ((key.keyInfo & MSG3_REQUIRED) !== MSG3_REQUIRED) {
      return [drop('malformed', `msg 3/4 Key Info ${hex16(key.keyInfo)} lacks MIC, Install, Secure or Encrypted Key Data`)];
    }
    if (this.anonce === undefined) return [drop('unexpected', 'msg 3/4 before any msg 1/4')];
    if (!this.anonce.equals(key.nonce)) return [drop('anonce-changed', 'msg 3/4 ANonce differs from the one of msg 1/4')];

    // A handshake under way verifies with its TPTK; with none pending, a msg 3/4 can only be a
    // retransmission of the completed one (its msg 4/4 was lost), which verifies with the PTK.
    const fresh = this.tptk !== undefined;
    const keys = this.tptk ?? this._ptk;
    if (keys === undefined) return [drop('unexpected', 'msg 3/4 without a handshake under way')];
    const micError = this.checkMic(frame, key, keys.kck, 'msg 3/4');
    if (micError !== undefined) return [micError];
    if (key.keyLength !== keys.tk.length) {
      return [drop('malformed', `msg 3/4 Key Length ${key.keyLength}; the pairwise cipher's TK is ${keys.tk.length}`)];
    }

    const plain = this.unwrapKeyData(keys.kek, key.keyData, 'msg 3/4');
    if ('type' in plain) return [plain];
    const kd = decodeKeyData(plain);
    if (!kd.ok) {
      wipe(plain);
      return [drop('malformed', `msg 3/4 Key Data: ${kd.error.code}: ${kd.error.detail}`)];
    }
    const rsne = findElement(kd.value, RSNE_ID);
    // §12.7.6.4: the RSNE must be the one of the Beacon; like wpa_supplicant, compare bytes.
    if (rsne === undefined || !rsne.equals(this.apRsne)) {
      wipe(plain);
      return [drop('rsne-mismatch', rsne === undefined ? 'msg 3/4 has no RSNE' : 'msg 3/4 RSNE differs from the Beacon RSNE')];
    }
    // §12.7.6.4: the RSNXE too, and its absence when the Beacon had none (wpa_supplicant
    // deauthenticates with reason 17; here the frame is dropped and the handshake stalls).
    const rsnxe = findElement(kd.value, RSNXE_ID);
    if (!sameElement(rsnxe, this.apRsnxe)) {
      wipe(plain);
      const beaconHasNone = this.apRsnxe === undefined || this.apRsnxe.length === 0;
      const detail = rsnxe === undefined ? 'no RSNXE; the Beacon has one' : beaconHasNone ? 'an RSNXE; the Beacon has none' : 'an RSNXE other than the Beacon RSNXE';
      return [drop('rsnxe-mismatch', `msg 3/4 has ${detail}`)];
    }
    const group = this.groupKeysFrom(kd.value, 'msg 3/4');
    wipe(plain);
    if ('type' in group) return [group];

    const msg4 = this.keyFrame(this.descriptorVersion | KeyInfo.PAIRWISE | KeyInfo.MIC | KeyInfo.SECURE, key.replayCounter, ZERO_NONCE, EMPTY, keys.kck);
    if (this.opts.misbehave?.corruptMsg4Mic === true) corruptMic(msg4);
    const effects: SupplicantEffect[] = [{ type: 'transmit', frame: msg4 }];
    this.replayCounter = key.replayCounter;
    if (fresh) {
      if (this._ptk !== undefined) wipePtk(this._ptk);
      this._ptk = keys;
      this.tptk = undefined;
      this.renewSnonce = true;
      this._state = 'established';
      effects.push({ type: 'install-ptk', tk: Buffer.from(keys.tk), cipher: this.opts.pairwiseCipher });
    }
    // Never reinstall a group key in use (wpa_supplicant's key reinstallation guards, KRACK).
    effects.push(...this.installGroupKeys(group));
    if (fresh) effects.push({ type: 'handshake-complete' });
    return effects;
  }

  /** §12.7.7.2 group msg 1/2 -> §12.7.7.3 group msg 2/2. */
  private onGroupMsg1(key: EapolKey, frame: Buffer): SupplicantEffect[] {
    if (this.opts.misbehave?.ignoreGroupMsg1 === true) return [drop('unexpected', 'group msg 1/2 ignored (misbehave.ignoreGroupMsg1)')];
    // wpa_supplicant accepts the group key handshake once a msg 3/4 was accepted, also while a
    // PTK rekey is under way: it is protected with the PTK in use.
    const ptk = this._ptk;
    if (ptk === undefined) return [drop('unexpected', 'group msg 1/2 before the 4-way handshake completed')];
    if ((key.keyInfo & GROUP1_REQUIRED) !== GROUP1_REQUIRED) {
      return [drop('malformed', `group msg 1/2 Key Info ${hex16(key.keyInfo)} lacks MIC, Secure or Encrypted Key Data`)];
    }
    const micError = this.checkMic(frame, key, ptk.kck, 'group msg 1/2');
    if (micError !== undefined) return [micError];
    const plain = this.unwrapKeyData(ptk.kek, key.keyData, 'group msg 1/2');
    if ('type' in plain) return [plain];
    const kd = decodeKeyData(plain);
    if (!kd.ok) {
      wipe(plain);
      return [drop('malformed', `group msg 1/2 Key Data: ${kd.error.code}: ${kd.error.detail}`)];
    }
    const group = this.groupKeysFrom(kd.value, 'group msg 1/2');
    wipe(plain);
    if ('type' in group) return [group];

    // Like wpa_supplicant, msg 2/2 echoes the Key Index subfield of msg 1/2 (zero for RSN).
    const keyInfo = this.descriptorVersion | KeyInfo.MIC | KeyInfo.SECURE | (key.keyInfo & KEY_INFO_KEY_INDEX_MASK);
    const msg2 = this.keyFrame(keyInfo, key.replayCounter, ZERO_NONCE, EMPTY, ptk.kck);
    if (this.opts.misbehave?.corruptGroupMsg2Mic === true) corruptMic(msg2);
    this.replayCounter = key.replayCounter;
    const installed = this.installGroupKeys(group);
    if (installed.length === 0) return [{ type: 'transmit', frame: msg2 }];
    return [...installed, { type: 'transmit', frame: msg2 }, { type: 'group-rekey-complete', keyId: group.gtk.keyId }];
  }

  /** The MIC of a received frame, over its declared length with the MIC zeroed, compared in constant time. */
  private checkMic(frame: Buffer, key: EapolKey, kck: Buffer, what: string): Dropped | undefined {
    const zeroed = zeroedMicCopy(frame);
    if (zeroed === undefined) return drop('malformed', `${what}: frame too short for a MIC`);
    const mic = calculateEapolKeyMic(kck, zeroed, this.descriptorVersion);
    if (!timingSafeEqualBytes(mic, key.mic)) return drop('bad-mic', `${what}: MIC does not verify`);
    return undefined;
  }

  /** AES key unwrap (RFC 3394) of the Key Data with the KEK. */
  private unwrapKeyData(kek: Buffer, data: Buffer, what: string): Buffer | Dropped {
    if (data.length < MIN_WRAPPED_KEY_DATA || data.length % 8 !== 0) {
      return drop('unwrap-failed', `${what}: wrapped Key Data of ${data.length} octets`);
    }
    const plain = aesKeyUnwrap(kek, data);
    if (plain === undefined) return drop('unwrap-failed', `${what}: AES key unwrap integrity check failed`);
    return plain;
  }

  /** The GTK KDE of decrypted Key Data, checked against the group cipher; the GTK is copied. */
  private gtkFrom(elements: readonly KeyDataElement[], what: string): GroupKey | Dropped {
    const kde = findKde(elements, KdeType.GTK);
    if (kde === undefined) return drop('no-gtk', `${what} has no GTK KDE`);
    const g = decodeGtkKde(kde);
    if (!g.ok) return drop('malformed', `${what} GTK KDE: ${g.error.code}: ${g.error.detail}`);
    const want = GROUP_KEY_LENGTH.get(this.opts.groupCipher);
    if (want !== undefined && g.value.gtk.length !== want) {
      return drop('malformed', `${what} GTK of ${g.value.gtk.length} octets for the group cipher`);
    }
    return { keyId: g.value.keyId, gtk: Buffer.from(g.value.gtk) };
  }

  /**
   * The GTK, and with PMF the IGTK and (Beacon protection) the BIGTK, of decrypted Key Data,
   * each checked against its cipher and copied; on any failure the copies are wiped.
   */
  private groupKeysFrom(elements: readonly KeyDataElement[], what: string): GroupKeys | Dropped {
    const gtk = this.gtkFrom(elements, what);
    if ('type' in gtk) return gtk;
    const out: GroupKeys = { gtk };
    if (this.expectedIgtkLength > 0) {
      const igtk = this.integrityKeyFrom(elements, KdeType.IGTK, what);
      if ('type' in igtk) {
        wipeGroupKeys(out);
        return igtk;
      }
      out.igtk = igtk;
      if (this.beaconProtection) {
        const bigtk = this.integrityKeyFrom(elements, KdeType.BIGTK, what);
        if ('type' in bigtk) {
          wipeGroupKeys(out);
          return bigtk;
        }
        out.bigtk = bigtk;
      }
    }
    return out;
  }

  /** The IGTK or BIGTK KDE of decrypted Key Data, its key checked against the group management cipher and copied. */
  private integrityKeyFrom(elements: readonly KeyDataElement[], type: typeof KdeType.IGTK | typeof KdeType.BIGTK, what: string): IntegrityGroupKey | Dropped {
    const name = type === KdeType.IGTK ? 'IGTK' : 'BIGTK';
    const kde = findKde(elements, type);
    if (kde === undefined) {
      return drop(type === KdeType.IGTK ? 'no-igtk' : 'no-bigtk', `${what} has no ${name} KDE${type === KdeType.IGTK ? ' although PMF was negotiated' : ' although Beacon protection is in use'}`);
    }
    const k: Result<IntegrityGroupKey, DecodeError> = type === KdeType.IGTK ? decodeIgtkKde(kde) : decodeBigtkKde(kde);
    if (!k.ok) return drop('malformed', `${what} ${name} KDE: ${k.error.code}: ${k.error.detail}`);
    if (k.value.key.length !== this.expectedIgtkLength) {
      return drop('malformed', `${what} ${name} of ${k.value.key.length} octets; the group management cipher's is ${this.expectedIgtkLength}`);
    }
    return { keyId: k.value.keyId, ipn: k.value.ipn, key: Buffer.from(k.value.key) };
  }

  /** Installs each key of `g` that is not the one in use, in the order GTK, IGTK, BIGTK; wipes the copies it does not keep. */
  private installGroupKeys(g: GroupKeys): SupplicantEffect[] {
    const effects: SupplicantEffect[] = [];
    const gtk = this.installGtk(g.gtk);
    if (gtk !== undefined) effects.push(gtk);
    else wipe(g.gtk.gtk);
    if (g.igtk !== undefined) {
      if (isInUse(this._igtk, g.igtk)) wipe(g.igtk.key);
      else {
        wipe(this._igtk?.key);
        this._igtk = g.igtk;
        effects.push({ type: 'install-igtk', keyId: g.igtk.keyId, ipn: g.igtk.ipn, igtk: Buffer.from(g.igtk.key) });
      }
    }
    if (g.bigtk !== undefined) {
      if (isInUse(this._bigtk, g.bigtk)) wipe(g.bigtk.key);
      else {
        wipe(this._bigtk?.key);
        this._bigtk = g.bigtk;
        effects.push({ type: 'install-bigtk', keyId: g.bigtk.keyId, ipn: g.bigtk.ipn, bigtk: Buffer.from(g.bigtk.key) });
      }
    }
    return effects;
  }

  /** Installs `g` unless it is the GTK in use; returns the effect, or undefined when nothing changed. */
  private installGtk(g: GroupKey): SupplicantEffect | undefined {
    const cur = this._gtk;
    if (cur !== undefined && cur.keyId === g.keyId && timingSafeEqualBytes(cur.gtk, g.gtk)) return undefined;
    if (cur !== undefined) wipe(cur.gtk);
    this._gtk = g;
    return { type: 'install-gtk', keyId: g.keyId, gtk: Buffer.from(g.gtk) };
  }

  /** An EAPOL-Key frame from the station, MIC'd with `kck`. */
  private keyFrame(keyInfo: number, replayCounter: bigint, nonce: Buffer, keyData: Buffer, kck: Buffer): Buffer {
    const frame = encodeEapolKeyFrame(
      newEapolKey({ descriptorType: KEY_DESCRIPTOR_RSN, keyInfo, keyLength: 0, replayCounter, nonce, keyData }),
      this.eapolVersion,
    );
    writeMic(frame, calculateEapolKeyMic(kck, frame, this.descriptorVersion));
    return frame;
  }

  private freshNonce(): Buffer {
    const n = this.opts.random(NONCE_LENGTH);
    if (n.length !== NONCE_LENGTH) throw new RangeError(`random(${NONCE_LENGTH}) returned ${n.length} octets`);
    return Buffer.from(n);
  }
}
