/**
 * The EAPOL-Key frames the authenticator sends (IEEE 802.11-2020 §12.7.6.2 msg 1/4,
 * §12.7.6.4 msg 3/4, §12.7.7.2 group msg 1/2), built from the codecs and MIC'd with the KCK.
 */
import { aesKeyWrap, calculateEapolKeyMic, tkLength, wipe } from '../crypto/index.js';
import {
  encodeEapolKeyFrame,
  encodeGtkKde,
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

/** Msg 3/4: ANonce, the AP's RSNE as advertised and the GTK KDE, wrapped with the KEK, MIC'd. */
export function buildMsg3(a: {
  version: number;
  pairwiseCipher: number;
  replayCounter: bigint;
  anonce: Buffer;
  apRsne: Buffer;
  gtk: Buffer;
  gtkKeyId: number;
  kck: Buffer;
  kek: Buffer;
}): Buffer {
  const kde = encodeGtkKde({ keyId: a.gtkKeyId, tx: true, gtk: a.gtk });
  const plain = padKeyData(Buffer.concat([a.apRsne, kde]));
  const keyData = wrapped(a.kek, plain, kde);
  const key = newEapolKey({
    keyInfo:
      a.version | KeyInfo.PAIRWISE | KeyInfo.INSTALL | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.ENCRYPTED_KEY_DATA,
    keyLength: tkLength(a.pairwiseCipher),
    replayCounter: a.replayCounter,
    nonce: a.anonce,
    keyData,
  });
  return signed(encodeEapolKeyFrame(key, AUTHENTICATOR_EAPOL_VERSION), a.kck, a.version);
}

/** Group msg 1/2: the new GTK KDE, wrapped with the KEK, MIC'd. */
export function buildGroupMsg1(a: { version: number; replayCounter: bigint; gtk: Buffer; gtkKeyId: number; kck: Buffer; kek: Buffer }): Buffer {
  const kde = encodeGtkKde({ keyId: a.gtkKeyId, tx: true, gtk: a.gtk });
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
