/**
 * A scripted Authenticator for the supplicant's tests: it builds the Authenticator's
 * EAPOL-Key frames of IEEE 802.11-2020 §12.7.6 (msg 1/4, 3/4) and §12.7.7 (group msg 1/2)
 * from the @airlock/rsn codecs and crypto, and checks the station's answers (msg 2/4, 4/4,
 * group msg 2/2) as an AP would. Every step is explicit and can be bent (wrong ANonce,
 * wrong RSNE or RSNXE, no GTK or IGTK, bad MIC) so tests can script misbehaving APs. Not a
 * state machine: the test decides the order.
 *
 * Key Data of msg 3/4 is laid out as hostapd's wpa_auth.c PTKINITNEGOTIATING writes it:
 * RSNE, RSNXE (when the AP has one), GTK KDE, IGTK KDE (PMF), BIGTK KDE (Beacon
 * protection), then padding. Group msg 1/2: GTK KDE, IGTK KDE, BIGTK KDE.
 */
import { seededRandom } from '@airlock/rsn/testing';
import {
  KeyInfo,
  aesKeyWrap,
  calculateEapolKeyMic,
  decodeEapol,
  decodeEapolKey,
  encodeBigtkKde,
  encodeGtkKde,
  encodeIgtkKde,
  igtkLength,
  encodePmkidKde,
  derivePtk,
  encodeEapolKeyFrame,
  keyDescriptorVersionFor,
  newEapolKey,
  padKeyData,
  tkLength,
  writeMic,
  zeroedMicCopy,
  timingSafeEqualBytes,
} from '@airlock/rsn';
import type { EapolKey, IgtkKde, PtkKeys } from '@airlock/rsn';

export { seededRandom };

/** An RSNE (§9.4.2.24) with one pairwise cipher and one AKM, version 1. */
export function rsneFor(akm: number, pairwise: number, group: number, capabilities = 0x000c): Buffer {
  const suite = (s: number): number[] => [(s >>> 24) & 0xff, (s >>> 16) & 0xff, (s >>> 8) & 0xff, s & 0xff];
  const body = [0x01, 0x00, ...suite(group), 0x01, 0x00, ...suite(pairwise), 0x01, 0x00, ...suite(akm), capabilities & 0xff, capabilities >> 8];
  return Buffer.from([48, body.length, ...body]);
}

/** Parses an EAPOL-Key frame the station sent; throws (test failure) if it is not one. */
export function parseKeyFrame(frame: Buffer): { eapolVersion: number; key: EapolKey } {
  const e = decodeEapol(frame);
  if (!e.ok) throw new Error(`station sent a bad EAPOL frame: ${e.error.detail}`);
  const k = decodeEapolKey(e.value.body);
  if (!k.ok) throw new Error(`station sent a bad EAPOL-Key frame: ${k.error.detail}`);
  return { eapolVersion: e.value.version, key: k.value };
}

/** The AP's view of the parameters of one association. */
export interface ScriptedAuthenticatorOptions {
  aa: Buffer;
  spa: Buffer;
  pmk: Buffer;
  akm: number;
  pairwiseCipher: number;
  groupCipher: number;
  apRsne: Buffer;
  random: (n: number) => Buffer;
  /** Version octet of frames it sends; hostapd's default is 2. */
  eapolVersion?: number;
  /** RSNXE of the AP's Beacon: msg 3/4 carries it after the RSNE. */
  apRsnxe?: Buffer;
  /** Management frame protection: msg 3/4 and group msg 1/2 carry an IGTK KDE (and a BIGTK KDE with beaconProtection). */
  pmf?: { groupMgmtCipher: number; beaconProtection?: boolean };
}

/** What the scripted AP learned from a msg 2/4: whether its MIC verified with the PTK it derived, and the frame. */
export interface Msg2Check {
  micOk: boolean;
  key: EapolKey;
  eapolVersion: number;
}

/** Authenticator frames on demand, with the AP-side key derivation. */
export class ScriptedAuthenticator {
  /** Replay counter of the last frame sent. */
  replayCounter = 0n;
  anonce: Buffer;
  /** PTK the AP derived from the last msg 2/4 it accepted. */
  ptk: PtkKeys | undefined;
  gtk: { keyId: number; gtk: Buffer };
  /** IGTK the AP sends (PMF), Key ID 4 or 5. */
  igtk: IgtkKde | undefined;
  /** BIGTK the AP sends (Beacon protection), Key ID 6 or 7. */
  bigtk: IgtkKde | undefined;
  readonly version: number;
  private readonly eapolVersion: number;

