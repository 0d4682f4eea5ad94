// Tests for the netlink codec (RFC 3549 §2.3; Linux uapi netlink.h, genetlink.h: nlmsghdr,
// genlmsghdr, struct nlattr with 4-octet alignment and NLA_F_NESTED).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ok, type Result } from '@airlock/rsn';
import { hex, runCodecTables } from '@airlock/rsn/testing';
import { ATTR, CMD, GENL_CTRL, KEY_ATTR } from './nl80211-constants.js';
import {
  attr,
  attrsLength,
  Attrs,
  decodeGenlmsg,
  decodeNlmsgError,
  decodeNlmsgs,
  encodeAttrs,
  encodeGenlmsg,
  encodeNlmsg,
  NLA_F_NESTED,
  NLM_F,
  NLMSG,
  NLMSG_HDRLEN,
  type Attr,
  type AttrValue,
  type Genlmsg,
  type Nlmsg,
  type NlmsgError,
} from './netlink.js';

const align4 = (n: number): number => (n + 3) & ~3;

// ---- encoders of the test tables (the agent itself only sends requests) ---------------

/** A datagram of `msgs`, each padded to 4 octets as the kernel writes them. */
function encodeDatagram(msgs: readonly Nlmsg[]): Buffer {
  const parts = msgs.map((m) => {
    const len = NLMSG_HDRLEN + m.payload.length;
    const b = Buffer.alloc(align4(len));
    b.writeUInt32LE(len, 0);
    b.writeUInt16LE(m.type, 4);
    b.writeUInt16LE(m.flags, 6);
    b.writeUInt32LE(m.seq, 8);
    b.writeUInt32LE(m.pid, 12);
    b.set(m.payload, NLMSG_HDRLEN);
    return b;
  });
  return Buffer.concat(parts);
}

/** An NLMSG_ERROR payload: the error and a header carrying only the request's sequence number. */
function encodeNlmsgErrorPayload(e: NlmsgError): Buffer {
  const b = Buffer.alloc(4 + NLMSG_HDRLEN);
  b.writeInt32LE(-e.errno, 0);
  b.writeUInt32LE(e.seq, 4 + 8);
  return b;
}

/** A generic netlink payload (reserved octets zero). */
function encodeGenlPayload(g: Genlmsg): Buffer {
  return Buffer.concat([Buffer.from([g.cmd, g.version, 0, 0]), g.attrs]);
}

type AttrEntry = Attrs['list'][number];

/** The attribute list of Attrs.decode as a codec value (the map is checked through the accessors). */
function decodeAttrList(bytes: Uint8Array): Result<readonly AttrEntry[]> {
  const r = Attrs.decode(bytes);
  return r.ok ? ok(r.value.list) : r;
}

/** Encodes decoded attributes back, as opaque octets (the nested flag is not kept by decode). */
function encodeAttrList(list: readonly AttrEntry[]): Buffer {
  return encodeAttrs(list.map((a) => attr.bytes(a.type, a.data)));
}

// ---- nlmsghdr --------------------------------------------------------------------------

/** CTRL_CMD_GETFAMILY for "nl80211", as iw and the agent send it (also in `strace -e sendmsg iw list`). */
const GETFAMILY_NL80211 = [
  '20000000', // nlmsg_len: 32
  '1000', // nlmsg_type: GENL_ID_CTRL (16)
  '0500', // nlmsg_flags: NLM_F_REQUEST | NLM_F_ACK
  '01000000', // nlmsg_seq: 1
  '00000000', // nlmsg_pid: 0 (the kernel fills it in)
  '03', // genl cmd: CTRL_CMD_GETFAMILY
  '01', // genl version: 1
  '0000', // reserved
  '0c00', // nla_len: 12
  '0200', // nla_type: CTRL_ATTR_FAMILY_NAME
  '6e6c383032313100', // "nl80211\0"
];

