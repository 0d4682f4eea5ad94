// Tests for signing and verifying Dynamic Authorization packets (RFC 5176 §2.3, §3.4):
// radclient captures, vectors computed by hand (Python hashlib/hmac from the RFC formulas),
// re-statements of the formulas with node:crypto, every refusal, and a fast-check property.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hex } from '@airlock/bytes/testing';
import { attrInt, attrString } from '../codec/attributes.js';
import { verifyResponse } from '../codec/authenticator.js';
import { Attr } from '../codec/constants.js';
import { encodeRadius, type RadiusAttribute } from '../codec/packet.js';
import { buildDasRequest, buildDasResponse, dasRequestAuthenticator, dasResponseCode, verifyDasRequest } from './das-codec.js';
import { DasAttr, DasCode } from './das-constants.js';
import { RADCLIENT_COA, RADCLIENT_DISCONNECT, RADCLIENT_SECRET } from './testdata/radclient-vectors.js';

const SECRET = Buffer.from('hand-vector secret');
const md5 = (...parts: Buffer[]): Buffer => parts.reduce((h, p) => h.update(p), createHash('md5')).digest();

/** Disconnect-Request Id 7 signed with "hand-vector secret": MA first, Calling-Station-Id, Event-Timestamp (Python hashlib/hmac). */
const HAND_DISCONNECT = [
  '28', // Code: Disconnect-Request
  '07', // Identifier 7
  '003f', // Length 63
  '0fb475c1706fc7d93becb6e1aebc3abc', // Request Authenticator = MD5(28 07 003f | 16 zeros | attributes | secret)
  '50 12 3437ffb2b2babf12db5fe8b15da06427', // Message-Authenticator = HMAC-MD5(secret, packet with Authenticator and MA zeroed)
  '1f 13 30322d30302d30302d30302d30312d3030', // Calling-Station-Id "02-00-00-00-01-00"
  '37 06 6553f100', // Event-Timestamp 1700000000
];

/** Its Discon-NAK: MA first, Error-Cause 503, Event-Timestamp 1700000001 (Python hashlib/hmac). */
const HAND_DISCONNECT_NAK = [
  '2a', // Code: Disconnect-NAK
  '07', // Identifier 7
  '0032', // Length 50
  '0294aa5a80da43bb58064028e015d602', // Response Authenticator = MD5(2a 07 0032 | Request Authenticator | attributes | secret)
  '50 12 0dc3460562884e28ec7fe4d1d403360d', // Message-Authenticator over the packet with the Request Authenticator in its Authenticator field
  '65 06 000001f7', // Error-Cause 503
  '37 06 6553f101', // Event-Timestamp 1700000001
];

const CALLING = { type: Attr.CallingStationId, value: attrString('02-00-00-00-01-00') };
const STAMP = { type: DasAttr.EventTimestamp, value: attrInt(1700000000) };

/** RFC 5176 §3.4 re-stated: HMAC-MD5 over the packet with Authenticator and MA zeroed. */
function restatedRequestMa(p: Buffer, maAt: number, secret: Buffer): Buffer {
  const q = Buffer.from(p);
  q.fill(0, 4, 20);
  q.fill(0, maAt, maAt + 16);
  return createHmac('md5', secret).update(q).digest();
}

/** A request with the Request Authenticator recomputed over whatever `p` now holds. */
function resign(p: Buffer, secret: Buffer = SECRET): Buffer {
  const out = Buffer.from(p);
  md5(out.subarray(0, 4), Buffer.alloc(16), out.subarray(20), secret).copy(out, 4);
  return out;
}

function assertRefused(r: ReturnType<typeof verifyDasRequest>, code: string): void {
  assert.ok(!r.ok, 'verification accepted the packet');
  assert.equal(r.error.code, code, `got ${r.error.code}: ${r.error.detail}`);
  assert.ok(r.error.detail.length > 0);
}

