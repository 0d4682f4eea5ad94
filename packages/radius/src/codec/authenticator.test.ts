// Tests for signing and verification: Response Authenticator (RFC 2865 §3), Accounting
// Request Authenticator (RFC 2866 §3), Message-Authenticator (RFC 3579 §3.2, RFC 5997) and
// the BlastRADIUS (CVE-2024-3596) hardening.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hex } from '@airlock/bytes/testing';
import { attrInt, attrString } from './attributes.js';
import {
  accountingRequestAuthenticator,
  buildAccessRequest,
  buildAccountingRequest,
  buildResponse,
  buildStatusServer,
  messageAuthenticator,
  responseAuthenticator,
  verifyRequest,
  verifyResponse,
  type SentRequest,
} from './authenticator.js';
import { Attr, MsAttr, RadiusCode, VENDOR_MICROSOFT } from './constants.js';
import { splitEapMessage } from './eap-message.js';
import { encryptMppeKey } from './hiding.js';
import { decodeRadius, encodeRadius, type RadiusAttribute } from './packet.js';
import { vendorAttribute } from './vendor.js';
import {
  RFC2865_7_1_ACCEPT,
  RFC2865_7_1_REQUEST,
  RFC2865_SECRET,
  WIRESHARK_EAP_IDENTITY_REQUEST,
  WIRESHARK_EAP_MD5_CHALLENGE,
  WIRESHARK_EAP_MD5_RESPONSE,
  WIRESHARK_EAP_SUCCESS_ACCEPT,
  WIRESHARK_PAP_ACCEPT,
  WIRESHARK_PAP_REQUEST,
  WIRESHARK_SECRET,
} from './testdata/vectors.js';

const RFC_SECRET = Buffer.from(RFC2865_SECRET);
const WS_SECRET = Buffer.from(WIRESHARK_SECRET);
const SECRET = Buffer.from('s3cret-for-tests');
const RA = hex('00112233445566778899aabbccddeeff');

/** The request as verifyResponse needs it, read from the request's bytes. */
function sent(requestBytes: Buffer): SentRequest {
  return { code: requestBytes[0], identifier: requestBytes[1], authenticator: Buffer.from(requestBytes.subarray(4, 20)) };
}

/** Asserts that verification failed with `code`. */
function assertRefused(r: ReturnType<typeof verifyResponse>, code: string): void {
  assert.ok(!r.ok, 'verification accepted the packet');
  assert.equal(r.error.code, code, `got ${r.error.code}: ${r.error.detail}`);
  assert.ok(r.error.detail.length > 0);
}

/** An Access-Accept as a BlastRADIUS-hardened server sends it after EAP-TLS: EAP-Success, MPPE keys, VLAN. */
function hardenedAccept(): Buffer {
  const attributes: RadiusAttribute[] = [
    ...splitEapMessage(hex('03070004')),
    vendorAttribute(VENDOR_MICROSOFT, MsAttr.MppeRecvKey, encryptMppeKey(Buffer.alloc(32, 1), SECRET, RA, hex('8001'))),
    vendorAttribute(VENDOR_MICROSOFT, MsAttr.MppeSendKey, encryptMppeKey(Buffer.alloc(32, 2), SECRET, RA, hex('8002'))),
    { type: Attr.UserName, value: attrString('alice') },
  ];
  return buildResponse({ code: RadiusCode.AccessAccept, identifier: 7, requestAuthenticator: RA, attributes, secret: SECRET, messageAuthenticator: true });
}
const ACCESS_REQUEST_7: SentRequest = { code: RadiusCode.AccessRequest, identifier: 7, authenticator: RA };

/**
 * A response whose Response Authenticator is valid but whose attributes are chosen freely
 * (e.g. a forged Message-Authenticator): what a BlastRADIUS attacker produces.
 */
function withValidResponseAuthenticator(code: number, identifier: number, attributes: RadiusAttribute[]): Buffer {
  const out = encodeRadius({ code, identifier, authenticator: RA, attributes });
  responseAuthenticator(out, RA, SECRET).copy(out, 4);
  return out;
}

