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
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AKM, CIPHER, aesKeyWrap, calculateEapolKeyMic, computePmkid, derivePtk } from '@airlock/rsn';
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

/** EAPOL-Key frame sizes from the 802.1X header on: 4 + 95 octets of descriptor + Key Data. */
const MSG2_LENGTH = 4 + 95 + 22; // Key Data: the station's RSNE (CCMP/CCMP, one AKM)
const MSG3_KEY_DATA_PLAIN = 48; // the AP's RSNE (22) + GTK KDE (24) + padding (RFC 3394 needs a multiple of 8)
const MSG3_LENGTH = 4 + 95 + MSG3_KEY_DATA_PLAIN + 8; // AES key wrap adds 8 octets
const MSG4_LENGTH = 4 + 95;
const DESCRIPTOR_VERSION_HMAC_SHA1 = 2;

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
 * The authenticator's crypto of one 4-way handshake (CCMP, HMAC-SHA1-128 MICs), as one
 * call: a fresh ANonce, PTK = PRF-384, msg 2/4 MIC checked, msg 3/4 key data wrapped with
 * the KEK and its MIC, msg 4/4 MIC checked, and with `pmkid` the PMKID of the new PMKSA.
 */
function fourWayCrypto(akm: number, anonceOf: () => Buffer, pmkid: boolean): () => number {
  const pmk = randomBytes(32);
  const aa = Buffer.from([0x02, 0xa1, 0, 1, 0, 1]);
  const spa = Buffer.from([0x02, 0x5a, 0, 1, 0, 1]);
  const snonce = randomBytes(32);
  const msg2 = randomBytes(MSG2_LENGTH);
  const msg3 = randomBytes(MSG3_LENGTH);
  const msg4 = randomBytes(MSG4_LENGTH);
  const keyData = randomBytes(MSG3_KEY_DATA_PLAIN);
  const receivedMic = randomBytes(16);
  // The results feed a sink the caller returns, so nothing is optimised away.
  return () => {
    let sink = 0;
    const ptk = derivePtk({ pmk, aa, spa, anonce: anonceOf(), snonce, akm, cipher: CIPHER.CCMP_128 });
    // A real MIC would match; the comparison costs the same either way.
    sink += timingSafeEqual(calculateEapolKeyMic(ptk.kck, msg2, DESCRIPTOR_VERSION_HMAC_SHA1), receivedMic) ? 1 : 0;
    sink += aesKeyWrap(ptk.kek, keyData).length;
    sink += calculateEapolKeyMic(ptk.kck, msg3, DESCRIPTOR_VERSION_HMAC_SHA1).length;
    sink += timingSafeEqual(calculateEapolKeyMic(ptk.kck, msg4, DESCRIPTOR_VERSION_HMAC_SHA1), receivedMic) ? 1 : 0;
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