runCodecTables<Nlmsg[]>(
  { name: 'netlink messages of a datagram (nlmsghdr, RFC 3549 §2.3.2)', decode: decodeNlmsgs, encode: encodeDatagram },
  {
    valid: [
      {
        desc: 'CTRL_CMD_GETFAMILY request for nl80211',
        hex: GETFAMILY_NL80211,
        value: [{ type: GENL_CTRL.ID, flags: NLM_F.REQUEST | NLM_F.ACK, seq: 1, pid: 0, payload: hex(GETFAMILY_NL80211.slice(5)) }],
      },
      {
        desc: 'the kernel ACK of that request (NLMSG_ERROR, error 0, capped to the request header)',
        hex: [
          '24000000', // nlmsg_len: 36
          '0200', // nlmsg_type: NLMSG_ERROR
          '0001', // nlmsg_flags: NLM_F_CAPPED
          '01000000', // nlmsg_seq: 1
          '39300000', // nlmsg_pid: 12345 (the socket's port id)
          '00000000', // error: 0
          '20000000', '1000', '0500', '01000000', '00000000', // the request's nlmsghdr
        ],
        value: [{ type: NLMSG.ERROR, flags: 0x100, seq: 1, pid: 12345, payload: hex(['00000000', '20000000', '1000', '0500', '01000000', '00000000']) }],
      },
      {
        desc: 'a dump part with an unaligned length (padded with 3 octets) and NLMSG_DONE in one datagram',
        hex: [
          '15000000', // nlmsg_len: 21
          '1c00', // nlmsg_type: 28 (the nl80211 family id)
          '0200', // nlmsg_flags: NLM_F_MULTI
          '07000000', // nlmsg_seq: 7
          '39300000', // nlmsg_pid
          '0501000000', // payload: 5 octets
          '000000', // padding to 24
          '14000000', // nlmsg_len: 20
          '0300', // nlmsg_type: NLMSG_DONE
          '0200', // nlmsg_flags: NLM_F_MULTI
          '07000000', // nlmsg_seq: 7
          '39300000', // nlmsg_pid
          '00000000', // payload: the dump's error code, 0
        ],
        value: [
          { type: 28, flags: NLM_F.MULTI, seq: 7, pid: 12345, payload: hex('0501000000') },
          { type: NLMSG.DONE, flags: NLM_F.MULTI, seq: 7, pid: 12345, payload: hex('00000000') },
        ],
      },
      {
        desc: 'the last message without its padding (the datagram ends with the message)',
        hex: [
          '11000000', // nlmsg_len: 17
          '1c00', // nlmsg_type
          '0000', // nlmsg_flags
          '00000000', // nlmsg_seq: 0 (a notification)
          '00000000', // nlmsg_pid: 0 (from the kernel)
          '3b', // payload: 1 octet
        ],
        value: [{ type: 28, flags: 0, seq: 0, pid: 0, payload: hex('3b') }],
        encoded: ['11000000', '1c00', '0000', '00000000', '00000000', '3b', '000000'],
      },
      { desc: 'an empty datagram holds no messages', hex: '', value: [] },
      {
        desc: 'a header-only message (no payload)',
        hex: ['10000000', '0100', '0000', '02000000', '00000000'], // len 16, NLMSG_NOOP, no flags, seq 2, pid 0
        value: [{ type: NLMSG.NOOP, flags: 0, seq: 2, pid: 0, payload: Buffer.alloc(0) }],
      },
    ],
    malformed: [
      { desc: 'short header (15 octets)', hex: ['20000000', '1000', '0500', '01000000', '000000'], code: 'truncated' },
      {
        desc: 'nlmsg_len 15, below the 16-octet header',
        hex: ['0f000000', '1000', '0500', '01000000', '00000000'],
        code: 'bad-length',
      },
      {
        desc: 'nlmsg_len 0 (would never advance)',
        hex: ['00000000', '1000', '0500', '01000000', '00000000'],
        code: 'bad-length',
      },
      {
        desc: 'nlmsg_len 36 past a datagram of 32',
        hex: ['24000000', '1000', '0500', '01000000', '00000000', '03010000', '0c000200'],
        code: 'length-overflow',
      },
      {
        desc: 'a second header cut after 8 octets',
        hex: ['10000000', '0100', '0000', '02000000', '00000000', '10000000', '0100', '0000'],
        code: 'truncated',
      },
    ],
    roundTrip: [
      { desc: 'three messages of 0, 3 and 8 payload octets', value: [0, 3, 8].map((n, i) => ({ type: 28, flags: NLM_F.MULTI, seq: 9, pid: i, payload: Buffer.alloc(n, n) })) },
      { desc: 'largest field values', value: [{ type: 0xffff, flags: 0xffff, seq: 0xffffffff, pid: 0xffffffff, payload: hex('01') }] },
    ],
    arbitrary: fc.array(
      fc
        .record(
          {
            type: fc.integer({ min: 0, max: 0xffff }),
            flags: fc.integer({ min: 0, max: 0xffff }),
            seq: fc.integer({ min: 0, max: 0xffffffff }),
            pid: fc.integer({ min: 0, max: 0xffffffff }),
            payload: fc.uint8Array({ maxLength: 40 }),
          },
          { noNullPrototype: true },
        )
        .map((m) => ({ ...m, payload: Buffer.from(m.payload) })),
      { maxLength: 4 },
    ),
  },
);

