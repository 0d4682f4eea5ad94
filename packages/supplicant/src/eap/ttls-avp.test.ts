// Tests for the EAP-TTLS AVP codec (RFC 5281 §10.1) and the PAP AVPs (RFC 5281 §11.2.5).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { runCodecTables, hex } from '@airlock/rsn/testing';
import { TtlsAvpCode, decodeTtlsAvps, encodePapAvps, encodeTtlsAvps, type TtlsAvp } from './ttls-avp.js';

const codec = { name: 'EAP-TTLS AVPs (RFC 5281 §10.1)', decode: decodeTtlsAvps, encode: encodeTtlsAvps };

const USER_NAME_ALICE: TtlsAvp = { code: TtlsAvpCode.UserName, mandatory: true, data: Buffer.from('alice') };

runCodecTables<TtlsAvp[]>(codec, {
  valid: [
    {
      desc: 'User-Name "alice": code 1, M, length 13, 3 octets of padding',
      hex: [
        '00000001', // AVP Code: User-Name
        '40', // flags: M
        '00000d', // AVP Length: 8 + 5
        '616c696365', // "alice"
        '000000', // padding to 16
      ],
      value: [USER_NAME_ALICE],
    },
    {
      desc: 'User-Name then User-Password padded to 16 octets (the PAP AVPs, RFC 5281 §11.2.5)',
      hex: [
        '00000001', '40', '00000d', '616c696365', '000000', // User-Name "alice"
        '00000002', // AVP Code: User-Password
        '40', // flags: M
        '000018', // AVP Length: 8 + 16
        '70617373776f7264' + '0000000000000000', // "password" + 8 NULs
      ],
      value: [USER_NAME_ALICE, { code: TtlsAvpCode.UserPassword, mandatory: true, data: hex('70617373776f72640000000000000000') }],
    },
    {
      desc: 'vendor-specific AVP: V and M, Vendor-ID 311 (Microsoft), MS-CHAP-Challenge (11)',
      hex: [
        '0000000b', // AVP Code: 11
        'c0', // flags: V, M
        '000014', // AVP Length: 12 + 8
        '00000137', // Vendor-ID: 311
        '0102030405060708', // data
      ],
      value: [{ code: 11, mandatory: true, vendorId: 311, data: hex('0102030405060708') }],
    },
    {
      desc: 'an AVP without M, empty data',
      hex: ['00000012', '00', '000008'], // Reply-Message, no flags, length 8
      value: [{ code: TtlsAvpCode.ReplyMessage, mandatory: false, data: Buffer.alloc(0) }],
    },
    {
      desc: 'missing padding after the last AVP is accepted; encode adds it',
      hex: ['00000001', '40', '00000d', '616c696365'],
      value: [USER_NAME_ALICE],
      encoded: ['00000001', '40', '00000d', '616c696365', '000000'],
    },
    {
      desc: 'reserved flag bits are ignored on receipt and sent as zero (RFC 5281 §10.1)',
      hex: ['00000001', '7f', '00000d', '616c696365', '000000'],
      value: [USER_NAME_ALICE],
      encoded: ['00000001', '40', '00000d', '616c696365', '000000'],
    },
    { desc: 'no AVPs at all', hex: '', value: [] },
  ],
  malformed: [
    { desc: 'header cut after 7 octets', hex: ['00000001', '40', '0000'], code: 'truncated' },
    { desc: 'vendor AVP header cut before its Vendor-ID', hex: ['0000000b', 'c0', '00000c', '0000'], code: 'truncated' },
    { desc: 'AVP Length 7, shorter than the header', hex: ['00000001', '40', '000007', '00'], code: 'bad-length' },
    { desc: 'vendor AVP with AVP Length 8, shorter than its 12-octet header', hex: ['0000000b', 'c0', '000008', '00000137'], code: 'bad-length' },
    { desc: 'AVP Length 14 with 13 octets present', hex: ['00000001', '40', '00000e', '616c696365'], code: 'length-overflow' },
    { desc: 'second AVP truncated', hex: ['00000001', '40', '00000d', '616c696365', '000000', '000000'], code: 'truncated' },
  ],
  roundTrip: [
    { desc: 'largest codes and Vendor-ID', value: [{ code: 0xffffffff, mandatory: false, vendorId: 0xffffffff, data: hex('01') }] },
    { desc: 'a 1000-octet EAP-Message AVP', value: [{ code: TtlsAvpCode.EapMessage, mandatory: true, data: Buffer.alloc(1000, 2) }] },
  ],
  arbitrary: fc.array(
    fc
      .record(
        {
          code: fc.integer({ min: 0, max: 0xffffffff }),
          mandatory: fc.boolean(),
          vendorId: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
          data: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
        },
        { noNullPrototype: true },
      )
      .map(({ code, mandatory, vendorId, data }): TtlsAvp => (vendorId === undefined ? { code, mandatory, data } : { code, mandatory, vendorId, data })),
    { maxLength: 5 },
  ),
});

void describe('encodePapAvps (RFC 5281 §11.2.5)', () => {
  void it('pads the password with NULs to a multiple of 16 octets, at least 16', () => {
    for (const [password, padded] of [['', 16], ['a', 16], ['0123456789abcdef', 16], ['0123456789abcdef0', 32]] as const) {
      const avps = decodeTtlsAvps(encodePapAvps('bob', password));
      assert.ok(avps.ok);
      const [name, pw] = avps.value;
      assert.deepEqual(name, { code: TtlsAvpCode.UserName, mandatory: true, data: Buffer.from('bob') });
      assert.equal(pw.code, TtlsAvpCode.UserPassword);
      assert.equal(pw.mandatory, true);
      assert.equal(pw.data.length, padded, `password of ${password.length} octets`);
      assert.equal(pw.data.subarray(0, password.length).toString(), password);
      assert.ok(pw.data.subarray(password.length).every((b) => b === 0));
    }
  });

  void it('encodes names and passwords as UTF-8', () => {
    const avps = decodeTtlsAvps(encodePapAvps('zoë', 'pässwörd'));
    assert.ok(avps.ok);
    assert.equal(avps.value[0].data.toString('utf8'), 'zoë');
    assert.equal(avps.value[1].data.subarray(0, 10).toString('utf8'), 'pässwörd');
  });
});

void describe('encodeTtlsAvps', () => {
  void it('throws RangeError on out-of-range fields', () => {
    assert.throws(() => encodeTtlsAvps([{ code: -1, mandatory: true, data: Buffer.alloc(0) }]), RangeError);
    assert.throws(() => encodeTtlsAvps([{ code: 1, mandatory: true, vendorId: 2 ** 32, data: Buffer.alloc(0) }]), RangeError);
  });
});