void describe('Response Authenticator (RFC 2865 §3)', () => {
  void it('the RFC 2865 §7.1 Access-Accept Response Authenticator verifies (secret "xyzzy5461")', () => {
    const accept = hex(RFC2865_7_1_ACCEPT);
    const requestAuth = hex(RFC2865_7_1_REQUEST).subarray(4, 20);
    assert.equal(responseAuthenticator(accept, requestAuth, RFC_SECRET).toString('hex'), '86fe220e7624ba2a1005f6bf9b55e0b2');
    // The RFC's own wording: MD5(Code + ID + Length + Request Authenticator + Attributes + Secret).
    const independent = createHash('md5').update(accept.subarray(0, 4)).update(requestAuth).update(accept.subarray(20)).update(RFC_SECRET).digest();
    assert.deepEqual(independent, accept.subarray(4, 20));
  });

  void it('buildResponse reproduces the RFC 2865 §7.1 Access-Accept byte for byte', () => {
    const built = buildResponse({
      code: RadiusCode.AccessAccept,
      identifier: 0,
      requestAuthenticator: hex('0f403f9473978057bd83d5cb98f4227a'),
      attributes: [
        { type: Attr.ServiceType, value: attrInt(1) },
        { type: 15, value: attrInt(0) },
        { type: 14, value: hex('c0a80103') },
      ],
      secret: RFC_SECRET,
      messageAuthenticator: false,
    });
    assert.equal(built.toString('hex'), hex(RFC2865_7_1_ACCEPT).toString('hex'));
  });

  void it('BlastRADIUS: the RFC 2865 §7.1 Access-Accept verifies its Response Authenticator but is refused: no Message-Authenticator', () => {
    assertRefused(verifyResponse(hex(RFC2865_7_1_ACCEPT), sent(hex(RFC2865_7_1_REQUEST)), RFC_SECRET), 'missing-message-authenticator');
  });

  void it('the RFC 2865 §7.1 Access-Accept with another secret: bad-response-authenticator', () => {
    assertRefused(verifyResponse(hex(RFC2865_7_1_ACCEPT), sent(hex(RFC2865_7_1_REQUEST)), Buffer.from('xyzzy5462')), 'bad-response-authenticator');
  });
});