// ---- NLMSG_ERROR -----------------------------------------------------------------------

runCodecTables<NlmsgError>(
  { name: 'NLMSG_ERROR payload (struct nlmsgerr)', decode: decodeNlmsgError, encode: encodeNlmsgErrorPayload },
  {
    valid: [
      {
        desc: 'ACK: error 0 is errno 0 (not -0)',
        hex: [
          '00000000', // error: 0
          '20000000', // request nlmsg_len
          '1000', // request nlmsg_type
          '0500', // request nlmsg_flags
          '01000000', // request nlmsg_seq: 1
          '00000000', // request nlmsg_pid
        ],
        value: { errno: 0, seq: 1 },
        encoded: ['00000000', '00000000', '0000', '0000', '01000000', '00000000'],
      },
      {
        desc: 'EINVAL with the original request appended (not capped)',
        hex: [
          'eaffffff', // error: -22
          '20000000', '1c00', '0500', '2a000000', '00000000', // request header, seq 42
          '13010000', // request genl header: NL80211_CMD_NEW_STATION
          '0c00', '0600', '020000000001', '0000', // NL80211_ATTR_MAC
        ],
        value: { errno: 22, seq: 42 },
        encoded: ['eaffffff', '00000000', '0000', '0000', '2a000000', '00000000'],
      },
      {
        desc: 'EPERM (the agent without CAP_NET_ADMIN)',
        hex: ['ffffffff', '00000000', '0000', '0000', '03000000', '00000000'],
        value: { errno: 1, seq: 3 },
      },
    ],
    malformed: [
      { desc: 'empty payload', hex: '', code: 'truncated' },
      { desc: 'error code only, no request header', hex: 'eaffffff', code: 'truncated' },
      { desc: 'request header cut at 15 octets', hex: ['eaffffff', '20000000', '1c00', '0500', '2a000000', '000000'], code: 'truncated' },
    ],
    roundTrip: [{ desc: 'ENODEV (19) answering seq 0xfffffffe', value: { errno: 19, seq: 0xfffffffe } }],
  },
);

// ---- genlmsghdr ------------------------------------------------------------------------

runCodecTables<Genlmsg>(
  { name: 'generic netlink header (struct genlmsghdr)', decode: decodeGenlmsg, encode: encodeGenlPayload },
  {
    valid: [
      {
        desc: 'NL80211_CMD_NEW_STATION event with NL80211_ATTR_IFINDEX',
        hex: [
          '13', // cmd: NL80211_CMD_NEW_STATION
          '01', // version
          '0000', // reserved
          '0800', '0300', '05000000', // NL80211_ATTR_IFINDEX: 5
        ],
        value: { cmd: CMD.NEW_STATION, version: 1, attrs: hex(['0800', '0300', '05000000']) },
      },
      {
        desc: 'header only: no attributes',
        hex: ['05', '00', '0000'], // NL80211_CMD_GET_INTERFACE, version 0, reserved
        value: { cmd: CMD.GET_INTERFACE, version: 0, attrs: Buffer.alloc(0) },
      },
      {
        desc: 'reserved octets are ignored (and written as zero)',
        hex: ['3b', '01', 'abcd'], // NL80211_CMD_FRAME, version 1, reserved 0xcdab
        value: { cmd: CMD.FRAME, version: 1, attrs: Buffer.alloc(0) },
        encoded: ['3b', '01', '0000'],
      },
    ],
    malformed: [
      { desc: 'empty payload', hex: '', code: 'truncated' },
      { desc: 'header cut at 3 octets', hex: ['13', '01', '00'], code: 'truncated' },
    ],
  },
);

// ---- struct nlattr ---------------------------------------------------------------------

