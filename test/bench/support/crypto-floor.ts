/**
 * The crypto floor of one EAP-TLS join on the authenticator's side: the cryptography the
 * authenticator itself must do for one station, run alone in a loop (no I/O, no state
 * machines, no gRPC), timed as CPU time of this process. The TLS handshake's public-key
 * work is not in it: it happens in the station and in FreeRADIUS, never in the
 * authenticator.
 *
 * - RADIUS, per Access-Request of a recorded real conversation (same attributes, same
 *   sizes, same number of round trips): a fresh Request Authenticator (CSPRNG), the
 *   Message-Authenticator of the request (RFC 3579 §3.2, HMAC-MD5), and on the response the
 *   Response Authenticator (RFC 2865 §3, MD5) and Message-Authenticator checks; on the
 *   Access-Accept the two MS-MPPE keys decrypted (RFC 2548 §2.4.2-3, MD5).
 * - The 4-way handshake with AKM 00-0F-AC:1 and CCMP (IEEE 802.11-2020 §12.7.6): ANonce
 *   (CSPRNG), PTK = PRF-384 (§12.7.1.3), msg 2/4 MIC verified (HMAC-SHA1-128), msg 3/4 key
 *   data wrapped with the KEK (RFC 3394) and its MIC, msg 4/4 MIC verified, and the PMKID
 *   of the new PMKSA (§12.7.1.3).
 *
 * Also the WPA2-PSK floor (measurePskCryptoFloor) and the WPA3-SAE floor
 * (measureSaeCryptoFloor): SAE with H2E on the AP's side, then the 4-way handshake of AKM 8.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AKM, CIPHER, aesKeyWrap, calculateEapolKeyMic, computePmkid, derivePtk, keyDescriptorVersionFor, sae } from '@airlock/rsn';
import {
  Attr,
  MsAttr,
  RadiusClient,
  RadiusCode,
  VENDOR_MICROSOFT,
  buildAccessRequest,
  buildResponse,
  decryptMppeKey,
  findVendorAttribute,
  messageAuthenticator,
  responseAuthenticator,
  verifyResponse,
  type RadiusServer,
} from '@airlock/radius';
import type { EapPeerOptions } from '@airlock/supplicant';
import { RandomPool } from '@airlock/authenticator';
import { authenticateDirect, type RoundTrip } from './direct-eap.js';

/** One real EAP conversation with the Request Authenticator of each Access-Request. */
export interface RecordedConversation {
  roundTrips: RoundTrip[];
  requestAuthenticators: Buffer[];
  tlsVersion: string | undefined;
}

/** Runs one authentication alone and records it (no concurrency: the authenticators map to round trips in order). */
export async function recordConversation(server: RadiusServer, peerOptions: EapPeerOptions, ssid: string): Promise<RecordedConversation> {
  const requestAuthenticators: Buffer[] = [];
  const client = new RadiusClient({
    servers: [server],
    random: (n) => {
      const b = randomBytes(n);
      if (n === 16) requestAuthenticators.push(Buffer.from(b)); // (the client also draws 1 octet: its first Identifier)
      return b;
    },
  });
  await client.start();
  try {
    const r = await authenticateDirect(client, peerOptions, Buffer.from([0x02, 0xd5, 0xff, 0xff, 0xff, 0x01]), ssid);
    if (!r.ok) throw new Error(`recording an EAP conversation failed: ${r.error ?? ''}`);
    if (requestAuthenticators.length !== r.roundTrips.length) throw new Error('recording an EAP conversation: a request was retransmitted; run again');
    return { roundTrips: r.roundTrips, requestAuthenticators, tlsVersion: r.tlsVersion };
  } finally {
    await client.close();
  }
}

/** CPU microseconds per join of each part of the floor. */
export interface CryptoFloor {
  radiusUs: number;
  fourWayUs: number;
  totalUs: number;
  roundTrips: number;
  iterations: number;
}