void describe('Message-Authenticator on published packets (Wireshark radius_localhost.pcapng, secret testing123)', () => {
  void it('the Access-Requests #1 (EAP-Response/Identity), #7 (EAP-MD5) and #9 (PAP) verify', () => {
    for (const lines of [WIRESHARK_EAP_IDENTITY_REQUEST, WIRESHARK_EAP_MD5_RESPONSE, WIRESHARK_PAP_REQUEST]) {
      const r = verifyRequest(hex(lines), WS_SECRET);
      assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.detail}`);
    }
  });

  void it('messageAuthenticator() of Access-Request #1 is the value it carries; HMAC-MD5 re-stated independently agrees', () => {
    const req = hex(WIRESHARK_EAP_IDENTITY_REQUEST);
    const carried = req.subarray(req.length - 12 - 16, req.length - 12);
    assert.deepEqual(messageAuthenticator(req, req.subarray(4, 20), WS_SECRET), carried);
    const zeroed = Buffer.from(req);
    zeroed.fill(0, req.length - 12 - 16, req.length - 12);
    assert.deepEqual(createHmac('md5', WS_SECRET).update(zeroed).digest(), carried);
  });

  void it('the Access-Challenge #2 verifies as the answer to #1 (Message-Authenticator over the Request Authenticator)', () => {
    const r = verifyResponse(hex(WIRESHARK_EAP_MD5_CHALLENGE), sent(hex(WIRESHARK_EAP_IDENTITY_REQUEST)), WS_SECRET);
    assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.detail}`);
    assert.equal(r.value.code, RadiusCode.AccessChallenge);
    assert.equal(r.value.attributes.find((a) => a.type === Attr.State)?.value.toString('hex'), '736f868573088277414ae3f31eac34e9');
  });

  void it('the Access-Challenge #2 Message-Authenticator, re-stated: HMAC-MD5 with the Request Authenticator in place and the value zeroed', () => {
    const resp = hex(WIRESHARK_EAP_MD5_CHALLENGE);
    const ra = hex(WIRESHARK_EAP_IDENTITY_REQUEST).subarray(4, 20);
    const maAt = resp.indexOf(hex('5012')) + 2;
    const copy = Buffer.from(resp);
    ra.copy(copy, 4);
    copy.fill(0, maAt, maAt + 16);
    assert.deepEqual(createHmac('md5', WS_SECRET).update(copy).digest(), resp.subarray(maAt, maAt + 16));
    assert.deepEqual(messageAuthenticator(resp, ra, WS_SECRET), resp.subarray(maAt, maAt + 16));
  });

  void it('the Access-Accept #8 (EAP-Success) verifies as the answer to #7', () => {
    const r = verifyResponse(hex(WIRESHARK_EAP_SUCCESS_ACCEPT), sent(hex(WIRESHARK_EAP_MD5_RESPONSE)), WS_SECRET);
    assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.detail}`);
  });

  void it('the Access-Challenge #2 is not an answer to #7: identifier-mismatch', () => {
    assertRefused(verifyResponse(hex(WIRESHARK_EAP_MD5_CHALLENGE), sent(hex(WIRESHARK_EAP_MD5_RESPONSE)), WS_SECRET), 'identifier-mismatch');
  });

  void it('BlastRADIUS: the PAP Access-Accept #10 (no Message-Authenticator) is refused although its Response Authenticator verifies', () => {
    const accept = hex(WIRESHARK_PAP_ACCEPT);
    const request = sent(hex(WIRESHARK_PAP_REQUEST));
    assert.deepEqual(responseAuthenticator(accept, request.authenticator, WS_SECRET), accept.subarray(4, 20));
    assertRefused(verifyResponse(accept, request, WS_SECRET), 'missing-message-authenticator');
  });
});

void describe('BlastRADIUS (CVE-2024-3596) hardening', () => {
  void it('buildAccessRequest puts the Message-Authenticator first, HMAC-MD5 over the packet with it zeroed', () => {
    const attributes = [{ type: Attr.UserName, value: attrString('alice') }, ...splitEapMessage(hex('0201000a01616c696365'))];
    const out = buildAccessRequest({ identifier: 42, requestAuthenticator: RA, attributes, secret: SECRET });
    const p = decodeRadius(out);
    assert.ok(p.ok);
    assert.equal(p.value.code, RadiusCode.AccessRequest);
    assert.equal(p.value.identifier, 42);
    assert.deepEqual(p.value.authenticator, RA);
    assert.equal(p.value.attributes[0].type, Attr.MessageAuthenticator);
    assert.equal(out[20], 80); // Type of the first attribute
    assert.equal(out[21], 18); // its Length
    assert.deepEqual(p.value.attributes.slice(1), attributes);
    const zeroed = Buffer.from(out);
    zeroed.fill(0, 22, 38);
    assert.deepEqual(createHmac('md5', SECRET).update(zeroed).digest(), out.subarray(22, 38));
    assert.ok(verifyRequest(out, SECRET).ok);
  });

  void it('buildStatusServer (RFC 5997) puts the Message-Authenticator first too', () => {
    const out = buildStatusServer({ identifier: 1, requestAuthenticator: RA, attributes: [{ type: Attr.NasIdentifier, value: attrString('ap1') }], secret: SECRET });
    assert.equal(out[0], RadiusCode.StatusServer);
    assert.equal(out[20], Attr.MessageAuthenticator);
    assert.ok(verifyRequest(out, SECRET).ok);
  });

  void it('a Message-Authenticator passed in the attributes is a RangeError', () => {
    const attributes = [{ type: Attr.MessageAuthenticator, value: Buffer.alloc(16) }];
    assert.throws(() => buildAccessRequest({ identifier: 1, requestAuthenticator: RA, attributes, secret: SECRET }), RangeError);
    assert.throws(() => buildStatusServer({ identifier: 1, requestAuthenticator: RA, attributes, secret: SECRET }), RangeError);
    assert.throws(() => buildAccountingRequest({ identifier: 1, attributes, secret: SECRET }), RangeError);
    assert.throws(
      () => buildResponse({ code: 2, identifier: 1, requestAuthenticator: RA, attributes, secret: SECRET, messageAuthenticator: true }),
      RangeError,
    );
  });

  void it('a hardened Access-Accept (Message-Authenticator first, EAP-Success, MPPE keys) verifies', () => {
    const out = hardenedAccept();
    assert.equal(out[20], Attr.MessageAuthenticator);
    const r = verifyResponse(out, ACCESS_REQUEST_7, SECRET);
    assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.detail}`);
  });

  for (const code of [RadiusCode.AccessAccept, RadiusCode.AccessReject, RadiusCode.AccessChallenge]) {
    void it(`a response (Code ${code}) to an Access-Request without Message-Authenticator: missing-message-authenticator`, () => {
      const out = buildResponse({ code, identifier: 7, requestAuthenticator: RA, attributes: [], secret: SECRET, messageAuthenticator: false });
      assertRefused(verifyResponse(out, ACCESS_REQUEST_7, SECRET), 'missing-message-authenticator');
    });
  }

  void it('an Access-Accept to a Status-Server without Message-Authenticator: missing-message-authenticator', () => {
    const out = buildResponse({ code: RadiusCode.AccessAccept, identifier: 7, requestAuthenticator: RA, attributes: [], secret: SECRET, messageAuthenticator: false });
    assertRefused(verifyResponse(out, { ...ACCESS_REQUEST_7, code: RadiusCode.StatusServer }, SECRET), 'missing-message-authenticator');
  });

  void it('a forged Message-Authenticator behind a valid Response Authenticator: bad-message-authenticator', () => {
    const out = withValidResponseAuthenticator(RadiusCode.AccessAccept, 7, [{ type: Attr.MessageAuthenticator, value: Buffer.alloc(16, 0x5a) }]);
    assertRefused(verifyResponse(out, ACCESS_REQUEST_7, SECRET), 'bad-message-authenticator');
  });

  void it('a Message-Authenticator computed over the Response instead of the Request Authenticator: bad-message-authenticator', () => {
    // Sign with the Response Authenticator field as the HMAC input (a known server bug), then fix up the Response Authenticator.
    const out = encodeRadius({ code: RadiusCode.AccessAccept, identifier: 7, authenticator: Buffer.alloc(16, 0xee), attributes: [{ type: Attr.MessageAuthenticator, value: Buffer.alloc(16) }] });
    createHmac('md5', SECRET).update(out).digest().copy(out, 22);
    responseAuthenticator(out, RA, SECRET).copy(out, 4);
    assertRefused(verifyResponse(out, ACCESS_REQUEST_7, SECRET), 'bad-message-authenticator');
  });

  void it('a Message-Authenticator of 15 octets: bad-message-authenticator', () => {
    const out = withValidResponseAuthenticator(RadiusCode.AccessAccept, 7, [{ type: Attr.MessageAuthenticator, value: Buffer.alloc(15) }]);
    assertRefused(verifyResponse(out, ACCESS_REQUEST_7, SECRET), 'bad-message-authenticator');
  });

  void it('two Message-Authenticators: bad-message-authenticator', () => {
    const valid = hardenedAccept();
    const p = decodeRadius(valid);
    assert.ok(p.ok);
    const out = withValidResponseAuthenticator(RadiusCode.AccessAccept, 7, [...p.value.attributes, p.value.attributes[0]]);
    assertRefused(verifyResponse(out, ACCESS_REQUEST_7, SECRET), 'bad-message-authenticator');
  });
});

