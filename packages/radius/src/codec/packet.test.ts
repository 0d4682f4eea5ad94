// Tests for the RADIUS packet codec (RFC 2865 §3, §5).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hex, runCodecTables } from '@airlock/bytes/testing';
import { Attr, RadiusCode } from './constants.js';
import { decodeRadius, encodeRadius, radiusEncodingLength, type RadiusPacket } from './packet.js';
import {
  RFC2865_7_1_ACCEPT,
  RFC2865_7_1_REQUEST,
  WIRESHARK_EAP_IDENTITY_REQUEST,
  WIRESHARK_EAP_MD5_CHALLENGE,
} from './testdata/vectors.js';

const radiusCodec = { name: 'RADIUS packet (RFC 2865 §3)', decode: decodeRadius, encode: encodeRadius };

const AUTH_ZERO = '00000000000000000000000000000000';

/** A 20-octet header with the given Length field, as hex lines. */
function header(length: number): string[] {
  return ['01', '00', length.toString(16).padStart(4, '0'), AUTH_ZERO];
}

runCodecTables<RadiusPacket>(radiusCodec, {
  valid: [
    {
      desc: 'RFC 2865 §7.1 Access-Request (User-Name, hidden User-Password, NAS-IP-Address, NAS-Port)',
      hex: RFC2865_7_1_REQUEST,
      value: {
        code: RadiusCode.AccessRequest,
        identifier: 0,
        authenticator: hex('0f403f9473978057bd83d5cb98f4227a'),
        attributes: [
          { type: Attr.UserName, value: Buffer.from('nemo') },
          { type: Attr.UserPassword, value: hex('0dbe708d93d413ce3196e43f782a0aee') },
          { type: Attr.NasIpAddress, value: hex('c0a80110') },
          { type: Attr.NasPort, value: hex('00000003') },
        ],
      },
    },
    {
      desc: 'RFC 2865 §7.1 Access-Accept (Service-Type, Login-Service, Login-IP-Host)',
      hex: RFC2865_7_1_ACCEPT,
      value: {
        code: RadiusCode.AccessAccept,
        identifier: 0,
        authenticator: hex('86fe220e7624ba2a1005f6bf9b55e0b2'),
        attributes: [
          { type: Attr.ServiceType, value: hex('00000001') },
          { type: 15, value: hex('00000000') },
          { type: 14, value: hex('c0a80103') },
        ],
      },
    },
    {
      desc: 'Access-Request with EAP-Message and Message-Authenticator (Wireshark radius_localhost.pcapng #1)',
      hex: WIRESHARK_EAP_IDENTITY_REQUEST,
      value: {
        code: RadiusCode.AccessRequest,
        identifier: 0x67,
        authenticator: hex('40b664dbf5d681b2adbd1769515118c8'),
        attributes: [
          { type: Attr.UserName, value: Buffer.from('steve') },
          { type: Attr.UserPassword, value: hex('dbc6c4b758be14f005b3877c9e2fb601') },
          { type: Attr.NasIpAddress, value: hex('c0a8001c') },
          { type: Attr.NasPort, value: hex('0000007b') },
          { type: Attr.MessageAuthenticator, value: hex('5f0f8647e8c89bd881364268fcd04532') },
          { type: Attr.EapMessage, value: hex('0266000a017374657665') },
        ],
      },
    },
    {
      desc: 'Access-Challenge with State after the Message-Authenticator (Wireshark radius_localhost.pcapng #2)',
      hex: WIRESHARK_EAP_MD5_CHALLENGE,
      value: {
        code: RadiusCode.AccessChallenge,
        identifier: 0x67,
        authenticator: hex('83ece707a2f31bb65badfb22a64023d9'),
        attributes: [
          { type: Attr.ServiceType, value: hex('00000002') },
          { type: 7, value: hex('00000001') },
          { type: 8, value: hex('ac100321') },
          { type: 9, value: hex('ffffff00') },
          { type: 10, value: hex('00000003') },
          { type: 11, value: Buffer.from('std.ppp') },
          { type: Attr.FramedMtu, value: hex('000005dc') },
          { type: 13, value: hex('00000001') },
          { type: Attr.EapMessage, value: hex('016700160410ff0bf1d6e401a9cbe5b46eb943e5549a') },
          { type: Attr.MessageAuthenticator, value: hex('6e794a020c45c66f4247ba8c5ff04ed1') },
          { type: Attr.State, value: hex('736f868573088277414ae3f31eac34e9') },
        ],
      },
    },
    {
      desc: 'header only: Status-Server, Length 20, no attributes',
      hex: ['0c', 'ff', '0014', 'ffeeddccbbaa99887766554433221100'],
      value: { code: RadiusCode.StatusServer, identifier: 255, authenticator: hex('ffeeddccbbaa99887766554433221100'), attributes: [] },
    },
    {
      desc: 'attribute of Length 2 (empty value) is carried',
      hex: [...header(22), '18 02'],
      value: { code: 1, identifier: 0, authenticator: hex(AUTH_ZERO), attributes: [{ type: Attr.State, value: Buffer.alloc(0) }] },
    },
    {
      desc: 'octets after Length are padding and ignored (RFC 2865 §3), not re-encoded',
      hex: [...header(26), '01 06 61626364', 'deadbeef'],
      value: { code: 1, identifier: 0, authenticator: hex(AUTH_ZERO), attributes: [{ type: Attr.UserName, value: Buffer.from('abcd') }] },
      encoded: [...header(26), '01 06 61626364'],
    },
    {
      desc: 'padding that looks like a broken attribute is still ignored',
      hex: [...header(20), '01 00'],
      value: { code: 1, identifier: 0, authenticator: hex(AUTH_ZERO), attributes: [] },
      encoded: header(20),
    },
    {
      desc: 'unknown Code 250 is carried, not judged',
      hex: ['fa', '01', '0014', AUTH_ZERO],
      value: { code: 250, identifier: 1, authenticator: hex(AUTH_ZERO), attributes: [] },
    },
    {
      desc: 'largest packet: Length 4096 (15 attributes of 255 octets, then one of 251)',
      hex: [...header(4096), ...Array.from({ length: 15 }, () => '1a ff ' + '00'.repeat(253)), '1a fb ' + '00'.repeat(249)],
      value: {
        code: 1,
        identifier: 0,
        authenticator: hex(AUTH_ZERO),
        attributes: [...Array.from({ length: 15 }, () => ({ type: 26, value: Buffer.alloc(253) })), { type: 26, value: Buffer.alloc(249) }],
      },
    },
  ],
  malformed: [
    { desc: 'empty buffer', hex: '', code: 'empty' },
    { desc: 'short header: 3 octets, no Length to read', hex: ['01', '00', '00'], code: 'truncated' },
    { desc: 'short header: 19 octets with Length 20', hex: ['01', '00', '0014', '00'.repeat(15)], code: 'length-overflow' },
    { desc: 'short header: 19 octets with Length 19', hex: ['01', '00', '0013', '00'.repeat(15)], code: 'bad-length' },
    { desc: 'Length 0', hex: ['01', '00', '0000', AUTH_ZERO], code: 'bad-length' },
    { desc: 'Length 19 (< 20) with 20 octets present', hex: ['01', '00', '0013', AUTH_ZERO], code: 'bad-length' },
    { desc: 'Length 4097 (> 4096) with 4097 octets present', hex: [...header(4097), '00'.repeat(4077)], code: 'bad-length' },
    { desc: 'Length 0xffff with only a header present', hex: ['01', '00', 'ffff', AUTH_ZERO], code: 'bad-length' },
    { desc: 'RFC 2865 §7.1 Access-Request missing its last octet: Length beyond buffer', hex: RFC2865_7_1_REQUEST.join('').slice(0, -2), code: 'length-overflow' },
    { desc: 'Length 21 with 20 octets present', hex: header(21), code: 'length-overflow' },
    { desc: 'attribute Length 0', hex: [...header(24), '01 00 0000'], code: 'bad-length' },
    { desc: 'attribute Length 1', hex: [...header(24), '01 01 0000'], code: 'bad-length' },
    { desc: 'attribute runs past the end of the packet', hex: [...header(24), '01 06 6162'], code: 'length-overflow' },
    { desc: 'attribute runs past Length into padding', hex: [...header(24), '01 06 6162', '6364'], code: 'length-overflow' },
    { desc: 'lone Type octet at the end of the packet', hex: [...header(27), '01 06 61626364', '05'], code: 'length-overflow' },
    { desc: 'second attribute with Length 1 after a valid one', hex: [...header(28), '01 06 61626364', '05 01'], code: 'bad-length' },
  ],
  roundTrip: [
    { desc: 'every Code and Identifier octet at their maxima', value: { code: 255, identifier: 255, authenticator: Buffer.alloc(16, 0xff), attributes: [] } },
    { desc: 'attribute value of 253 octets (the most one attribute carries)', value: { code: 11, identifier: 9, authenticator: Buffer.alloc(16, 1), attributes: [{ type: Attr.EapMessage, value: Buffer.alloc(253, 0xab) }] } },
    {
      desc: 'repeated attributes keep their order',
      value: {
        code: 2,
        identifier: 3,
        authenticator: Buffer.alloc(16, 2),
        attributes: [
          { type: Attr.Class, value: Buffer.from('a') },
          { type: Attr.ReplyMessage, value: Buffer.from('b') },
          { type: Attr.Class, value: Buffer.from('c') },
        ],
      },
    },
  ],
  arbitrary: fc.record(
    {
      code: fc.integer({ min: 0, max: 255 }),
      identifier: fc.integer({ min: 0, max: 255 }),
      authenticator: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b)),
      // At most 15 attributes of at most 255 octets: 20 + 15 * 255 < 4096.
      attributes: fc.array(
        fc.record(
          { type: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 253 }).map((b) => Buffer.from(b)) },
          { noNullPrototype: true },
        ),
        { maxLength: 15 },
      ),
    },
    { noNullPrototype: true },
  ),
});

