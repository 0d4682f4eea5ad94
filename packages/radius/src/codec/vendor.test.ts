// Tests for Vendor-Specific attributes (RFC 2865 §5.26; Microsoft, RFC 2548 §2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hex, runCodecTables } from '@airlock/bytes/testing';
import { Attr, MsAttr, VENDOR_MICROSOFT } from './constants.js';
import { decodeVendorSpecific, encodeVendorSpecific, findVendorAttribute, parseVendorAttribute, vendorAttribute, type VendorSubAttribute } from './vendor.js';
import { OPENBSD_MPPE } from './testdata/vectors.js';

const vsaCodec = { name: 'Vendor-Specific value (RFC 2865 §5.26)', decode: decodeVendorSpecific, encode: encodeVendorSpecific };

const MPPE_VALUE = OPENBSD_MPPE.value.join('');

runCodecTables<VendorSubAttribute[]>(vsaCodec, {
  valid: [
    {
      desc: 'MS-MPPE-Recv-Key carrying the OpenBSD test25.c encrypted key (RFC 2548 §2.4.3)',
      hex: [
        '00000137', // Vendor-Id 311 (Microsoft)
        '11', // vendor type 17: MS-MPPE-Recv-Key
        '24', // vendor length 36
        MPPE_VALUE, // Salt + encrypted key
      ],
      value: [{ vendorId: VENDOR_MICROSOFT, vendorType: MsAttr.MppeRecvKey, value: hex(MPPE_VALUE) }],
    },
    {
      desc: 'two sub-attributes in one Vendor-Specific attribute',
      hex: [
        '00000137', // Vendor-Id 311
        '10 05 616263', // type 16, length 5, "abc"
        '11 03 64', // type 17, length 3, "d"
      ],
      value: [
        { vendorId: 311, vendorType: 16, value: Buffer.from('abc') },
        { vendorId: 311, vendorType: 17, value: Buffer.from('d') },
      ],
    },
    {
      desc: 'Cisco-AVPair (vendor 9, type 1) "shell:priv-lvl=15"',
      hex: ['00000009', '01 13', Buffer.from('shell:priv-lvl=15').toString('hex')],
      value: [{ vendorId: 9, vendorType: 1, value: Buffer.from('shell:priv-lvl=15') }],
    },
    {
      desc: 'sub-attribute of length 2 (empty value)',
      hex: ['00000137', '0a 02'],
      value: [{ vendorId: 311, vendorType: 10, value: Buffer.alloc(0) }],
    },
  ],
  malformed: [
    { desc: 'empty value', hex: '', code: 'empty' },
    { desc: 'Vendor-Id cut to 3 octets', hex: ['000001'], code: 'truncated' },
    { desc: 'Vendor-Id without any sub-attribute', hex: ['00000137'], code: 'truncated' },
    { desc: 'Vendor-Id high-order octet not 0', hex: ['01000137', '10 03 61'], code: 'invalid' },
    { desc: 'sub-attribute length 0', hex: ['00000137', '10 00 61'], code: 'bad-length' },
    { desc: 'sub-attribute length 1', hex: ['00000137', '10 01 61'], code: 'bad-length' },
    { desc: 'sub-attribute running past the value', hex: ['00000137', '10 05 6162'], code: 'length-overflow' },
    { desc: 'lone vendor-type octet after a valid sub-attribute', hex: ['00000137', '10 03 61', '11'], code: 'length-overflow' },
  ],
  roundTrip: [
    { desc: 'largest single sub-attribute value (247 octets)', value: [{ vendorId: 311, vendorType: 16, value: Buffer.alloc(247, 0x42) }] },
    { desc: 'Vendor-Id 0 and vendor type 255', value: [{ vendorId: 0, vendorType: 255, value: Buffer.from('x') }] },
  ],
  arbitrary: fc
    .tuple(
      fc.integer({ min: 0, max: 0xffffff }),
      fc.array(
        fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b))),
        { minLength: 1, maxLength: 5 },
      ),
    )
    .map(([vendorId, subs]) => subs.map(([vendorType, value]) => ({ vendorId, vendorType, value }))),
});

void describe('vendorAttribute / parseVendorAttribute / findVendorAttribute', () => {
  void it('vendorAttribute builds a Vendor-Specific attribute that parses back', () => {
    const a = vendorAttribute(VENDOR_MICROSOFT, MsAttr.MppeSendKey, Buffer.from('key'));
    assert.equal(a.type, Attr.VendorSpecific);
    assert.equal(a.value.toString('hex'), '00000137' + '1005' + '6b6579');
    const p = parseVendorAttribute(a);
    assert.ok(p.ok);
    assert.deepEqual(p.value, [{ vendorId: 311, vendorType: 16, value: Buffer.from('key') }]);
  });

  void it('parseVendorAttribute refuses an attribute that is not Vendor-Specific: bad-type', () => {
    const p = parseVendorAttribute({ type: Attr.Class, value: hex('0000013710036100') });
    assert.ok(!p.ok);
    assert.equal(p.error.code, 'bad-type');
  });

  void it('findVendorAttribute finds the sub-attribute across attributes, skipping other vendors and malformed VSAs', () => {
    const attrs = [
      { type: Attr.VendorSpecific, value: hex('00000137 10 01') }, // Microsoft, malformed (length 1)
      vendorAttribute(9, MsAttr.MppeRecvKey, Buffer.from('cisco')), // another vendor, same type number
      { type: Attr.Class, value: hex('00000137 11 04 6e6f') }, // not a VSA
      { type: Attr.VendorSpecific, value: encodeVendorSpecific([
        { vendorId: 311, vendorType: 16, value: Buffer.from('send') },
        { vendorId: 311, vendorType: 17, value: Buffer.from('recv') },
      ]) },
      vendorAttribute(311, 17, Buffer.from('second')),
    ];
    assert.equal(findVendorAttribute(attrs, VENDOR_MICROSOFT, MsAttr.MppeRecvKey)?.toString(), 'recv');
    assert.equal(findVendorAttribute(attrs, VENDOR_MICROSOFT, MsAttr.MppeSendKey)?.toString(), 'send');
    assert.equal(findVendorAttribute(attrs, 9, 17)?.toString(), 'cisco');
    assert.equal(findVendorAttribute(attrs, VENDOR_MICROSOFT, 1), undefined);
  });

  void it('throws RangeError on a Vendor-Id above 2^24 - 1, a vendor type above 255, a value over 247 octets, mixed vendors or no sub-attribute', () => {
    assert.throws(() => vendorAttribute(0x1000000, 1, Buffer.alloc(1)), RangeError);
    assert.throws(() => vendorAttribute(311, 256, Buffer.alloc(1)), RangeError);
    assert.throws(() => vendorAttribute(311, 1, Buffer.alloc(248)), RangeError);
    assert.throws(() => encodeVendorSpecific([
      { vendorId: 311, vendorType: 1, value: Buffer.alloc(1) },
      { vendorId: 9, vendorType: 1, value: Buffer.alloc(1) },
    ]), RangeError);
    assert.throws(() => encodeVendorSpecific([]), RangeError);
  });
});