void describe('verifyResponse', () => {
  void it('an Accounting-Response without Message-Authenticator verifies (optional there)', () => {
    const out = buildResponse({ code: RadiusCode.AccountingResponse, identifier: 3, requestAuthenticator: RA, attributes: [], secret: SECRET, messageAuthenticator: false });
    assert.ok(verifyResponse(out, { code: RadiusCode.AccountingRequest, identifier: 3, authenticator: RA }, SECRET).ok);
  });

  void it('an Accounting-Response with a Message-Authenticator has it verified', () => {
    const good = buildResponse({ code: RadiusCode.AccountingResponse, identifier: 3, requestAuthenticator: RA, attributes: [], secret: SECRET, messageAuthenticator: true });
    const request = { code: RadiusCode.AccountingRequest, identifier: 3, authenticator: RA };
    assert.ok(verifyResponse(good, request, SECRET).ok);
    const forged = withValidResponseAuthenticator(RadiusCode.AccountingResponse, 3, [{ type: Attr.MessageAuthenticator, value: Buffer.alloc(16) }]);
    assertRefused(verifyResponse(forged, request, SECRET), 'bad-message-authenticator');
  });

  void it('Status-Server is answered by Access-Accept or Accounting-Response with a Message-Authenticator (RFC 5997)', () => {
    const request = { code: RadiusCode.StatusServer, identifier: 9, authenticator: RA };
    for (const code of [RadiusCode.AccessAccept, RadiusCode.AccountingResponse]) {
      const out = buildResponse({ code, identifier: 9, requestAuthenticator: RA, attributes: [], secret: SECRET, messageAuthenticator: true });
      assert.ok(verifyResponse(out, request, SECRET).ok, `Code ${code}`);
    }
  });

  void it('a Code that does not answer the request: unexpected-code', () => {
    const acctResp = buildResponse({ code: RadiusCode.AccountingResponse, identifier: 7, requestAuthenticator: RA, attributes: [], secret: SECRET, messageAuthenticator: true });
    assertRefused(verifyResponse(acctResp, ACCESS_REQUEST_7, SECRET), 'unexpected-code');
    assertRefused(verifyResponse(hardenedAccept(), { ...ACCESS_REQUEST_7, code: RadiusCode.AccountingRequest }, SECRET), 'unexpected-code');
    const request = buildAccessRequest({ identifier: 7, requestAuthenticator: RA, attributes: [], secret: SECRET });
    assertRefused(verifyResponse(request, ACCESS_REQUEST_7, SECRET), 'unexpected-code');
  });

  void it('framing errors come through with the decoder codes', () => {
    assertRefused(verifyResponse(Buffer.alloc(0), ACCESS_REQUEST_7, SECRET), 'empty');
    assertRefused(verifyResponse(hex('020700'), ACCESS_REQUEST_7, SECRET), 'truncated');
    assertRefused(verifyResponse(hardenedAccept().subarray(0, 40), ACCESS_REQUEST_7, SECRET), 'length-overflow');
  });

  void it('octets after Length are padding (RFC 2865 §3): the response still verifies', () => {
    const padded = Buffer.concat([hardenedAccept(), hex('00000000deadbeef')]);
    assert.ok(verifyResponse(padded, ACCESS_REQUEST_7, SECRET).ok);
  });

  void it('every single-bit mutation of a valid response is refused (hardened Access-Accept, and Wireshark #8)', () => {
    const cases: [Buffer, SentRequest, Buffer][] = [
      [hardenedAccept(), ACCESS_REQUEST_7, SECRET],
      [hex(WIRESHARK_EAP_SUCCESS_ACCEPT), sent(hex(WIRESHARK_EAP_MD5_RESPONSE)), WS_SECRET],
    ];
    for (const [valid, request, secret] of cases) {
      assert.ok(verifyResponse(valid, request, secret).ok);
      for (let bit = 0; bit < valid.length * 8; bit++) {
        const m = Buffer.from(valid);
        m[bit >> 3] ^= 1 << (bit & 7);
        assert.ok(!verifyResponse(m, request, secret).ok, `bit ${bit} flipped was accepted`);
      }
    }
  });

  void it('never throws on arbitrary bytes, and accepts none', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const r = verifyResponse(bytes, ACCESS_REQUEST_7, SECRET);
        assert.ok(!r.ok);
      }),
      { numRuns: 1000 },
    );
  });

  void it('never throws on mutations of a valid response; accepts one only when the octets within Length are unchanged', () => {
    const valid = hardenedAccept();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.uint8Array({ maxLength: 16 }),
        (edits, cut, tail) => {
          let m = Buffer.from(valid);
          for (const [at, v] of edits) m[at % m.length] = v;
          if (cut !== undefined) m = m.subarray(0, cut % (m.length + 1));
          m = Buffer.concat([m, tail]);
          const r = verifyResponse(m, ACCESS_REQUEST_7, SECRET);
          if (r.ok) assert.deepEqual(m.subarray(0, valid.length), valid);
        },
      ),
      { numRuns: 2000 },
    );
  });

  void it('throws RangeError on a caller bug: a request authenticator of 15 octets', () => {
    assert.throws(() => verifyResponse(hardenedAccept(), { ...ACCESS_REQUEST_7, authenticator: Buffer.alloc(15) }, SECRET), RangeError);
  });
});

