// Tests for tagged tunnel attributes (RFC 2868 §3) and VLAN assignment (RFC 3580 §3.31).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hex, runCodecTables } from '@airlock/bytes/testing';
import { attrString } from './attributes.js';
import { Attr, TunnelMediumType, TunnelType } from './constants.js';
import type { RadiusAttribute } from './packet.js';
import {
  decodeTaggedInteger,
  decodeTaggedString,
  encodeTaggedInteger,
  encodeTaggedString,
  parseTagged,
  taggedAttribute,
  taggedIntegerAttribute,
  tunnelVlan,
  type TaggedInteger,
  type TaggedValue,
} from './tunnel.js';

runCodecTables<TaggedInteger>(
  { name: 'tagged integer value (RFC 2868 §3.1, §3.2)', decode: decodeTaggedInteger, encode: encodeTaggedInteger },
  {
    valid: [
      {
        desc: 'Tag-1 Tunnel-Type PPTP (FreeRADIUS src/tests/unit/protocols/radius/rfc2868.txt)',
        hex: ['01', '000001'],
        value: { tag: 1, value: 1 },
      },
      {
        desc: 'untagged Tunnel-Type PPTP as FreeRADIUS encodes it (rfc2868.txt)',
        hex: ['00', '000001'],
        value: { tag: 0, value: 1 },
      },
      { desc: 'Tag-1 Tunnel-Type VLAN (13)', hex: ['01', '00000d'], value: { tag: 1, value: TunnelType.Vlan } },
      { desc: 'highest tag 0x1f, Tunnel-Medium-Type 802 (6)', hex: ['1f', '000006'], value: { tag: 31, value: TunnelMediumType.Ieee802 } },
    ],
    malformed: [
      { desc: 'empty value', hex: '', code: 'empty' },
      { desc: '3 octets (tag missing)', hex: ['00000d'], code: 'bad-length' },
      { desc: '5 octets', hex: ['01', '0000000d'], code: 'bad-length' },
      { desc: 'tag 0x20 (FreeRADIUS rfc2868.txt decodes it as a raw, invalid attribute)', hex: ['20', '000001'], code: 'invalid' },
    ],
    roundTrip: [{ desc: 'largest 24-bit value', value: { tag: 5, value: 0xffffff } }],
    arbitrary: fc.record({ tag: fc.integer({ min: 0, max: 0x1f }), value: fc.integer({ min: 0, max: 0xffffff }) }, { noNullPrototype: true }),
  },
);

runCodecTables<TaggedValue>(
  { name: 'tagged string value (RFC 2868 §3.6)', decode: decodeTaggedString, encode: encodeTaggedString },
  {
    valid: [
      { desc: 'Tag-1 Tunnel-Private-Group-ID "100"', hex: ['01', '313030'], value: { tag: 1, value: Buffer.from('100') } },
      { desc: 'untagged "10": the first octet 0x31 is above 0x1f, so it is data', hex: ['3130'], value: { tag: 0, value: Buffer.from('10') } },
      { desc: 'first octet 0x20 is data', hex: ['2078'], value: { tag: 0, value: Buffer.from(' x') } },
      { desc: 'first octet 0x00 is data, not a tag (0x01..0x1f only)', hex: ['00', '3130'], value: { tag: 0, value: hex('003130') } },
      { desc: 'tag 0x1f with an empty string', hex: ['1f'], value: { tag: 31, value: Buffer.alloc(0) } },
    ],
    malformed: [{ desc: 'empty value (RFC 2868 strings are one or more octets)', hex: '', code: 'empty' }],
    arbitrary: fc
      .record({ tag: fc.integer({ min: 0, max: 0x1f }), value: fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.from(b)) }, { noNullPrototype: true })
      .filter((t) => t.tag !== 0 || t.value[0] === 0 || t.value[0] > 0x1f),
  },
);

void describe('parseTagged, taggedAttribute, taggedIntegerAttribute', () => {
  void it('parseTagged splits integer and string attributes as RFC 2868 §3 says', () => {
    assert.deepEqual(parseTagged({ type: Attr.TunnelType, value: hex('0100000d') }, true), { tag: 1, value: hex('00000d') });
    assert.deepEqual(parseTagged({ type: Attr.TunnelPrivateGroupId, value: hex('02313030') }, false), { tag: 2, value: Buffer.from('100') });
    assert.deepEqual(parseTagged({ type: Attr.TunnelPrivateGroupId, value: Buffer.from('100') }, false), { tag: 0, value: Buffer.from('100') });
    assert.deepEqual(parseTagged({ type: Attr.TunnelType, value: Buffer.alloc(0) }, true), { tag: 0, value: Buffer.alloc(0) });
  });

  void it('taggedAttribute prepends the tag; taggedIntegerAttribute writes tag + 24-bit value', () => {
    assert.deepEqual(taggedAttribute(Attr.TunnelPrivateGroupId, 1, Buffer.from('100')), { type: 81, value: hex('01313030') });
    assert.deepEqual(taggedIntegerAttribute(Attr.TunnelType, 1, TunnelType.Vlan), { type: 64, value: hex('0100000d') });
  });

  void it('throws RangeError on a tag outside 0x01..0x1f (string) or 0x00..0x1f (integer), or an untagged string that would read as a tag', () => {
    assert.throws(() => taggedAttribute(81, 0, Buffer.from('1')), RangeError);
    assert.throws(() => taggedAttribute(81, 0x20, Buffer.from('1')), RangeError);
    assert.throws(() => taggedIntegerAttribute(64, 0x20, 13), RangeError);
    assert.throws(() => taggedIntegerAttribute(64, 1, 0x1000000), RangeError);
    assert.throws(() => encodeTaggedString({ tag: 0, value: hex('0102') }), RangeError);
  });
});