  constructor(readonly o: ScriptedAuthenticatorOptions) {
    this.anonce = o.random(32);
    this.gtk = { keyId: 1, gtk: o.random(tkLength(o.groupCipher) || 16) };
    const mgmtKeyLength = o.pmf === undefined ? 0 : igtkLength(o.pmf.groupMgmtCipher) || 16;
    this.igtk = o.pmf === undefined ? undefined : { keyId: 4, ipn: 0n, key: o.random(mgmtKeyLength) };
    this.bigtk = o.pmf?.beaconProtection === true ? { keyId: 6, ipn: 0n, key: o.random(mgmtKeyLength) } : undefined;
    const version = keyDescriptorVersionFor(o.akm);
    if (version === undefined) throw new RangeError(`scripted AP: AKM 0x${o.akm.toString(16)} is not supported`);
    this.version = version;
    this.eapolVersion = o.eapolVersion ?? 2;
  }

  /** Starts a new handshake: a fresh ANonce (§12.7.6.2). */
  newAnonce(): Buffer {
    this.anonce = this.o.random(32);
    return this.anonce;
  }

  /** Msg 1/4: Pairwise | Ack, ANonce, next replay counter unless given, optional PMKID KDE. */
  msg1(opt: { replayCounter?: bigint; pmkid?: Buffer; anonce?: Buffer } = {}): Buffer {
    const rc = this.nextCounter(opt.replayCounter);
    return encodeEapolKeyFrame(
      newEapolKey({
        keyInfo: this.version | KeyInfo.PAIRWISE | KeyInfo.ACK,
        keyLength: tkLength(this.o.pairwiseCipher),
        replayCounter: rc,
        nonce: opt.anonce ?? this.anonce,
        keyData: opt.pmkid === undefined ? Buffer.alloc(0) : encodePmkidKde(opt.pmkid),
      }),
      this.eapolVersion,
    );
  }

  /** Derives the PTK from msg 2/4's SNonce (with this AP's AA and ANonce) and checks its MIC. */
  acceptMsg2(frame: Buffer, opt: { aa?: Buffer; anonce?: Buffer } = {}): Msg2Check {
    const { key, eapolVersion } = parseKeyFrame(frame);
    const ptk = derivePtk({
      pmk: this.o.pmk,
      aa: opt.aa ?? this.o.aa,
      spa: this.o.spa,
      anonce: opt.anonce ?? this.anonce,
      snonce: key.nonce,
      akm: this.o.akm,
      cipher: this.o.pairwiseCipher,
    });
    const micOk = this.micOk(frame, key, ptk.kck);
    if (micOk) this.ptk = ptk;
    return { micOk, key, eapolVersion };
  }

  /**
   * Msg 3/4: Pairwise | Ack | MIC | Install | Secure | Encrypted; RSNE, RSNXE, GTK KDE, IGTK
   * KDE, BIGTK KDE wrapped with the KEK. `rsnxe` replaces the AP's RSNXE (an empty Buffer:
   * none); `keyData` replaces the whole plaintext Key Data.
   */
  msg3(
    opt: {
      replayCounter?: bigint;
      anonce?: Buffer;
      rsne?: Buffer;
      rsnxe?: Buffer;
      omitGtk?: boolean;
      omitIgtk?: boolean;
      omitBigtk?: boolean;
      keyData?: Buffer;
      kek?: Buffer;
      kck?: Buffer;
      keyInfo?: number;
      keyLength?: number;
      corruptMic?: boolean;
    } = {},
  ): Buffer {
    const ptk = this.requirePtk();
    const plain =
      opt.keyData ??
      Buffer.concat([opt.rsne ?? this.o.apRsne, opt.rsnxe ?? this.o.apRsnxe ?? Buffer.alloc(0), this.groupKdes(opt)]);
    const info = opt.keyInfo ?? (this.version | KeyInfo.PAIRWISE | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.INSTALL | KeyInfo.SECURE | KeyInfo.ENCRYPTED_KEY_DATA);
    return this.signed(
      newEapolKey({
        keyInfo: info,
        keyLength: opt.keyLength ?? tkLength(this.o.pairwiseCipher),
        replayCounter: this.nextCounter(opt.replayCounter),
        nonce: opt.anonce ?? this.anonce,
        keyData: aesKeyWrap(opt.kek ?? ptk.kek, padKeyData(plain)),
      }),
      opt.kck ?? ptk.kck,
      opt.corruptMic === true,
    );
  }