runCodecTables<readonly AttrEntry[]>(
  { name: 'netlink attributes (struct nlattr, Attrs.decode)', decode: decodeAttrList, encode: encodeAttrList },
  {
    valid: [
      {
        desc: 'u32: NL80211_ATTR_IFINDEX 5',
        hex: [
          '0800', // nla_len: 8
          '0300', // nla_type: NL80211_ATTR_IFINDEX
          '05000000', // 5
        ],
        value: [{ type: ATTR.IFINDEX, data: hex('05000000') }],
      },
      {
        desc: 'u8 padded with 3 octets, then a flag (no payload)',
        hex: [
          '0500', // nla_len: 5
          '0200', // nla_type: NL80211_KEY_IDX
          '01', // 1
          '000000', // padding
          '0400', // nla_len: 4
          '0500', // nla_type: NL80211_KEY_DEFAULT (flag)
        ],
        value: [
          { type: KEY_ATTR.IDX, data: hex('01') },
          { type: KEY_ATTR.DEFAULT, data: Buffer.alloc(0) },
        ],
      },
      {
        desc: 'string: NL80211_ATTR_IFNAME "wlan0" with its NUL, padded',
        hex: [
          '0a00', // nla_len: 10
          '0400', // nla_type: NL80211_ATTR_IFNAME
          '776c616e3000', // "wlan0\0"
          '0000', // padding
        ],
        value: [{ type: ATTR.IFNAME, data: hex('776c616e3000') }],
      },
      {
        desc: 'nested NL80211_ATTR_KEY with NLA_F_NESTED: the type is read without the flag',
        hex: [
          '1000', // nla_len: 16
          '5080', // nla_type: NL80211_ATTR_KEY | NLA_F_NESTED
          '0500', '0200', '01', '000000', // NL80211_KEY_IDX 1, padded
          '0400', '0500', // NL80211_KEY_DEFAULT
        ],
        value: [{ type: ATTR.KEY, data: hex(['0500', '0200', '01', '000000', '0400', '0500']) }],
        encoded: ['1000', '5000', '0500', '0200', '01', '000000', '0400', '0500'],
      },
      {
        desc: 'NLA_F_NET_BYTEORDER is masked off the type too',
        hex: ['0600', '0340', 'abcd', '0000'], // nla_len 6, type 3 | 0x4000, 2 octets, padding
        value: [{ type: 3, data: hex('abcd') }],
        encoded: ['0600', '0300', 'abcd', '0000'],
      },
      {
        desc: 'the last attribute without its padding',
        hex: ['0500', '0200', '01'], // nla_len 5, NL80211_KEY_IDX, 1
        value: [{ type: KEY_ATTR.IDX, data: hex('01') }],
        encoded: ['0500', '0200', '01', '000000'],
      },
      {
        desc: 'a type twice: both kept in the list, in order',
        hex: ['0800', '0300', '05000000', '0800', '0300', '06000000'],
        value: [
          { type: ATTR.IFINDEX, data: hex('05000000') },
          { type: ATTR.IFINDEX, data: hex('06000000') },
        ],
      },
      { desc: 'an empty attribute list', hex: '', value: [] },
    ],
    malformed: [
      { desc: 'attribute length 3, below its 4-octet header', hex: ['0300', '0300', '05000000'], code: 'bad-length' },
      { desc: 'attribute length 0 (would never advance)', hex: ['0000', '0300', '05000000'], code: 'bad-length' },
      { desc: 'attribute length 12 past a container of 8', hex: ['0c00', '0300', '05000000'], code: 'length-overflow' },
      {
        desc: 'the second attribute runs past its container',
        hex: ['0800', '0300', '05000000', '0800', '0600', '0200'],
        code: 'length-overflow',
      },
      { desc: 'one trailing octet after the last attribute', hex: ['0800', '0300', '05000000', 'aa'], code: 'truncated' },
      { desc: 'three trailing octets after the last attribute', hex: ['0800', '0300', '05000000', '0400', '05'], code: 'truncated' },
      { desc: 'three octets and no attribute', hex: '040005', code: 'truncated' },
    ],
    roundTrip: [
      {
        desc: 'attributes of 0 to 5 octets (every padding length)',
        value: [0, 1, 2, 3, 4, 5].map((n) => ({ type: 100 + n, data: Buffer.alloc(n, 0x5a) })),
      },
      { desc: 'a 65531-octet attribute (the longest nla_len allows)', value: [{ type: ATTR.FRAME, data: Buffer.alloc(65531, 1) }] },
    ],
  },
);

