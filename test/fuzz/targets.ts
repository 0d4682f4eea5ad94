/**
 * Fuzz targets (issue 5 item 4): fast-check properties over every decoder that reads bytes
 * from a station, an agent or a RADIUS server, and over the authenticator's AgentLink
 * session fed random and mutated AgentMessages. Each target runs `runs` cases of
 * arbitrary inputs and mutations of valid ones; a failure throws with fast-check's
 * counterexample and seed. `npm run fuzz` runs each with 100,000+ cases (test/fuzz/run.ts);
 * `npm test` runs them with a few thousand (fuzz.test.ts).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AKM,
  CIPHER,
  decodeEap,
  decodeEapol,
  decodeEapolKey,
  decodeEapTlsPayload,
  decodeGtkKde,
  decodeKeyData,
  decodeRsne,
  encodeEap,
  encodeEapol,
  encodeEapTlsPayload,
  encodeGtkKde,
  encodePmkidKde,
  encodeRsne,
  EapolType,
} from '@airlock/rsn';
import { frameLines, hex, IWD_4WAY, IWD_WPA2 } from '@airlock/rsn/testing';
import { buildAccessRequest, buildResponse, decodeRadius, decodeTaggedString, decodeVendorSpecific, RadiusCode, verifyRequest, verifyResponse } from '@airlock/radius';
import { mutated } from './mutate.js';
import { fuzzSession, type SessionFuzzStats } from './session-target.js';

/** One fuzz target. */
export interface FuzzTarget {
  name: string;
  /** What it feeds and what it checks. */
  what: string;
  run(runs: number, seed?: number): void | Promise<void>;
}

/** A decoder result: ok with a value, or a named error with a detail. Never an exception. */
type Decoded = { ok: true } | { ok: false; error: { code: string; detail: string } };

function checkResult(r: Decoded): void {
  if (r.ok) return;
  assert.equal(typeof r.error.code, 'string');
  assert.ok(r.error.detail.length > 0, `error ${r.error.code} without detail`);
}

/** Arbitrary bytes, or mutations of the seeds (half and half). */
function inputs(seeds: readonly Buffer[], maxLength = 400): fc.Arbitrary<Buffer> {
  return fc.oneof(fc.uint8Array({ maxLength }).map((u) => Buffer.from(u)), mutated(seeds));
}

function decoderTarget(name: string, what: string, seeds: readonly Buffer[], check: (b: Buffer) => void): FuzzTarget {
  return {
    name,
    what,
    run(runs, seed) {
      fc.assert(fc.property(inputs(seeds), check), { numRuns: runs, seed });
    },
  };
}

const CAPTURED: Buffer[] = [...Object.values(IWD_4WAY.frames), ...Object.values(IWD_WPA2.frames)].map((f) => hex(frameLines(f)));
const RSNE_PSK = encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128], akms: [AKM.PSK], capabilities: 0 });
const RSNE_PMKID = encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128, CIPHER.GCMP_256], akms: [AKM.IEEE8021X, AKM.PSK_SHA256], capabilities: 0x000c, pmkids: [Buffer.alloc(16, 7)] });
const GTK_KDE = encodeGtkKde({ keyId: 1, tx: false, gtk: Buffer.alloc(16, 0x42) });
const EAP_SEEDS = [
  encodeEap({ code: 1, identifier: 1, type: 1, data: Buffer.alloc(0) }),
  encodeEap({ code: 2, identifier: 7, type: 1, data: Buffer.from('alice@example.org') }),
  encodeEap({ code: 1, identifier: 9, type: 13, data: encodeEapTlsPayload({ flags: 0xc0, version: 0, messageLength: 3000, data: Buffer.alloc(100, 0x16) }) }),
  encodeEap({ code: 3, identifier: 9, type: undefined, data: Buffer.alloc(0) }),
];
const SECRET = Buffer.from('fuzzing secret');
const REQ_AUTH = Buffer.alloc(16, 0x5a);
const RADIUS_RESPONSE = buildResponse({ code: RadiusCode.AccessChallenge, identifier: 3, requestAuthenticator: REQ_AUTH, secret: SECRET, messageAuthenticator: true, attributes: [{ type: 79, value: EAP_SEEDS[2] }, { type: 24, value: Buffer.alloc(16, 1) }, { type: 26, value: Buffer.concat([Buffer.from([0, 0, 1, 0x37, 16, 6]), Buffer.alloc(4, 9)]) }] });
const RADIUS_REQUEST = buildAccessRequest({ identifier: 3, requestAuthenticator: REQ_AUTH, secret: SECRET, attributes: [{ type: 1, value: Buffer.from('alice') }, { type: 79, value: EAP_SEEDS[1] }, { type: 31, value: Buffer.from('02-00-00-00-00-01') }] });