  /** Checks msg 4/4's MIC with the PTK. */
  acceptMsg4(frame: Buffer): { micOk: boolean; key: EapolKey } {
    const { key } = parseKeyFrame(frame);
    return { micOk: this.micOk(frame, key, this.requirePtk().kck), key };
  }

  /** Installs a new GTK on the AP side (the next group msg 1/2 carries it). */
  rotateGtk(): { keyId: number; gtk: Buffer } {
    this.gtk = { keyId: this.gtk.keyId === 1 ? 2 : 1, gtk: this.o.random(this.gtk.gtk.length) };
    return this.gtk;
  }

  /** Rotates the IGTK (PMF): the other key ID of 4 and 5, a fresh key, IPN 0. */
  rotateIgtk(): IgtkKde {
    const cur = this.requireIgtk();
    this.igtk = { keyId: cur.keyId === 4 ? 5 : 4, ipn: 0n, key: this.o.random(cur.key.length) };
    return this.igtk;
  }

  /** Group msg 1/2: Ack | MIC | Secure | Encrypted, GTK KDE (and IGTK, BIGTK KDEs) wrapped with the KEK. */
  groupMsg1(opt: { replayCounter?: bigint; omitGtk?: boolean; omitIgtk?: boolean; omitBigtk?: boolean; corruptMic?: boolean; keyInfo?: number } = {}): Buffer {
    const ptk = this.requirePtk();
    const plain = this.groupKdes(opt);
    return this.signed(
      newEapolKey({
        keyInfo: opt.keyInfo ?? (this.version | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.ENCRYPTED_KEY_DATA),
        replayCounter: this.nextCounter(opt.replayCounter),
        keyData: aesKeyWrap(ptk.kek, padKeyData(plain)),
      }),
      ptk.kck,
      opt.corruptMic === true,
    );
  }

  /** Checks group msg 2/2's MIC with the PTK. */
  acceptGroupMsg2(frame: Buffer): { micOk: boolean; key: EapolKey } {
    const { key } = parseKeyFrame(frame);
    return { micOk: this.micOk(frame, key, this.requirePtk().kck), key };
  }

  /** GTK KDE, IGTK KDE, BIGTK KDE, in hostapd's order, each unless omitted or not configured. */
  private groupKdes(opt: { omitGtk?: boolean; omitIgtk?: boolean; omitBigtk?: boolean }): Buffer {
    const kdes: Buffer[] = [];
    if (opt.omitGtk !== true) kdes.push(encodeGtkKde({ keyId: this.gtk.keyId, tx: false, gtk: this.gtk.gtk }));
    if (this.igtk !== undefined && opt.omitIgtk !== true) kdes.push(encodeIgtkKde(this.igtk));
    if (this.bigtk !== undefined && opt.omitBigtk !== true) kdes.push(encodeBigtkKde(this.bigtk));
    return Buffer.concat(kdes);
  }

  private requireIgtk(): IgtkKde {
    if (this.igtk === undefined) throw new Error('scripted AP: no IGTK (configure pmf)');
    return this.igtk;
  }

  private signed(key: EapolKey, kck: Buffer, corrupt: boolean): Buffer {
    const frame = encodeEapolKeyFrame(key, this.eapolVersion);
    const mic = calculateEapolKeyMic(kck, frame, this.version);
    if (corrupt) mic[0] ^= 0x01;
    writeMic(frame, mic);
    return frame;
  }

  private micOk(frame: Buffer, key: EapolKey, kck: Buffer): boolean {
    const zeroed = zeroedMicCopy(frame);
    if (zeroed === undefined) return false;
    return timingSafeEqualBytes(calculateEapolKeyMic(kck, zeroed, this.version), key.mic);
  }

  private nextCounter(explicit: bigint | undefined): bigint {
    if (explicit !== undefined) return explicit;
    this.replayCounter += 1n;
    return this.replayCounter;
  }

  private requirePtk(): PtkKeys {
    if (this.ptk === undefined) throw new Error('scripted AP: no PTK yet (accept a msg 2/4 first)');
    return this.ptk;
  }
}
