/**
 * Pairwise key hierarchy, IEEE 802.11-2020 §12.7.1.3: PTK = KCK || KEK || TK derived from
 * the PMK with PRF-n (AKM 00-0F-AC:1, :2) or KDF-SHA-256 (AKM :5, :6, and :8 SAE, whose
 * KCK and KEK are 16 octets too), and the PMKID. Key lengths from Table 12-8 (cipher
 * suites) and Table 12-11 (AKMs).
 */
import { createHmac } from 'node:crypto';
import { AKM, CIPHER } from '../suites.js';
import { kdfSha256, prf } from './kdf.js';

/** The keys of a PTK; each is a separate view of one buffer, so each can be wiped on its own. */
export interface PtkKeys {
  /** EAPOL-Key Key Confirmation Key: authenticates EAPOL-Key frames (the MIC). */
  readonly kck: Buffer;
  /** EAPOL-Key Key Encryption Key: wraps the Key Data of msg 3/4 and group msg 1/2. */
  readonly kek: Buffer;
  /** Temporal Key installed for the pairwise cipher. */
  readonly tk: Buffer;
}

/**
 * A PTK held as the one Buffer the PRF made, its parts as views made on use: a station keeps
 * its PTK for as long as it is associated, and one object less per part adds up over
 * 100,000 stations. Wiping a part wipes the PTK's own octets.
 */
class Ptk implements PtkKeys {
  constructor(readonly octets: Buffer) {}
  get kck(): Buffer {
    return this.octets.subarray(0, KCK_LEN);
  }
  get kek(): Buffer {
    return this.octets.subarray(KCK_LEN, KCK_LEN + KEK_LEN);
  }
  get tk(): Buffer {
    return this.octets.subarray(KCK_LEN + KEK_LEN);
  }
}

/** A PTK over octets KCK || KEK || TK the caller holds (e.g. a copy in memory of its own). */
export function ptkFromOctets(octets: Buffer): PtkKeys & { readonly octets: Buffer } {
  return new Ptk(octets);
}

/** The octets KCK || KEK || TK of a PTK, copied into `dst` (at least as long). */
export function copyPtkOctets(ptk: PtkKeys, dst: Buffer): Buffer {
  dst.set(ptk.kck, 0);
  dst.set(ptk.kek, KCK_LEN);
  dst.set(ptk.tk, KCK_LEN + KEK_LEN);
  return dst;
}

/** Octets of a PTK: KCK and KEK (16 each) and the TK. */
export function ptkLength(ptk: PtkKeys): number {
  return KCK_LEN + KEK_LEN + ptk.tk.length;
}

const KCK_LEN = 16;
const KEK_LEN = 16;
const MAC_LEN = 6;
const NONCE_LEN = 32;
const PTK_LABEL = 'Pairwise key expansion';
const PMK_NAME = Buffer.from('PMK Name', 'latin1');

/**
 * EAPOL-Key Key Descriptor Version for an AKM (§12.7.2, Key Information): 2 = HMAC-SHA1-128
 * MIC and AES key wrap (AKM 1, 2); 3 = AES-128-CMAC MIC and AES key wrap (AKM 5, 6);
 * 0 = "AKM-defined", which for SAE (AKM 8) is an AES-128-CMAC MIC and AES key wrap (as
 * hostapd's wpa_eapol_key_mic() and wpa_use_aes_key_wrap() have it). Undefined for an AKM
 * this package does not implement: 0 is a real version, not "unsupported".
 */
export function keyDescriptorVersionFor(akm: number): 0 | 2 | 3 | undefined {
  switch (akm) {
    case AKM.IEEE8021X:
    case AKM.PSK:
      return 2;
    case AKM.IEEE8021X_SHA256:
    case AKM.PSK_SHA256:
      return 3;
    case AKM.SAE:
      return 0;
    default:
      return undefined;
  }
}