/** What the last agent-session run met (printed by the runner). */
export let lastSessionStats: SessionFuzzStats | undefined;

/** Every target, in the order `npm run fuzz` runs them. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  decoderTarget('eapol', 'IEEE 802.1X frames (decodeEapol): never throws; decode -> encode -> decode stable', [...CAPTURED, encodeEapol({ version: 2, type: EapolType.Start, body: Buffer.alloc(0) })], (b) => {
    const r = decodeEapol(b);
    checkResult(r);
    if (r.ok) assert.deepStrictEqual(decodeEapol(encodeEapol(r.value)), r);
  }),
  decoderTarget('eapol-key', 'EAPOL-Key bodies (decodeEapolKey) of captured 4-way frames: never throws; fields within the body', CAPTURED.map((f) => f.subarray(4)), (b) => {
    const r = decodeEapolKey(b);
    checkResult(r);
    if (r.ok) assert.ok(r.value.keyData.length <= b.length, 'key data within the body');
  }),
  decoderTarget('eap', 'EAP packets (decodeEap) and EAP-TLS framing (decodeEapTlsPayload): never throw; EAP round trip stable', EAP_SEEDS, (b) => {
    const r = decodeEap(b);
    checkResult(r);
    if (r.ok) {
      assert.deepStrictEqual(decodeEap(encodeEap(r.value)), r);
      if (r.value.type === 13 || r.value.type === 21 || r.value.type === 25) checkResult(decodeEapTlsPayload(r.value.data));
    }
  }),
  decoderTarget('rsne', 'RSN elements (decodeRsne): never throws; decode -> encode -> decode stable', [RSNE_PSK, RSNE_PMKID], (b) => {
    const r = decodeRsne(b);
    checkResult(r);
    if (r.ok) assert.deepStrictEqual(decodeRsne(encodeRsne(r.value)), r);
  }),
  decoderTarget('kde', 'Key Data elements and KDEs (decodeKeyData, decodeGtkKde): never throw', [Buffer.concat([RSNE_PSK, GTK_KDE]), Buffer.concat([encodePmkidKde(Buffer.alloc(16, 3)), Buffer.from([0xdd, 0x00])]), GTK_KDE.subarray(6)], (b) => {
    const r = decodeKeyData(b);
    checkResult(r);
    checkResult(decodeGtkKde(b));
  }),
  decoderTarget('radius', 'RADIUS packets (decodeRadius, verifyResponse, verifyRequest, VSA and tagged attributes): never throw; a mutated response never verifies', [RADIUS_RESPONSE, RADIUS_REQUEST], (b) => {
    const r = decodeRadius(b);
    checkResult(r);
    const v = verifyResponse(b, { identifier: 3, authenticator: REQ_AUTH, code: RadiusCode.AccessRequest }, SECRET);
    checkResult(v);
    if (v.ok) assert.ok(b.subarray(0, (b[2] << 8) | b[3]).equals(RADIUS_RESPONSE), 'only the genuine response verifies');
    checkResult(verifyRequest(b, SECRET));
    if (r.ok) {
      for (const a of r.value.attributes) {
        if (a.type === 26) checkResult(decodeVendorSpecific(a.value));
        if (a.type === 81) checkResult(decodeTaggedString(a.value));
      }
    }
  }),
  {
    name: 'agent-session',
    what: "the authenticator's AgentLink session (AgentSession + service + core) fed random and mutated AgentMessages after a valid Hello: no exception escapes, a protocol error ends only that stream with a gRPC status, and a healthy agent's authorized station is untouched",
    async run(runs, seed) {
      const s = await fuzzSession(runs, seed);
      // The cases reached every layer: welcomed streams, each kind of refusal, stations in
      // the core, frames dropped by the codecs and the machines.
      assert.equal(s.cases, runs);
      assert.ok(s.welcomed > runs / 10, `welcomed ${s.welcomed} of ${runs}`);
      for (const code of ['FAILED_PRECONDITION', 'PERMISSION_DENIED']) assert.ok((s.ended[code] ?? 0) > 0, `some streams ended with ${code}: ${JSON.stringify(s.ended)}`);
      assert.ok(s.maxStations > 0, 'hostile stations reached the core');
      assert.ok(Object.keys(s.dropped).length >= 5, `drops by several reasons: ${JSON.stringify(s.dropped)}`);
      lastSessionStats = s;
    },
  },
];