interface PreparedRoundTrip {
  identifier: number;
  ra: Buffer;
  request: Buffer;
  response: Buffer;
  mppe: Buffer[];
}

function cpuUs(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

/** The sizes of one 4-way handshake's EAPOL-Key frames, from the 802.1X header on (4 + 95 octets of descriptor + Key Data). */
interface FourWayShape {
  /** Msg 2/4 with its Key Data (the station's RSNE, and its RSNXE for SAE). */
  msg2Length: number;
  /** Msg 3/4's Key Data before wrapping, padded to a multiple of 8 (RFC 3394). */
  msg3KeyDataPlain: number;
}

/** WPA2 (AKM 1 or 2, CCMP, no PMF). */
const WPA2_SHAPE: FourWayShape = {
  msg2Length: 4 + 95 + 22, // Key Data: the station's RSNE (CCMP/CCMP, one AKM)
  msg3KeyDataPlain: 48, // the AP's RSNE (22) + GTK KDE (24) + padding
};

/** WPA3-Personal (AKM 8, CCMP, PMF required, BIP-CMAC-128, H2E). */
const SAE_SHAPE: FourWayShape = {
  // the station's RSNE with PMF and the PMKID of the SAE exchange (44) + its RSNXE (3)
  msg2Length: 4 + 95 + 47,
  // the AP's RSNE with PMF (28) + GTK KDE (24) + IGTK KDE (30) + RSNXE (3) + padding
  msg3KeyDataPlain: 88,
};

const MSG4_LENGTH = 4 + 95;

/** Measures the floor over `iterations` joins (after a warm-up of a tenth as many). */
export function measureEapTlsCryptoFloor(conv: RecordedConversation, secret: Buffer, iterations: number): CryptoFloor {
  const prepared: PreparedRoundTrip[] = conv.roundTrips.map((rt, i) => {
    const identifier = i & 0xff;
    const ra = conv.requestAuthenticators[i];
    const request = buildAccessRequest({ identifier, requestAuthenticator: ra, attributes: rt.request, secret });
    const response = buildResponse({
      code: rt.code,
      identifier,
      requestAuthenticator: ra,
      attributes: rt.response.filter((a) => a.type !== Attr.MessageAuthenticator),
      secret,
      messageAuthenticator: true,
    });
    const v = verifyResponse(response, { identifier, authenticator: ra, code: RadiusCode.AccessRequest }, secret);
    if (!v.ok) throw new Error(`crypto floor: rebuilt response ${i} does not verify: ${v.error.detail}`);
    const mppe: Buffer[] = [];
    if (rt.code === RadiusCode.AccessAccept) {
      for (const t of [MsAttr.MppeRecvKey, MsAttr.MppeSendKey]) {
        const value = findVendorAttribute(rt.response, VENDOR_MICROSOFT, t);
        if (value === undefined || decryptMppeKey(value, secret, ra)?.length !== 32) throw new Error('crypto floor: the recorded Access-Accept has no usable MS-MPPE keys');
        mppe.push(value);
      }
    }
    return { identifier, ra, request, response, mppe };
  });

  const radiusJoin = (): void => {
    for (const p of prepared) {
      randomBytes(16);
      messageAuthenticator(p.request, p.ra, secret);
      const ra = responseAuthenticator(p.response, p.ra, secret);
      if (!timingSafeEqual(ra, p.response.subarray(4, 20))) throw new Error('crypto floor: Response Authenticator');
      const ma = messageAuthenticator(p.response, p.ra, secret);
      if (!timingSafeEqual(ma, p.response.subarray(22, 38))) throw new Error('crypto floor: Message-Authenticator');
      for (const v of p.mppe) decryptMppeKey(v, secret, p.ra);
    }
  };

  const fourWayJoin = fourWayCrypto(AKM.IEEE8021X, () => randomBytes(32), true);
  const radiusUs = cpuPerCall(radiusJoin, iterations);
  const fourWayUs = cpuPerCall(fourWayJoin, iterations);
  return { radiusUs, fourWayUs, totalUs: radiusUs + fourWayUs, roundTrips: prepared.length, iterations };
}

/**
 * The authenticator's crypto of one 4-way handshake (CCMP), as one call: a fresh ANonce, the
 * PTK (PRF-384 for AKM 1 and 2, KDF-SHA256 for AKM 8), msg 2/4 MIC checked, msg 3/4 key data
 * wrapped with the KEK and its MIC, msg 4/4 MIC checked, and with `pmkid` the PMKID of the
 * new PMKSA. The MICs are the AKM's: HMAC-SHA1-128 (key descriptor version 2), AES-128-CMAC
 * (version 0 for SAE).
 */
function fourWayCrypto(akm: number, anonceOf: () => Buffer, pmkid: boolean, shape: FourWayShape = WPA2_SHAPE): () => number {
  const descriptorVersion = keyDescriptorVersionFor(akm);
  if (descriptorVersion === undefined) throw new Error(`crypto floor: no key descriptor version for AKM ${akm}`);
  const pmk = randomBytes(32);
  const aa = Buffer.from([0x02, 0xa1, 0, 1, 0, 1]);
  const spa = Buffer.from([0x02, 0x5a, 0, 1, 0, 1]);
  const snonce = randomBytes(32);
  const msg2 = randomBytes(shape.msg2Length);
  const msg3 = randomBytes(4 + 95 + shape.msg3KeyDataPlain + 8); // AES key wrap adds 8 octets
  const msg4 = randomBytes(MSG4_LENGTH);
  const keyData = randomBytes(shape.msg3KeyDataPlain);
  const receivedMic = randomBytes(16);
  // The results feed a sink the caller returns, so nothing is optimised away.
  return () => {
    let sink = 0;
    const ptk = derivePtk({ pmk, aa, spa, anonce: anonceOf(), snonce, akm, cipher: CIPHER.CCMP_128 });
    // A real MIC would match; the comparison costs the same either way.
    sink += timingSafeEqual(calculateEapolKeyMic(ptk.kck, msg2, descriptorVersion), receivedMic) ? 1 : 0;
    sink += aesKeyWrap(ptk.kek, keyData).length;
    sink += calculateEapolKeyMic(ptk.kck, msg3, descriptorVersion).length;
    sink += timingSafeEqual(calculateEapolKeyMic(ptk.kck, msg4, descriptorVersion), receivedMic) ? 1 : 0;
    if (pmkid) sink += computePmkid(pmk, aa, spa, akm).length;
    return sink;
  };
}

/** CPU µs per call of `f` over `iterations` calls, after a tenth as many to warm up. */
function cpuPerCall(f: () => unknown, iterations: number): number {
  for (let i = 0; i < Math.ceil(iterations / 10); i++) f();
  const t0 = cpuUs();
  for (let i = 0; i < iterations; i++) f();
  return (cpuUs() - t0) / iterations;
}

/**
 * The crypto floor of one WPA2-PSK 4-way handshake on the authenticator's side (AKM
 * 00-0F-AC:2, CCMP; the PMK comes from the PSK cache, so no PBKDF2): ANonce (the
 * authenticator's RandomPool),
 * PTK = PRF-384, msg 2/4 MIC verified, msg 3/4 key data wrapped with the KEK and its MIC,
 * msg 4/4 MIC verified. CPU µs per handshake over `iterations` (after a tenth as warm-up).
 */
export function measurePskCryptoFloor(iterations: number): number {
  // The authenticator draws its ANonces from the same pool.
  const pool = new RandomPool();
  return cpuPerCall(fourWayCrypto(AKM.PSK, () => pool.take(32), false), iterations);
}

/** CPU microseconds per join of each part of the WPA3-SAE floor. */
export interface SaeCryptoFloor {
  /** The AP's side of one SAE exchange (H2E). */
  saeUs: number;
  /** The 4-way handshake that follows (AKM 8). */
  fourWayUs: number;
  totalUs: number;
  iterations: number;
}

/** Stations whose Commits the floor answers in turn (each its own MAC address, so its own PWE). */
const SAE_FLOOR_STATIONS = 64;

/**
 * The crypto floor of one WPA3-Personal join on the authenticator's side (SAE with
 * hash-to-element for group 19, IEEE 802.11-2020 §12.4, then the 4-way handshake with AKM
 * 00-0F-AC:8, §12.7.6):
 *
 * - SAE, the AP's protocol instance: the PWE of the pair from the network's warm
 *   SaePasswordElement (PT derived once per password, as the authenticator keeps it:
 *   h2ePwe, one HMAC), our Commit (generateCommit: rand and mask from the RandomPool, one
 *   scalar multiplication of PT), the station's Commit checked and processed
 *   (decodePeerCommit, processPeerCommit: a scalar multiplication of PT, a point addition,
 *   the ECDH multiplication for K, keyseed, KCK / PMK / PMKID, our element encoded), the
 *   station's Confirm verified (verifyPeerConfirm) and ours computed (ownConfirm), the keys
 *   wiped. The station Commits are real ones, made beforehand by the station side for
 *   SAE_FLOOR_STATIONS addresses; their Confirms are not (a Confirm that verifies would need
 *   the station's half of each exchange inside the loop): verifying costs the same.
 * - The 4-way handshake with AKM 8: PTK = KDF-SHA256, AES-128-CMAC MICs on msg 2/4, 3/4 and
 *   4/4, the msg 3/4 Key Data (RSNE with PMF, GTK, IGTK and RSNXE) wrapped with the KEK. No
 *   PMKID computation: SAE's comes from the exchange.
 *
 * CPU µs per join of each part: SAE over `iterations`, the 4-way handshake over
 * `fourWayIterations` (each after a tenth as many to warm up).
 */
export function measureSaeCryptoFloor(iterations: number, fourWayIterations: number, ssid: Buffer, password: Buffer): SaeCryptoFloor {
  const pool = new RandomPool();
  const random = (n: number): Buffer => pool.take(n);
  const pt = sae.SaePasswordElement.derive(ssid, password);
  const aa = Buffer.from([0x02, 0xa1, 0, 1, 0, 1]);
  const stations = Array.from({ length: SAE_FLOOR_STATIONS }, (_, i) => {
    const mac = Buffer.from([0x02, 0x5a, 0, 1, (i >> 8) & 0xff, i & 0xff]);
    const commit = sae.encodeCommit(sae.generateCommit(sae.h2ePwe(pt, mac, aa), random));
    return { mac, scalar: commit.scalar, element: commit.element, confirm: randomBytes(sae.CONFIRM_LENGTH) };
  });
  let next = 0;
  const saeJoin = (): number => {
    const sta = stations[next];
    next = (next + 1) % stations.length;
    const own = sae.generateCommit(sae.h2ePwe(pt, aa, sta.mac), random);
    const peer = sae.decodePeerCommit(sta.scalar, sta.element);
    if (!peer.ok) throw new Error(`crypto floor: a station Commit does not decode: ${peer.error.detail}`);
    const keys = sae.processPeerCommit(own, peer.value);
    if (!keys.ok) throw new Error(`crypto floor: a station Commit does not process: ${keys.error.detail}`);
    // A real Confirm would verify; the comparison costs the same either way.
    let sink = sae.verifyPeerConfirm(keys.value, 1, sta.confirm) ? 1 : 0;
    sink += sae.ownConfirm(keys.value, 1).length;
    sae.wipeKeys(keys.value);
    return sink;
  };
  const saeUs = cpuPerCall(saeJoin, iterations);
  const fourWayUs = cpuPerCall(fourWayCrypto(AKM.SAE, () => pool.take(32), false, SAE_SHAPE), fourWayIterations);
  return { saeUs, fourWayUs, totalUs: saeUs + fourWayUs, iterations };
}