void describe('decodeRadius', () => {
  void it('returns the authenticator and attribute values as views of the input (zero-copy)', () => {
    const buf = hex(RFC2865_7_1_REQUEST);
    const got = decodeRadius(buf);
    assert.ok(got.ok);
    assert.equal(got.value.authenticator.buffer, buf.buffer);
    assert.equal(got.value.authenticator.byteOffset, buf.byteOffset + 4);
    buf[22] = 0x4e; // 'n' -> 'N' in User-Name
    assert.equal(got.value.attributes[0].value.toString(), 'Nemo');
  });

  void it('every strict prefix of the RFC 2865 §7.1 Access-Request is refused', () => {
    const buf = hex(RFC2865_7_1_REQUEST);
    for (let n = 0; n < buf.length; n++) {
      const got = decodeRadius(buf.subarray(0, n));
      assert.ok(!got.ok, `prefix of ${n} octets accepted`);
    }
  });
});

void describe('encodeRadius', () => {
  const base: RadiusPacket = { code: 1, identifier: 0, authenticator: Buffer.alloc(16), attributes: [] };

  void it('throws RangeError on an attribute value of 254 octets', () => {
    assert.throws(() => encodeRadius({ ...base, attributes: [{ type: 1, value: Buffer.alloc(254) }] }), RangeError);
  });
  void it('throws RangeError on a packet of 4097 octets', () => {
    const attributes = [...Array.from({ length: 15 }, () => ({ type: 26, value: Buffer.alloc(253) })), { type: 26, value: Buffer.alloc(250) }];
    assert.equal(radiusEncodingLength({ ...base, attributes }), 4097);
    assert.throws(() => encodeRadius({ ...base, attributes }), RangeError);
  });
  void it('throws RangeError on an authenticator other than 16 octets', () => {
    assert.throws(() => encodeRadius({ ...base, authenticator: Buffer.alloc(15) }), RangeError);
  });
  void it('throws RangeError on a Code, Identifier or Type outside one octet', () => {
    assert.throws(() => encodeRadius({ ...base, code: 256 }), RangeError);
    assert.throws(() => encodeRadius({ ...base, identifier: -1 }), RangeError);
    assert.throws(() => encodeRadius({ ...base, attributes: [{ type: 1.5, value: Buffer.alloc(1) }] }), RangeError);
  });
});
