// Tests for the EAP-TLS / EAP-TTLS / PEAP Type-Data framing (RFC 5216 §3.1, RFC 5281 §9.1).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { runCodecTables, hex } from '../testing/index.js';
import { decodeEapTlsPayload, encodeEapTlsPayload, EapTlsFlag, type EapTlsPayload } from './eap-tls.js';

const codec = { name: 'EAP-TLS/TTLS Type-Data (RFC 5216 §3.1, RFC 5281 §9.1)', decode: decodeEapTlsPayload, encode: encodeEapTlsPayload };

const L = EapTlsFlag.LengthIncluded;
const M = EapTlsFlag.MoreFragments;
const S = EapTlsFlag.Start;
/** The opening of a TLS 1.2 ClientHello record: handshake, version 3.1, length 0x00ef, ClientHello. */
const CLIENT_HELLO_HEAD = '16030100ef01';

runCodecTables<EapTlsPayload>(codec, {
  valid: [
    {
      desc: 'EAP-TLS Start (RFC 5216 §3.2: S set, no data)',
      hex: ['20'], // flags: S
      value: { flags: S, version: 0, data: Buffer.alloc(0) },
    },
    {
      desc: 'ACK of a fragment, or the empty response to the final flight (RFC 5216 §3.2: no data, flags 0)',
      hex: ['00'], // flags: none
      value: { flags: 0, version: 0, data: Buffer.alloc(0) },
    },
    {
      desc: 'PEAP Start offering version 1 (version in the low 3 bits)',
      hex: ['21'], // flags: S, version 1
      value: { flags: S, version: 1, data: Buffer.alloc(0) },
    },
    {
      desc: 'unfragmented TLS data without L (RFC 5216 §3.1: L is only required on the first fragment)',
      hex: [
        '00', // flags: none
        CLIENT_HELLO_HEAD, // TLS data
      ],
      value: { flags: 0, version: 0, data: hex(CLIENT_HELLO_HEAD) },
    },
    {
      desc: 'first fragment: L and M, TLS Message Length 2500 with 6 octets carried',
      hex: [
        'c0', // flags: L, M
        '000009c4', // TLS Message Length: 2500
        CLIENT_HELLO_HEAD, // TLS data (first 6 octets)
      ],
      value: { flags: L | M, version: 0, messageLength: 2500, data: hex(CLIENT_HELLO_HEAD) },
    },
    {
      desc: 'middle fragment: M only',
      hex: ['40', 'abcdef'], // flags: M; TLS data
      value: { flags: M, version: 0, data: hex('abcdef') },
    },
    {
      desc: 'unfragmented with L (wpa_supplicant include_tls_length): length equals the data',
      hex: [
        '80', // flags: L
        '00000003', // TLS Message Length: 3
        'abcdef', // TLS data
      ],
      value: { flags: L, version: 0, messageLength: 3, data: hex('abcdef') },
    },
    {
      desc: 'TTLS version 0 fragment with L, M; the low bits are the version, not flags',
      hex: ['c0', '00010000', '16'], // flags: L, M, version 0; length 65536; one octet
      value: { flags: L | M, version: 0, messageLength: 65536, data: hex('16') },
    },
    {
      desc: 'reserved bits 0x18 are kept (and re-encoded) for the method to judge',
      hex: ['1a', '00'], // flags: reserved 0x18, version 2; TLS data
      value: { flags: 0x18, version: 2, data: hex('00') },
    },
    {
      desc: 'L with TLS Message Length 0 and no data (odd but consistent)',
      hex: ['80', '00000000'],
      value: { flags: L, version: 0, messageLength: 0, data: Buffer.alloc(0) },
    },
  ],
  malformed: [
    { desc: 'empty Type-Data: no flags octet', hex: '', code: 'empty' },
    { desc: 'L set and no TLS Message Length', hex: ['80'], code: 'truncated' },
    { desc: 'L set and 3 of 4 TLS Message Length octets', hex: ['c0', '000009'], code: 'truncated' },
    {
      desc: 'TLS Message Length 2 smaller than the 3 octets carried',
      hex: ['80', '00000002', 'abcdef'],
      code: 'bad-length',
    },
    { desc: 'first fragment with TLS Message Length 0 and data', hex: ['c0', '00000000', '16'], code: 'bad-length' },
  ],
  roundTrip: [
    { desc: 'largest TLS Message Length (2^32 - 1)', value: { flags: L | M, version: 0, messageLength: 0xffffffff, data: hex('16') } },
    { desc: 'version 7, all flags', value: { flags: L | M | S | 0x18, version: 7, messageLength: 1, data: hex('01') } },
    { desc: 'a 1398-octet fragment (wpa_supplicant default fragment_size)', value: { flags: M, version: 0, data: Buffer.alloc(1398, 0x17) } },
  ],
  arbitrary: fc
    .record(
      {
        flags: fc.integer({ min: 0, max: 0x1f }).map((f) => f << 3),
        version: fc.integer({ min: 0, max: 7 }),
        extra: fc.nat({ max: 100000 }),
        data: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      },
      { noNullPrototype: true },
    )
    .map(({ flags, version, extra, data }): EapTlsPayload =>
      (flags & L) !== 0 ? { flags, version, messageLength: data.length + extra, data } : { flags, version, data },
    ),
});

void describe('encodeEapTlsPayload', () => {
  void it('throws RangeError when the L flag and messageLength disagree', () => {
    assert.throws(() => encodeEapTlsPayload({ flags: L, version: 0, data: Buffer.alloc(0) }), RangeError);
    assert.throws(() => encodeEapTlsPayload({ flags: 0, version: 0, messageLength: 0, data: Buffer.alloc(0) }), RangeError);
  });

  void it('throws RangeError on version bits in flags, a version above 7, or a length below the data', () => {
    assert.throws(() => encodeEapTlsPayload({ flags: 0x01, version: 0, data: Buffer.alloc(0) }), RangeError);
    assert.throws(() => encodeEapTlsPayload({ flags: 0, version: 8, data: Buffer.alloc(0) }), RangeError);
    assert.throws(() => encodeEapTlsPayload({ flags: L, version: 0, messageLength: 1, data: hex('0102') }), RangeError);
  });

  void it('writes flags | version in the first octet and the length big-endian', () => {
    const out = encodeEapTlsPayload({ flags: L | M, version: 1, messageLength: 0x01020304, data: hex('aa') });
    assert.equal(out.toString('hex'), ['c1', '01020304', 'aa'].join(''));
  });
});

void describe('decodeEapTlsPayload', () => {
  void it('returns the TLS data as a view of the input (zero-copy)', () => {
    const input = hex(['c0', '00000010', 'aabbcc']);
    const got = decodeEapTlsPayload(input);
    assert.ok(got.ok);
    assert.equal(got.value.data.buffer, input.buffer);
    assert.equal(got.value.data.byteOffset, input.byteOffset + 5);
  });
});