void describe('Disconnect-/CoA-Request authenticators (RFC 5176 §2.3, §3.4)', () => {
  void it('verifies radclient 3.2.1 Disconnect-Request and CoA-Request captures (secret testing123, Message-Authenticator last)', () => {
    for (const h of [RADCLIENT_DISCONNECT, RADCLIENT_COA]) {
      const r = verifyDasRequest(hex(h), Buffer.from(RADCLIENT_SECRET));
      assert.ok(r.ok, r.ok ? '' : r.error.detail);
    }
    const coa = verifyDasRequest(hex(RADCLIENT_COA), Buffer.from(RADCLIENT_SECRET));
    assert.ok(coa.ok);
    assert.equal(coa.value.code, DasCode.CoaRequest);
    assert.equal(coa.value.identifier, 89);
    assert.deepEqual(coa.value.attributes.map((a) => a.type), [31, 27, 64, 65, 81, 55, 80]);
  });

  void it('the radclient captures do not verify with another secret', () => {
    assertRefused(verifyDasRequest(hex(RADCLIENT_DISCONNECT), Buffer.from('testing124')), 'bad-request-authenticator');
  });

  void it('buildDasRequest gives the hand-computed Disconnect-Request byte for byte', () => {
    const built = buildDasRequest({ code: DasCode.DisconnectRequest, identifier: 7, attributes: [CALLING, STAMP], secret: SECRET });
    assert.equal(built.toString('hex'), hex(HAND_DISCONNECT).toString('hex'));
    assert.ok(verifyDasRequest(built, SECRET).ok);
  });

  void it('dasRequestAuthenticator is MD5(Code | Identifier | Length | 16 zero octets | Attributes | secret) (re-statement)', () => {
    const p = hex(HAND_DISCONNECT);
    assert.equal(dasRequestAuthenticator(p, SECRET).toString('hex'), md5(p.subarray(0, 4), Buffer.alloc(16), p.subarray(20), SECRET).toString('hex'));
    assert.equal(dasRequestAuthenticator(p, SECRET).toString('hex'), '0fb475c1706fc7d93becb6e1aebc3abc');
    // Octets after Length are padding, not covered (RFC 2865 §3).
    assert.equal(dasRequestAuthenticator(Buffer.concat([p, hex('deadbeef')]), SECRET).toString('hex'), '0fb475c1706fc7d93becb6e1aebc3abc');
  });

  void it('the Message-Authenticator of a request is computed with the Authenticator zeroed, not with its own Request Authenticator', () => {
    const p = hex(HAND_DISCONNECT);
    assert.equal(restatedRequestMa(p, 22, SECRET).toString('hex'), '3437ffb2b2babf12db5fe8b15da06427');
    // Signed the Access-Request way (over the packet as it stands): refused.
    const wrong = Buffer.from(p);
    wrong.fill(0, 22, 38);
    createHmac('md5', SECRET).update(wrong).digest().copy(wrong, 22);
    assertRefused(verifyDasRequest(resign(wrong), SECRET), 'bad-message-authenticator');
  });

  void it('accepts padding after Length and a Message-Authenticator anywhere', () => {
    assert.ok(verifyDasRequest(Buffer.concat([hex(HAND_DISCONNECT), hex('00000000')]), SECRET).ok);
    assert.ok(verifyDasRequest(hex(RADCLIENT_DISCONNECT), Buffer.from(RADCLIENT_SECRET)).ok); // MA last
  });

  void it('refuses: each case its named code', () => {
    const good = hex(HAND_DISCONNECT);
    const noMa = buildDasRequest({ code: DasCode.DisconnectRequest, identifier: 7, attributes: [CALLING, STAMP], secret: SECRET, messageAuthenticator: false });
    const flippedAttr = Buffer.from(good);
    flippedAttr[45] ^= 1; // a Calling-Station-Id octet; Request Authenticator left as it was
    const flippedMa = Buffer.from(good);
    flippedMa[30] ^= 1;
    const twoMa = resign(Buffer.concat([good.subarray(0, 20), good.subarray(20, 38), good.subarray(20)]));
    twoMa.writeUInt16BE(twoMa.length, 2);
    const twoMaSigned = resign(twoMa);
    const shortMa = encodeRadius({ code: 40, identifier: 1, authenticator: Buffer.alloc(16), attributes: [{ type: Attr.MessageAuthenticator, value: Buffer.alloc(15) }, CALLING] });
    const accounting = resign(Buffer.from(good));
    accounting[0] = 4;
    const cases: { desc: string; bytes: Buffer; code: string; require?: boolean }[] = [
      { desc: 'empty datagram', bytes: Buffer.alloc(0), code: 'empty' },
      { desc: 'three octets', bytes: hex('28 07 00'), code: 'truncated' },
      { desc: 'Length 19', bytes: Buffer.concat([hex('28 07 0013'), Buffer.alloc(16)]), code: 'bad-length' },
      { desc: 'Length beyond the datagram', bytes: good.subarray(0, 60), code: 'length-overflow' },
      { desc: 'attribute Length 1', bytes: Buffer.concat([hex('28 07 0016'), Buffer.alloc(16), hex('01 01')]), code: 'bad-length' },
      { desc: 'Accounting-Request (Code 4)', bytes: resign(accounting), code: 'unexpected-code' },
      { desc: 'Disconnect-ACK (Code 41) sent to the server', bytes: resign(Buffer.concat([hex('29'), good.subarray(1)])), code: 'unexpected-code' },
      { desc: 'an attribute changed after signing', bytes: flippedAttr, code: 'bad-request-authenticator' },
      { desc: 'no Message-Authenticator (required by default)', bytes: noMa, code: 'missing-message-authenticator' },
      { desc: 'a wrong Message-Authenticator under a valid Request Authenticator', bytes: resign(flippedMa), code: 'bad-message-authenticator' },
      { desc: 'two Message-Authenticators', bytes: twoMaSigned, code: 'bad-message-authenticator' },
      { desc: 'a 15-octet Message-Authenticator', bytes: resign(shortMa), code: 'bad-message-authenticator' },
    ];
    for (const c of cases) {
      const r = verifyDasRequest(c.bytes, SECRET, c.require === undefined ? {} : { requireMessageAuthenticator: c.require });
      assert.ok(!r.ok, `${c.desc}: accepted`);
      assert.equal(r.error.code, c.code, `${c.desc}: got ${r.error.code} (${r.error.detail})`);
    }
    assert.ok(verifyDasRequest(noMa, SECRET, { requireMessageAuthenticator: false }).ok, 'optional Message-Authenticator');
    assertRefused(verifyDasRequest(resign(flippedMa), SECRET, { requireMessageAuthenticator: false }), 'bad-message-authenticator');
  });

  void it('never throws on arbitrary bytes, nor on mutations of valid requests', () => {
    const seeds = [hex(HAND_DISCONNECT), hex(RADCLIENT_COA), hex(RADCLIENT_DISCONNECT)];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const r = verifyDasRequest(b, SECRET);
        assert.equal(typeof r.ok, 'boolean');
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), (seed, edits, cut) => {
        const b = Buffer.from(seed);
        for (const [at, v] of edits) b[at % b.length] = v;
        const r = verifyDasRequest(b.subarray(0, cut % (b.length + 1)), SECRET);
        assert.equal(typeof r.ok, 'boolean');
      }),
      { numRuns: 500 },
    );
  });

  void it('buildDasRequest throws RangeError on a caller bug', () => {
    assert.throws(() => buildDasRequest({ code: 1, identifier: 1, attributes: [], secret: SECRET }), RangeError);
    assert.throws(() => buildDasRequest({ code: 40, identifier: 1, attributes: [], secret: Buffer.alloc(0) }), RangeError);
    assert.throws(() => buildDasRequest({ code: 40, identifier: 1, attributes: [{ type: Attr.MessageAuthenticator, value: Buffer.alloc(16) }], secret: SECRET }), RangeError);
  });
});