void describe('buildAccountingRequest (RFC 2866 §3)', () => {
  const attributes = [
    { type: Attr.AcctStatusType, value: attrInt(1) },
    { type: Attr.AcctSessionId, value: attrString('5F2A0001') },
    { type: Attr.UserName, value: attrString('alice') },
  ];

  void it('Request Authenticator = MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret) (re-statement of RFC 2866 §3)', () => {
    const out = buildAccountingRequest({ identifier: 5, attributes, secret: SECRET });
    const independent = createHash('md5').update(out.subarray(0, 4)).update(Buffer.alloc(16)).update(out.subarray(20)).update(SECRET).digest();
    assert.deepEqual(out.subarray(4, 20), independent);
    assert.deepEqual(accountingRequestAuthenticator(out, SECRET), independent);
    const p = decodeRadius(out);
    assert.ok(p.ok);
    assert.deepEqual(p.value.attributes, attributes);
    assert.ok(verifyRequest(out, SECRET).ok);
  });

  void it('its Accounting-Response verifies against the computed Request Authenticator', () => {
    const req = buildAccountingRequest({ identifier: 5, attributes, secret: SECRET });
    const resp = buildResponse({ code: RadiusCode.AccountingResponse, identifier: 5, requestAuthenticator: Buffer.from(req.subarray(4, 20)), attributes: [], secret: SECRET, messageAuthenticator: false });
    assert.ok(verifyResponse(resp, sent(req), SECRET).ok);
  });

  void it('with another secret the request is refused: bad-request-authenticator', () => {
    const out = buildAccountingRequest({ identifier: 5, attributes, secret: SECRET });
    const r = verifyRequest(out, Buffer.from('other'));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'bad-request-authenticator');
  });
});