// ---- encoders ----------------------------------------------------------------------------

void describe('netlink encoders', () => {
  void it('encodeGenlmsg writes CTRL_CMD_GETFAMILY for nl80211 field for field', () => {
    const msg = encodeGenlmsg(GENL_CTRL.ID, GENL_CTRL.CMD_GETFAMILY, NLM_F.REQUEST | NLM_F.ACK, 1, [attr.string(GENL_CTRL.ATTR_FAMILY_NAME, 'nl80211')]);
    assert.equal(msg.toString('hex'), hex(GETFAMILY_NL80211).toString('hex'));
  });

  void it('encodeNlmsg pads an unaligned family header and writes pid', () => {
    const msg = encodeNlmsg({ type: 18, flags: NLM_F.REQUEST, seq: 0xfffffffe, pid: 77 }, hex('0a'), [attr.u32(3, 7)]);
    assert.equal(
      msg.toString('hex'),
      hex([
        '1c000000', // nlmsg_len: 28
        '1200', // nlmsg_type: 18 (RTM_GETLINK)
        '0100', // nlmsg_flags: NLM_F_REQUEST
        'feffffff', // nlmsg_seq
        '4d000000', // nlmsg_pid: 77
        '0a', '000000', // family header: 1 octet, padded
        '0800', '0300', '07000000', // attribute 3: u32 7
      ]).toString('hex'),
    );
  });

  void it('encodeAttrs writes each value type, padded to 4 octets, nested with NLA_F_NESTED', () => {
    const attrs: Attr[] = [
      attr.u8(1, 0xab),
      attr.u16(2, 0x1234),
      attr.u32(3, 0xdeadbeef),
      attr.u64(4, 0x0102030405060708n),
      attr.flag(5),
      attr.bytes(6, hex('aabbcc')),
      attr.string(7, 'é'),
      attr.nested(8, [attr.u8(1, 1), attr.flag(2)]),
      attr.nested(9, []),
    ];
    const expected = hex([
      '0500', '0100', 'ab', '000000', // u8
      '0600', '0200', '3412', '0000', // u16
      '0800', '0300', 'efbeadde', // u32
      '0c00', '0400', '0807060504030201', // u64
      '0400', '0500', // flag
      '0700', '0600', 'aabbcc', '00', // bytes
      '0700', '0700', 'c3a900', '00', // string: UTF-8 and NUL
      '1000', '0880', '0500', '0100', '01', '000000', '0400', '0200', // nested: NLA_F_NESTED | 8
      '0400', '0980', // empty nested set
    ]);
    const got = encodeAttrs(attrs);
    assert.equal(got.toString('hex'), expected.toString('hex'));
    assert.equal(attrsLength(attrs), expected.length);
  });

  void it('encodeGenlmsg -> decodeNlmsgs -> decodeGenlmsg -> Attrs gives back every field', () => {
    const mac = hex('020000000001');
    const msg = encodeGenlmsg(
      28,
      CMD.NEW_STATION,
      NLM_F.REQUEST | NLM_F.ACK,
      0x01020304,
      [attr.u32(ATTR.IFINDEX, 5), attr.bytes(ATTR.MAC, mac), attr.u16(ATTR.STA_AID, 1), attr.nested(ATTR.KEY, [attr.u8(KEY_ATTR.IDX, 2), attr.flag(KEY_ATTR.DEFAULT)]), attr.string(ATTR.IFNAME, 'wlan0')],
      2,
    );
    const msgs = decodeNlmsgs(msg);
    assert.ok(msgs.ok);
    assert.equal(msgs.value.length, 1);
    const [m] = msgs.value;
    assert.deepEqual({ type: m.type, flags: m.flags, seq: m.seq, pid: m.pid }, { type: 28, flags: NLM_F.REQUEST | NLM_F.ACK, seq: 0x01020304, pid: 0 });
    const g = decodeGenlmsg(m.payload);
    assert.ok(g.ok);
    assert.equal(g.value.cmd, CMD.NEW_STATION);
    assert.equal(g.value.version, 2);
    const a = Attrs.decode(g.value.attrs);
    assert.ok(a.ok);
    assert.equal(a.value.u32(ATTR.IFINDEX), 5);
    assert.deepEqual(a.value.bytes(ATTR.MAC), mac);
    assert.equal(a.value.u16(ATTR.STA_AID), 1);
    assert.equal(a.value.string(ATTR.IFNAME), 'wlan0');
    const key = a.value.nested(ATTR.KEY);
    assert.ok(key !== undefined);
    assert.equal(key.u8(KEY_ATTR.IDX), 2);
    assert.ok(key.has(KEY_ATTR.DEFAULT));
    assert.deepEqual(
      a.value.list.map((x) => x.type),
      [ATTR.IFINDEX, ATTR.MAC, ATTR.STA_AID, ATTR.KEY, ATTR.IFNAME],
    );
  });
});