void describe('Disconnect-/CoA-ACK and -NAK (RFC 2865 §3, RFC 3579 §3.2, RFC 5176 §3.4)', () => {
  const requestAuthenticator = hex('0fb475c1706fc7d93becb6e1aebc3abc');
  const nakAttrs = (): RadiusAttribute[] => [
    { type: DasAttr.ErrorCause, value: attrInt(503) },
    { type: DasAttr.EventTimestamp, value: attrInt(1700000001) },
  ];

  void it('buildDasResponse gives the hand-computed Disconnect-NAK byte for byte', () => {
    const built = buildDasResponse({ code: DasCode.DisconnectNak, identifier: 7, requestAuthenticator, attributes: nakAttrs(), secret: SECRET });
    assert.equal(built.toString('hex'), hex(HAND_DISCONNECT_NAK).toString('hex'));
  });

  void it('a response verifies as the client verifies it (verifyResponse, Message-Authenticator required or not)', () => {
    for (const [req, ack] of [[DasCode.DisconnectRequest, true], [DasCode.DisconnectRequest, false], [DasCode.CoaRequest, true], [DasCode.CoaRequest, false]] as const) {
      const code = dasResponseCode(req, ack);
      const built = buildDasResponse({ code, identifier: 200, requestAuthenticator, attributes: [], secret: SECRET });
      const r = verifyResponse(built, { code: req, identifier: 200, authenticator: requestAuthenticator }, SECRET);
      assert.ok(r.ok, r.ok ? '' : r.error.detail);
      assert.equal(r.value.attributes[0].type, Attr.MessageAuthenticator, 'Message-Authenticator first');
      // Re-statement: MA over the packet with the Request Authenticator, then the Response Authenticator.
      const q = Buffer.from(built);
      requestAuthenticator.copy(q, 4);
      q.fill(0, 22, 38);
      assert.equal(createHmac('md5', SECRET).update(q).digest().toString('hex'), built.subarray(22, 38).toString('hex'));
      assert.equal(md5(built.subarray(0, 4), requestAuthenticator, built.subarray(20), SECRET).toString('hex'), built.subarray(4, 20).toString('hex'));
    }
  });

  void it('dasResponseCode: 40 -> 41/42, 43 -> 44/45; RangeError for others', () => {
    assert.deepEqual([dasResponseCode(40, true), dasResponseCode(40, false), dasResponseCode(43, true), dasResponseCode(43, false)], [41, 42, 44, 45]);
    assert.throws(() => dasResponseCode(1, true), RangeError);
  });

  void it('buildDasResponse throws RangeError on a request Code, a short Request Authenticator or an empty secret', () => {
    assert.throws(() => buildDasResponse({ code: 40, identifier: 1, requestAuthenticator, attributes: [], secret: SECRET }), RangeError);
    assert.throws(() => buildDasResponse({ code: 41, identifier: 1, requestAuthenticator: Buffer.alloc(15), attributes: [], secret: SECRET }), RangeError);
    assert.throws(() => buildDasResponse({ code: 41, identifier: 1, requestAuthenticator, attributes: [], secret: Buffer.alloc(0) }), RangeError);
  });
});