void describe('verifyRequest', () => {
  void it('an Access-Request without Message-Authenticator: missing-message-authenticator, unless allowed', () => {
    const req = hex(RFC2865_7_1_REQUEST);
    const strict = verifyRequest(req, RFC_SECRET);
    assert.ok(!strict.ok);
    assert.equal(strict.error.code, 'missing-message-authenticator');
    assert.ok(verifyRequest(req, RFC_SECRET, { requireMessageAuthenticator: false }).ok);
  });

  void it('a Status-Server always needs a Message-Authenticator (RFC 5997)', () => {
    const bare = encodeRadius({ code: RadiusCode.StatusServer, identifier: 1, authenticator: RA, attributes: [] });
    const r = verifyRequest(bare, SECRET, { requireMessageAuthenticator: false });
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'missing-message-authenticator');
  });

  void it('an Access-Request with one bit of an attribute flipped: bad-message-authenticator', () => {
    const out = buildAccessRequest({ identifier: 1, requestAuthenticator: RA, attributes: [{ type: Attr.UserName, value: attrString('bob') }], secret: SECRET });
    out[out.length - 1] ^= 0x01;
    const r = verifyRequest(out, SECRET);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'bad-message-authenticator');
  });

  void it('a Disconnect-Request (RFC 5176) with its Request Authenticator verifies', () => {
    const out = encodeRadius({ code: RadiusCode.DisconnectRequest, identifier: 2, authenticator: Buffer.alloc(16), attributes: [{ type: Attr.AcctSessionId, value: attrString('s-1') }] });
    accountingRequestAuthenticator(out, SECRET).copy(out, 4);
    assert.ok(verifyRequest(out, SECRET).ok);
  });

  void it('a response Code is not a request: unexpected-code', () => {
    const r = verifyRequest(hardenedAccept(), SECRET);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'unexpected-code');
  });

  void it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = verifyRequest(bytes, SECRET);
        if (!r.ok) assert.equal(typeof r.error.code, 'string');
      }),
      { numRuns: 1000 },
    );
  });
});