// ---- accessors -------------------------------------------------------------------------

void describe('Attrs accessors', () => {
  function decoded(bytes: Buffer | readonly string[]): Attrs {
    const r = Attrs.decode(Buffer.isBuffer(bytes) ? bytes : hex(bytes));
    assert.ok(r.ok, r.ok ? '' : r.error.detail);
    return r.value;
  }

  void it('read u8, u16, u32, u64 and strings of the right length', () => {
    const a = decoded(encodeAttrs([attr.u8(1, 7), attr.u16(2, 0xbeef), attr.u32(3, 0xffffffff), attr.u64(4, 2n ** 64n - 1n), attr.string(5, 'phy0')]));
    assert.equal(a.u8(1), 7);
    assert.equal(a.u16(2), 0xbeef);
    assert.equal(a.u32(3), 0xffffffff);
    assert.equal(a.u64(4), 2n ** 64n - 1n);
    assert.equal(a.string(5), 'phy0');
  });

  void it('return undefined for an absent attribute', () => {
    const a = decoded([]);
    assert.equal(a.has(1), false);
    assert.equal(a.bytes(1), undefined);
    assert.equal(a.u8(1), undefined);
    assert.equal(a.u16(1), undefined);
    assert.equal(a.u32(1), undefined);
    assert.equal(a.u64(1), undefined);
    assert.equal(a.string(1), undefined);
    assert.equal(a.nested(1), undefined);
  });

  const short = [
    { desc: 'u8 of an empty value (a flag)', h: ['0400', '0100'], read: (a: Attrs) => a.u8(1) },
    { desc: 'u16 of 1 octet', h: ['0500', '0100', '01', '000000'], read: (a: Attrs) => a.u16(1) },
    { desc: 'u32 of 3 octets', h: ['0700', '0100', '010203', '00'], read: (a: Attrs) => a.u32(1) },
    { desc: 'u64 of 4 octets', h: ['0800', '0100', '01020304'], read: (a: Attrs) => a.u64(1) },
    { desc: 'nested set that does not decode', h: ['0800', '0180', '0300', '0100'], read: (a: Attrs) => a.nested(1) },
  ];
  for (const c of short) {
    void it(`return undefined for a ${c.desc}`, () => assert.equal(c.read(decoded(c.h)), undefined));
  }

  void it('read a string up to its NUL, or the whole value when it has none', () => {
    const a = decoded([
      '0a00', '0100', '61620063', '6400', '0000', // "ab\0cd": "ab"
      '0600', '0200', '6869', '0000', // "hi" without NUL
      '0400', '0300', // empty value: ""
    ]);
    assert.equal(a.string(1), 'ab');
    assert.equal(a.string(2), 'hi');
    assert.equal(a.string(3), '');
  });

  void it('keep the first of two attributes of one type (as the kernel parsers do)', () => {
    const a = decoded(['0800', '0300', '05000000', '0800', '0300', '06000000']);
    assert.equal(a.u32(3), 5);
    assert.equal(a.list.length, 2);
  });

  void it('hand out views of the input, not copies', () => {
    const bytes = hex(['0800', '0300', '05000000']);
    const r = Attrs.decode(bytes);
    assert.ok(r.ok);
    bytes[4] = 9;
    assert.equal(r.value.u32(3), 9);
  });
});

// ---- attribute trees ---------------------------------------------------------------------