/** Tunnel-Type, Tunnel-Medium-Type and Tunnel-Private-Group-ID for `vlan` under `tag` (0 = untagged). */
function vlanAttrs(tag: number, vlan: string): RadiusAttribute[] {
  return [
    taggedIntegerAttribute(Attr.TunnelType, tag, TunnelType.Vlan),
    taggedIntegerAttribute(Attr.TunnelMediumType, tag, TunnelMediumType.Ieee802),
    tag === 0 ? { type: Attr.TunnelPrivateGroupId, value: attrString(vlan) } : taggedAttribute(Attr.TunnelPrivateGroupId, tag, attrString(vlan)),
  ];
}

void describe('tunnelVlan (RFC 3580 §3.31, hostapd radius_msg_get_vlanid)', () => {
  const cases: { desc: string; attrs: RadiusAttribute[]; want: number | undefined }[] = [
    { desc: 'untagged: tag octets 0 and the group ID without a tag', attrs: vlanAttrs(0, '10'), want: 10 },
    { desc: 'tagged: all three under tag 1', attrs: vlanAttrs(1, '100'), want: 100 },
    {
      desc: 'as FreeRADIUS sends "Tunnel-Type:1 = VLAN, Tunnel-Medium-Type:1 = IEEE-802, Tunnel-Private-Group-Id:1 = 100"',
      attrs: [
        { type: 64, value: hex('01 00000d') },
        { type: 65, value: hex('01 000006') },
        { type: 81, value: hex('01 313030') },
      ],
      want: 100,
    },
    { desc: 'the lowest tag wins, whatever the order', attrs: [...vlanAttrs(2, '20'), ...vlanAttrs(1, '10')], want: 10 },
    { desc: 'an untagged group (tag 0) wins over tag 1', attrs: [...vlanAttrs(1, '10'), ...vlanAttrs(0, '30')], want: 30 },
    {
      desc: 'a group ID under another tag than Tunnel-Type and Tunnel-Medium-Type: none',
      attrs: [...vlanAttrs(1, '10').slice(0, 2), taggedAttribute(Attr.TunnelPrivateGroupId, 2, attrString('10'))],
      want: undefined,
    },
    { desc: 'no Tunnel-Medium-Type: none', attrs: [vlanAttrs(1, '10')[0], vlanAttrs(1, '10')[2]], want: undefined },
    {
      desc: 'Tunnel-Type PPTP (1) instead of VLAN: none',
      attrs: [taggedIntegerAttribute(64, 1, 1), ...vlanAttrs(1, '10').slice(1)],
      want: undefined,
    },
    {
      desc: 'Tunnel-Medium-Type IPv4 (1) instead of 802: none',
      attrs: [vlanAttrs(1, '10')[0], taggedIntegerAttribute(65, 1, 1), vlanAttrs(1, '10')[2]],
      want: undefined,
    },
    { desc: 'group ID "vlan10" is not decimal: none', attrs: vlanAttrs(1, 'vlan10'), want: undefined },
    { desc: 'group ID "10abc" (hostapd atoi() would take 10): none', attrs: vlanAttrs(1, '10abc'), want: undefined },
    { desc: 'group ID "0": none', attrs: vlanAttrs(1, '0'), want: undefined },
    { desc: 'group ID "4095" (reserved): none', attrs: vlanAttrs(1, '4095'), want: undefined },
    { desc: 'group ID "4094": 4094', attrs: vlanAttrs(1, '4094'), want: 4094 },
    { desc: 'group ID "0042": 42', attrs: vlanAttrs(1, '0042'), want: 42 },
    {
      desc: 'group ID with a zero tag octet (hostapd and FreeRADIUS read 0x00 as a tag): 7',
      attrs: [...vlanAttrs(0, '7').slice(0, 2), { type: 81, value: hex('00 37') }],
      want: 7,
    },
    {
      desc: 'a Tunnel-Type of 5 octets is ignored (hostapd needs attribute Length 6): none',
      attrs: [{ type: 64, value: hex('01 0000000d') }, ...vlanAttrs(1, '10').slice(1)],
      want: undefined,
    },
    {
      desc: 'integer tag octet above 0x1f counts as tag 0 (hostapd): 12',
      attrs: [{ type: 64, value: hex('20 00000d') }, { type: 65, value: hex('20 000006') }, { type: 81, value: attrString('12') }],
      want: 12,
    },
    {
      desc: 'a later attribute with the same tag replaces an earlier one',
      attrs: [...vlanAttrs(1, '10'), taggedAttribute(Attr.TunnelPrivateGroupId, 1, attrString('11'))],
      want: 11,
    },
    { desc: 'no tunnel attributes: none', attrs: [{ type: Attr.UserName, value: attrString('alice') }], want: undefined },
    { desc: 'empty tunnel attribute values are skipped: none', attrs: [{ type: 64, value: Buffer.alloc(0) }, { type: 81, value: Buffer.alloc(0) }], want: undefined },
  ];
  for (const c of cases) {
    void it(c.desc, () => {
      assert.equal(tunnelVlan(c.attrs), c.want);
    });
  }

  void it('never throws on arbitrary tunnel attributes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.constantFrom(64, 65, 81, 1), value: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)) }), { maxLength: 8 }),
        (attrs) => {
          const v = tunnelVlan(attrs);
          assert.ok(v === undefined || (Number.isInteger(v) && v >= 1 && v <= 4094));
        },
      ),
      { numRuns: 500 },
    );
  });
});