/** The PTK and PMKID hash of a supported AKM: SHA-1 (AKM 1, 2) or SHA-256 (5, 6, 8); undefined otherwise. */
function akmHash(akm: number): 'sha1' | 'sha256' | undefined {
  switch (keyDescriptorVersionFor(akm)) {
    case 2:
      return 'sha1';
    case 0:
    case 3:
      return 'sha256';
    default:
      return undefined;
  }
}

/** TK length in octets for a pairwise cipher (Table 12-8); 0 for ciphers this core does not support. */
export function tkLength(cipher: number): number {
  switch (cipher) {
    case CIPHER.CCMP_128:
    case CIPHER.GCMP_128:
      return 16;
    case CIPHER.CCMP_256:
    case CIPHER.GCMP_256:
      return 32;
    default:
      // TKIP and WEP are deliberately unsupported.
      return 0;
  }
}

/** Min(AA,SPA) || Max(AA,SPA) || Min(ANonce,SNonce) || Max(ANonce,SNonce), compared as unsigned big-endian integers. */
export function pairwiseExpansionData(aa: Uint8Array, spa: Uint8Array, anonce: Uint8Array, snonce: Uint8Array): Buffer {
  if (aa.length !== MAC_LEN || spa.length !== MAC_LEN) throw new RangeError('AA and SPA must be 6 octets');
  if (anonce.length !== NONCE_LEN || snonce.length !== NONCE_LEN) throw new RangeError('ANonce and SNonce must be 32 octets');
  const out = Buffer.allocUnsafe(2 * MAC_LEN + 2 * NONCE_LEN); // every octet is set below
  const aaFirst = Buffer.compare(aa, spa) <= 0;
  out.set(aaFirst ? aa : spa, 0);
  out.set(aaFirst ? spa : aa, MAC_LEN);
  const anonceFirst = Buffer.compare(anonce, snonce) <= 0;
  out.set(anonceFirst ? anonce : snonce, 2 * MAC_LEN);
  out.set(anonceFirst ? snonce : anonce, 2 * MAC_LEN + NONCE_LEN);
  return out;
}

/**
 * Derives the PTK of §12.7.1.3 and splits it into KCK (16), KEK (16) and TK (tkLength(cipher)).
 * Throws RangeError for an unsupported AKM or cipher: callers check both first.
 */
export function derivePtk(a: {
  pmk: Uint8Array;
  aa: Uint8Array;
  spa: Uint8Array;
  anonce: Uint8Array;
  snonce: Uint8Array;
  akm: number;
  cipher: number;
}): PtkKeys {
  const hash = akmHash(a.akm);
  const tkLen = tkLength(a.cipher);
  if (hash === undefined) throw new RangeError(`unsupported AKM 0x${a.akm.toString(16)}`);
  if (tkLen === 0) throw new RangeError(`unsupported pairwise cipher 0x${a.cipher.toString(16)}`);
  const data = pairwiseExpansionData(a.aa, a.spa, a.anonce, a.snonce);
  const bits = (KCK_LEN + KEK_LEN + tkLen) * 8;
  const ptk = hash === 'sha1' ? prf(a.pmk, PTK_LABEL, data, bits) : kdfSha256(a.pmk, PTK_LABEL, data, bits);
  return new Ptk(ptk);
}

/**
 * PMKID of §12.7.1.3: Truncate-128(HMAC-SHA1(PMK, "PMK Name" || AA || SPA)) for AKM 1, 2;
 * HMAC-SHA-256 for AKM 5, 6. Throws RangeError for other AKMs, SAE (8) included: its
 * PMKID is not derived from the PMK but from the commit scalars (§12.4.5.4), so it comes
 * from the SAE exchange.
 */
export function computePmkid(pmk: Uint8Array, aa: Uint8Array, spa: Uint8Array, akm: number): Buffer {
  if (akm === AKM.SAE) throw new RangeError('the SAE PMKID comes from the SAE exchange, not from the PMK');
  const hash = akmHash(akm);
  if (hash === undefined) throw new RangeError(`unsupported AKM 0x${akm.toString(16)}`);
  const digest = createHmac(hash, pmk).update(PMK_NAME).update(aa).update(spa).digest();
  return digest.subarray(0, 16);
}
