/**
 * The EAPOL-Key frames the authenticator sends (IEEE 802.11-2020 §12.7.6.2 msg 1/4,
 * §12.7.6.4 msg 3/4, §12.7.7.2 group msg 1/2), built from the codecs and MIC'd with the KCK.
 */
import { aesKeyWrap, calculateEapolKeyMic, tkLength, wipe } from '../crypto/index.js';
import {
  encodeEapolKeyFrame,
  encodeBigtkKde,
  encodeGtkKde,
  encodeIgtkKde,
  encodePmkidKde,
  KeyInfo,
  newEapolKey,
  padKeyData,
  writeMic,
} from '../codec/index.js';

/** EAPOL protocol version the authenticator sends (IEEE 802.1X-2004, as hostapd's default). */
export const AUTHENTICATOR_EAPOL_VERSION = 2;

/** Msg 1/4: ANonce, no MIC; a PMKID KDE only for 802.1X AKMs with a cached PMKSA. */
export function buildMsg1(a: { version: number; pairwiseCipher: number; replayCounter: bigint; anonce: Buffer; pmkid?: Buffer }): Buffer {
  const key = newEapolKey({
    keyInfo: a.version | KeyInfo.PAIRWISE | KeyInfo.ACK,
    keyLength: tkLength(a.pairwiseCipher),
    replayCounter: a.replayCounter,
    nonce: a.anonce,
    keyData: a.pmkid ? encodePmkidKde(a.pmkid) : Buffer.alloc(0),
  });
  return encodeEapolKeyFrame(key, AUTHENTICATOR_EAPOL_VERSION);
}

/** A management group key for a KDE (PMF): an IGTK (key id 4/5) or BIGTK (6/7), its packet number 0 when new. */
export interface ManagementKey {
  keyId: number;
  key: Buffer;
  /** Its transmit packet number (IPN / BIPN); 0 for a key not used yet. */
  pn?: bigint;
}

/** The IGTK and BIGTK KDEs of a PMF station (none without PMF). */
function managementKdes(igtk: ManagementKey | undefined, bigtk: ManagementKey | undefined): Buffer[] {
  const out: Buffer[] = [];
  if (igtk !== undefined) out.push(encodeIgtkKde({ keyId: igtk.keyId, ipn: igtk.pn ?? 0n, key: igtk.key }));
  if (bigtk !== undefined) out.push(encodeBigtkKde({ keyId: bigtk.keyId, ipn: bigtk.pn ?? 0n, key: bigtk.key }));
  return out;
}

/**
 * Msg 3/4: ANonce, the AP's RSNE as advertised (and its RSNXE, when it advertises one:
 * downgrade protection, §12.7.6.4), the GTK KDE and, with PMF, the IGTK and BIGTK KDEs,
 * wrapped with the KEK, MIC'd.
 */
export function buildMsg3(a: {
  version: number;
  pairwiseCipher: number;
  replayCounter: bigint;
  anonce: Buffer;
  apRsne: Buffer;
  apRsnxe?: Buffer;
  gtk: Buffer;
  gtkKeyId: number;
  /** The GTK's transmit packet number (Key RSC, 6 octets little-endian); 0 for a GTK not used yet. */
  gtkRsc?: bigint;
  igtk?: ManagementKey;
  bigtk?: ManagementKey;
  kck: Buffer;
  kek: Buffer;
}): Buffer {
  const kde = Buffer.concat([encodeGtkKde({ keyId: a.gtkKeyId, tx: true, gtk: a.gtk }), ...managementKdes(a.igtk, a.bigtk)]);
  const plain = padKeyData(Buffer.concat(a.apRsnxe !== undefined ? [a.apRsne, a.apRsnxe, kde] : [a.apRsne, kde]));
  const keyData = wrapped(a.kek, plain, kde);
  const key = newEapolKey({
    keyInfo:
      a.version | KeyInfo.PAIRWISE | KeyInfo.INSTALL | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.ENCRYPTED_KEY_DATA,
    keyLength: tkLength(a.pairwiseCipher),
    replayCounter: a.replayCounter,
    nonce: a.anonce,
    rsc: rscOctets(a.gtkRsc ?? 0n),
    keyData,
  });
  return signed(encodeEapolKeyFrame(key, AUTHENTICATOR_EAPOL_VERSION), a.kck, a.version);
}

/** The 8-octet Key RSC field: the packet number little-endian in the first 6 octets (CCMP, GCMP). */
function rscOctets(pn: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeUIntLE(Number(pn & 0xffff_ffff_ffffn), 0, 6);
  return out;
}

/** Group msg 1/2: the new GTK KDE (with PMF the new IGTK and BIGTK KDEs), wrapped with the KEK, MIC'd. */
export function buildGroupMsg1(a: { version: number; replayCounter: bigint; gtk: Buffer; gtkKeyId: number; igtk?: ManagementKey; bigtk?: ManagementKey; kck: Buffer; kek: Buffer }): Buffer {
  const kde = Buffer.concat([encodeGtkKde({ keyId: a.gtkKeyId, tx: true, gtk: a.gtk }), ...managementKdes(a.igtk, a.bigtk)]);
  const keyData = wrapped(a.kek, padKeyData(kde), kde);
  const key = newEapolKey({
    keyInfo: a.version | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.ENCRYPTED_KEY_DATA,
    keyLength: 0,
    replayCounter: a.replayCounter,
    keyData,
  });
  return signed(encodeEapolKeyFrame(key, AUTHENTICATOR_EAPOL_VERSION), a.kck, a.version);
}

/** Key Data wrapped with the KEK; the plaintext copies of the GTK are wiped. */
function wrapped(kek: Buffer, plain: Buffer, kde: Buffer): Buffer {
  const out = aesKeyWrap(kek, plain);
  wipe(plain);
  wipe(kde); // the same buffer as `plain` when padKeyData had nothing to add
  return out;
}

function signed(frame: Buffer, kck: Buffer, version: number): Buffer {
  // The MIC field is zero in a freshly encoded frame: compute over it, then fill it in.
  writeMic(frame, calculateEapolKeyMic(kck, frame, version));
  return frame;
}