const attrType = fc.integer({ min: 0, max: 0x3fff });
const leafValue: fc.Arbitrary<AttrValue> = fc.oneof(
  fc.integer({ min: 0, max: 0xff }).map((v): AttrValue => ({ u8: v })),
  fc.integer({ min: 0, max: 0xffff }).map((v): AttrValue => ({ u16: v })),
  fc.integer({ min: 0, max: 0xffffffff }).map((v): AttrValue => ({ u32: v })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v): AttrValue => ({ u64: v })),
  fc.constant<AttrValue>({ flag: true }),
  fc.uint8Array({ maxLength: 12 }).map((v): AttrValue => ({ bytes: Buffer.from(v) })),
  fc
    .string({ maxLength: 12 })
    .filter((s) => !s.includes('\0'))
    .map((v): AttrValue => ({ string: v })),
);
const { tree: attrTree } = fc.letrec<{ tree: Attr[]; node: Attr }>((tie) => ({
  tree: fc.array(tie('node'), { maxLength: 4 }),
  node: fc.tuple(attrType, fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafValue, tie('tree').map((t): AttrValue => ({ nested: t })))).map(([type, value]) => ({ type, value })),
}));

/** Reads `bytes` back as attributes shaped like `shape`, checking the nested flag on the wire. */
function readBack(shape: readonly Attr[], bytes: Uint8Array): Attr[] {
  const r = Attrs.decode(bytes);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.detail}`);
  assert.equal(r.value.list.length, shape.length);
  return shape.map((s, i) => {
    const { type, data } = r.value.list[i];
    const wireType = Buffer.from(data.buffer, data.byteOffset - 4, 4).readUInt16LE(2);
    const v = s.value;
    assert.equal((wireType & NLA_F_NESTED) !== 0, 'nested' in v, 'NLA_F_NESTED marks exactly the nested sets');
    const sized = (n: number): Buffer => {
      assert.equal(data.length, n, `attribute ${type}: value length`);
      return data;
    };
    let value: AttrValue;
    if ('u8' in v) value = { u8: sized(1)[0] };
    else if ('u16' in v) value = { u16: sized(2).readUInt16LE(0) };
    else if ('u32' in v) value = { u32: sized(4).readUInt32LE(0) };
    else if ('u64' in v) value = { u64: sized(8).readBigUInt64LE(0) };
    else if ('flag' in v) value = sized(0).length === 0 ? { flag: true } : { bytes: data };
    else if ('bytes' in v) value = { bytes: data };
    else if ('string' in v) {
      assert.equal(data[data.length - 1], 0, 'a string ends with NUL');
      value = { string: data.subarray(0, -1).toString('utf8') };
    } else value = { nested: readBack(v.nested, data) };
    return { type, value };
  });
}

void describe('netlink attribute trees (properties)', () => {
  void it('encodeAttrs -> Attrs.decode gives back arbitrary trees; lengths are 4-aligned and as announced', () => {
    fc.assert(
      fc.property(attrTree, (tree) => {
        const bytes = encodeAttrs(tree);
        assert.equal(bytes.length, attrsLength(tree));
        assert.equal(bytes.length % 4, 0);
        assert.deepStrictEqual(readBack(tree, bytes), tree);
      }),
      { numRuns: 400 },
    );
  });

  void it('a tree inside encodeGenlmsg survives decodeNlmsgs -> decodeGenlmsg -> Attrs', () => {
    fc.assert(
      fc.property(attrTree, fc.integer({ min: 0x10, max: 0xffff }), fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xffffffff }), (tree, family, cmd, seq) => {
        const d = decodeNlmsgs(encodeGenlmsg(family, cmd, NLM_F.REQUEST, seq, tree));
        assert.ok(d.ok && d.value.length === 1);
        assert.equal(d.value[0].seq, seq);
        const g = decodeGenlmsg(d.value[0].payload);
        assert.ok(g.ok);
        assert.equal(g.value.cmd, cmd);
        assert.deepStrictEqual(readBack(tree, g.value.attrs), tree);
      }),
      { numRuns: 200 },
    );
  });

  void it('nested() of an arbitrary attribute never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (inner) => {
        const a = Attrs.decode(encodeAttrs([attr.bytes(1, inner)]));
        assert.ok(a.ok);
        const n = a.value.nested(1);
        assert.equal(n === undefined, !Attrs.decode(inner).ok);
      }),
      { numRuns: 400 },
    );
  });
});
