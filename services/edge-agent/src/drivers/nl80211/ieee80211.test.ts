// Tests for the IEEE 802.11-2020 management frames of the AP's MLME: MAC header (§9.3.3.2),
// element list (§9.4.2.1), Authentication (§9.3.3.12), (Re)Association Request and Response
// (§9.3.3.6-9), reason codes (§9.4.1.7), Beacon and Probe Response (§9.3.3.3, §9.3.3.11).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hex, runCodecTables } from '@airlock/rsn/testing';
import {
  assocResponseElements,
  CAPAB,
  channelFrequency,
  decodeAssocRequestBody,
  decodeAuthBody,
  decodeElements,
  decodeMgmtFrame,
  decodeReasonBody,
  decodeSaQuery,
  EID,
  element,
  Elements,
  encodeAssocResponseBody,
  encodeAuthBody,
  encodeBeacon,
  encodeMgmtFrame,
  encodeProbeResponse,
  encodeReasonBody,
  encodeSaQuery,
  EXT_CAPAB_BIT,
  extendedCapabilitiesElement,
  FC_RETRY,
  MGMT,
  rateElements,
  RSNX_CAPAB_BIT,
  rsnxeElement,
  rsnxeHas,
  stationRates,
  TIMEOUT_INTERVAL_TYPE,
  timeoutIntervalElement,
  type AssocRequestBody,
  type AuthBody,
  type BssAdvertisement,
  type MgmtFrame,
  type SaQuery,
} from './ieee80211.js';

// mac80211_hwsim's addresses: radio 0 is the AP, radio 1 the station.
const AP = '020000000000';
const STA = '020000000100';
const BROADCAST = 'ffffffffffff';

/** The rates the nl80211 driver announces on 2.4 GHz (12: 8 in Supported Rates, 4 extended) and 5 GHz. */
const RATES_2G = [0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24, 0x30, 0x48, 0x60, 0x6c];
const RATES_5G = [0x8c, 0x12, 0x98, 0x24, 0xb0, 0x48, 0x60, 0x6c];

/** RSNE of a WPA2-PSK BSS or station: CCMP-128 group and pairwise, PSK, capabilities 0. */
const RSNE_PSK = [
  '30', // element ID: RSN
  '14', // length: 20
  '0100', // version 1
  '000fac04', // group data cipher: CCMP-128
  '0100', '000fac04', // pairwise cipher count 1: CCMP-128
  '0100', '000fac02', // AKM count 1: PSK
  '0000', // RSN capabilities
];

// ---- MAC header ------------------------------------------------------------------------

/** The header fields and the body, as decodeMgmtFrame sees them (Duration is written as 0). */
function encodeFrame(f: MgmtFrame): Buffer {
  const out = encodeMgmtFrame(f.subtype, f.da, f.sa, f.bssid, f.body);
  out[1] = f.flags;
  out.writeUInt16LE(f.seqCtrl, 22);
  return out;
}

const addr6 = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => Buffer.from(b));

runCodecTables<MgmtFrame>(
  { name: 'management frame MAC header (IEEE 802.11-2020 §9.3.3.2)', decode: decodeMgmtFrame, encode: encodeFrame },
  {
    valid: [
      {
        desc: 'Authentication from the station (Open System, transaction 1)',
        hex: [
          'b0', // frame control: version 0, type management, subtype Authentication
          '00', // flags
          '0000', // duration
          AP, // DA
          STA, // SA
          AP, // BSSID
          '1000', // sequence control: sequence number 1, fragment 0
          '0000', '0100', '0000', // body: algorithm, transaction, status
        ],
        value: { subtype: MGMT.AUTH, flags: 0, da: hex(AP), sa: hex(STA), bssid: hex(AP), seqCtrl: 0x0010, body: hex('000001000000') },
      },
      {
        desc: 'Association Request retransmitted (retry flag), with its Duration (not kept)',
        hex: [
          '00', // frame control: Association Request
          '08', // flags: retry
          '3a01', // duration: 314 µs
          AP, // DA
          STA, // SA
          AP, // BSSID
          '2000', // sequence control: sequence number 2
          '3104', '0a00', // body: capability, listen interval
        ],
        value: { subtype: MGMT.ASSOC_REQ, flags: FC_RETRY, da: hex(AP), sa: hex(STA), bssid: hex(AP), seqCtrl: 0x0020, body: hex('31040a00') },
        encoded: ['00', '08', '0000', AP, STA, AP, '2000', '3104', '0a00'],
      },
      {
        desc: 'Probe Request to the broadcast address, wildcard SSID',
        hex: [
          '40', // frame control: Probe Request
          '00', // flags
          '0000', // duration
          BROADCAST, // DA
          STA, // SA
          BROADCAST, // BSSID
          '3000', // sequence control
          '00', '00', // SSID element, wildcard
          '01', '04', '82848b96', // Supported Rates
        ],
        value: { subtype: MGMT.PROBE_REQ, flags: 0, da: hex(BROADCAST), sa: hex(STA), bssid: hex(BROADCAST), seqCtrl: 0x0030, body: hex('0000010482848b96') },
      },
      {
        desc: 'header only (24 octets, empty body)',
        hex: ['c0', '00', '0000', AP, STA, AP, 'f0ff'], // Deauthentication, sequence 4095
        value: { subtype: MGMT.DEAUTH, flags: 0, da: hex(AP), sa: hex(STA), bssid: hex(AP), seqCtrl: 0xfff0, body: Buffer.alloc(0) },
      },
    ],
    malformed: [
      { desc: 'empty buffer', hex: '', code: 'empty' },
      { desc: 'header cut at 23 octets', hex: ['b0', '00', '0000', AP, STA, AP, '10'], code: 'truncated' },
      { desc: 'an ACK (control frame of 10 octets)', hex: ['d4', '00', '0000', STA], code: 'truncated' },
      { desc: 'a data frame (type 2)', hex: ['08', '01', '0000', AP, STA, AP, '1000', 'aaaa0300'], code: 'bad-type' },
      { desc: 'a control frame of 24 octets (type 1)', hex: ['84', '00', '0000', AP, STA, AP, '0000'], code: 'bad-type' },
      { desc: 'protocol version 1', hex: ['b1', '00', '0000', AP, STA, AP, '1000'], code: 'bad-version' },
    ],
    roundTrip: [
      { desc: 'Disassociation with retry and protected flags', value: { subtype: MGMT.DISASSOC, flags: 0x48, da: hex(STA), sa: hex(AP), bssid: hex(AP), seqCtrl: 0x1234, body: hex('0800') } },
    ],
    arbitrary: fc
      .record(
        {
          subtype: fc.integer({ min: 0, max: 15 }).map((s) => s << 4),
          flags: fc.integer({ min: 0, max: 0xff }),
          da: addr6,
          sa: addr6,
          bssid: addr6,
          seqCtrl: fc.integer({ min: 0, max: 0xffff }),
          body: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
        },
        { noNullPrototype: true },
      ),
  },
);

// ---- element list ------------------------------------------------------------------------

/** An element list as a value: each element's data and its raw octets from the ID. */
function elements(...list: [number, string][]): Elements {
  return new Elements(list.map(([id, data]) => ({ id, data: hex(data), raw: Buffer.concat([Buffer.from([id, hex(data).length]), hex(data)]) })));
}

function encodeElements(e: Elements): Buffer {
  return Buffer.concat(e.list.map((x) => element(x.id, x.data)));
}

runCodecTables<Elements>(
  { name: 'element list (IEEE 802.11-2020 §9.4.2.1)', decode: decodeElements, encode: encodeElements },
  {
    valid: [
      {
        desc: 'SSID, Supported Rates, DS Parameter Set of a Beacon',
        hex: [
          '00', '04', '636f7270', // SSID "corp"
          '01', '08', '82848b960c121824', // Supported Rates
          '03', '01', '01', // DS Parameter Set: channel 1
        ],
        value: elements([EID.SSID, '636f7270'], [EID.SUPP_RATES, '82848b960c121824'], [EID.DS_PARAMS, '01']),
      },
      {
        desc: 'RSNE of a WPA2-PSK station, kept byte for byte from its ID',
        hex: RSNE_PSK,
        value: elements([EID.RSN, RSNE_PSK.slice(2).join('')]),
      },
      {
        desc: 'zero-length elements: wildcard SSID, empty vendor element',
        hex: ['00', '00', 'dd', '00'],
        value: elements([EID.SSID, ''], [EID.VENDOR, '']),
      },
      { desc: 'an empty list', hex: '', value: new Elements([]) },
      {
        desc: 'a 255-octet element (the longest)',
        hex: ['dd', 'ff', '5a'.repeat(255)],
        value: elements([EID.VENDOR, '5a'.repeat(255)]),
      },
    ],
    malformed: [
      { desc: 'a lone octet', hex: '00', code: 'truncated' },
      { desc: 'a lone trailing octet after an element', hex: ['00', '04', '636f7270', '01'], code: 'truncated' },
      { desc: 'Length 8 past the end (4 octets left)', hex: ['00', '08', '636f7270'], code: 'length-overflow' },
      { desc: 'the second element runs past the end', hex: ['00', '00', '30', '14', '0100', '000fac04'], code: 'length-overflow' },
    ],
    roundTrip: [{ desc: 'the same ID twice (two RSNEs), in order', value: elements([EID.RSN, '0100'], [EID.RSN, '0200']) }],
    arbitrary: fc
      .array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 255 })), { maxLength: 5 })
      .map((list) => elements(...list.map(([id, d]): [number, string] => [id, Buffer.from(d).toString('hex')]))),
  },
);

void describe('element list: views and helpers', () => {
  void it('elements are views of the frame; raw starts at the Element ID', () => {
    const bytes = hex(['00', '04', '636f7270', ...RSNE_PSK]);
    const d = decodeElements(bytes);
    assert.ok(d.ok);
    const rsn = d.value.find(EID.RSN);
    assert.ok(rsn !== undefined);
    assert.equal(rsn.raw.byteOffset - bytes.byteOffset, 6);
    assert.equal(rsn.raw.toString('hex'), hex(RSNE_PSK).toString('hex'));
    bytes[6 + 2] = 0x02; // the RSNE version, in the frame
    assert.equal(rsn.raw[2], 0x02);
    assert.equal(rsn.data[0], 0x02);
  });

  void it('find() returns the first of an ID, count() counts them', () => {
    const d = decodeElements(hex(['30', '02', '0100', '30', '02', '0200']));
    assert.ok(d.ok);
    assert.equal(d.value.count(EID.RSN), 2);
    assert.equal(d.value.find(EID.RSN)?.data.toString('hex'), '0100');
    assert.equal(d.value.find(EID.SSID), undefined);
    assert.equal(d.value.count(EID.SSID), 0);
  });

  void it('element() refuses data longer than 255 octets', () => {
    assert.throws(() => element(EID.VENDOR, Buffer.alloc(256)), RangeError);
  });

  void it('rateElements puts the first 8 rates in Supported Rates and the rest in Extended Supported Rates', () => {
    const r = rateElements(RATES_2G);
    assert.equal(r.supported.toString('hex'), hex(['01', '08', '82848b960c121824']).toString('hex'));
    assert.equal(r.extended?.toString('hex'), hex(['32', '04', '3048606c']).toString('hex'));
    assert.equal(rateElements(RATES_5G).extended, undefined);
  });

  void it('stationRates joins Supported and Extended Supported Rates in frame order', () => {
    const d = decodeElements(hex(['01', '02', '8284', '00', '00', '32', '02', '0c12']));
    assert.ok(d.ok);
    assert.deepEqual(stationRates(d.value), [0x82, 0x84, 0x0c, 0x12]);
  });
});

// ---- Authentication ------------------------------------------------------------------------

runCodecTables<AuthBody>(
  { name: 'Authentication frame body (IEEE 802.11-2020 §9.3.3.12)', decode: decodeAuthBody, encode: encodeAuthBody },
  {
    valid: [
      {
        desc: 'Open System request',
        hex: [
          '0000', // authentication algorithm: Open System
          '0100', // transaction sequence number 1
          '0000', // status code
        ],
        value: { algorithm: 0, transaction: 1, status: 0, rest: Buffer.alloc(0) },
      },
      {
        desc: 'Open System response refused with status 13',
        hex: ['0000', '0200', '0d00'],
        value: { algorithm: 0, transaction: 2, status: 13, rest: Buffer.alloc(0) },
      },
      {
        desc: 'SAE commit: the fields after the fixed part are kept in rest',
        hex: [
          '0300', // algorithm: SAE
          '0100', // transaction 1 (commit)
          '0000', // status
          '1300', // finite cyclic group 19
          'aabbccdd', // (start of the scalar)
        ],
        value: { algorithm: 3, transaction: 1, status: 0, rest: hex('1300aabbccdd') },
      },
    ],
    malformed: [
      { desc: 'empty body', hex: '', code: 'truncated' },
      { desc: 'status code cut (5 octets)', hex: ['0000', '0100', '00'], code: 'truncated' },
    ],
    arbitrary: fc
      .record(
        {
          algorithm: fc.integer({ min: 0, max: 0xffff }),
          transaction: fc.integer({ min: 0, max: 0xffff }),
          status: fc.integer({ min: 0, max: 0xffff }),
          rest: fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b)),
        },
        { noNullPrototype: true },
      ),
  },
);

// ---- SA Query ------------------------------------------------------------------------------

runCodecTables<SaQuery>(
  { name: 'SA Query Action frame body (IEEE 802.11-2020 §9.6.9)', decode: decodeSaQuery, encode: (q) => Buffer.concat([encodeSaQuery(q.action, q.transactionId), q.rest]) },
  {
    valid: [
      {
        desc: 'SA Query Request',
        hex: [
          '08', // category: SA Query
          '00', // action: SA Query Request
          '1234', // transaction identifier
        ],
        value: { action: 0, transactionId: hex('1234'), rest: Buffer.alloc(0) },
      },
      {
        desc: 'SA Query Response with an OCI element after it (kept in rest)',
        hex: [
          '08', // category
          '01', // action: SA Query Response
          'beef', // transaction identifier
          'ff', '04', '3651', '0000', // OCI (element extension 54): kept, not read
        ],
        value: { action: 1, transactionId: hex('beef'), rest: hex('ff0436510000') },
      },
    ],
    malformed: [
      { desc: 'empty body', hex: '', code: 'empty' },
      { desc: 'another category (Public, 4)', hex: ['04', '00', '1234'], code: 'bad-type' },
      { desc: 'transaction identifier cut (3 octets)', hex: ['08', '00', '12'], code: 'truncated' },
      { desc: 'category only', hex: '08', code: 'truncated' },
    ],
    arbitrary: fc.record(
      {
        action: fc.integer({ min: 0, max: 255 }),
        transactionId: fc.uint8Array({ minLength: 2, maxLength: 2 }).map((b) => Buffer.from(b)),
        rest: fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
      },
      { noNullPrototype: true },
    ),
  },
);

void describe('SA Query encoding', () => {
  void it('a transaction identifier of other than 2 octets is a programmer error', () => {
    assert.throws(() => encodeSaQuery(0, hex('12')), RangeError);
  });
});

// ---- elements an AP with SAE and PMF writes ----------------------------------------------

void describe('Timeout Interval, Extended Capabilities, RSN Extension elements (§9.4.2.49, §9.4.2.26, §9.4.2.241)', () => {
  void it('Timeout Interval: association comeback of 1000 TU', () => {
    assert.equal(
      timeoutIntervalElement(TIMEOUT_INTERVAL_TYPE.ASSOC_COMEBACK, 1000).toString('hex'),
      hex([
        '38', // element ID 56
        '05', // length
        '03', // type: association comeback time
        'e8030000', // 1000, little-endian
      ]).toString('hex'),
    );
  });

  const extCapab = [
    { desc: 'beacon protection (bit 84): 11 octets, octet 10 = 0x10', bits: [EXT_CAPAB_BIT.BEACON_PROTECTION], hex: ['7f', '0b', '00'.repeat(10), '10'] },
    { desc: 'bit 0 only: one octet', bits: [0], hex: ['7f', '01', '01'] },
    { desc: 'no bits: one zero octet', bits: [], hex: ['7f', '01', '00'] },
  ];
  for (const c of extCapab) void it(`Extended Capabilities: ${c.desc}`, () => assert.equal(extendedCapabilitiesElement(c.bits).toString('hex'), hex(c.hex).toString('hex')));

  const rsnx = [
    { desc: 'SAE hash-to-element: one octet, Field Length 0, bit 5', bits: [RSNX_CAPAB_BIT.SAE_HASH_TO_ELEMENT], hex: ['f4', '01', '20'] },
    { desc: 'H2E and SAE-PK', bits: [RSNX_CAPAB_BIT.SAE_HASH_TO_ELEMENT, RSNX_CAPAB_BIT.SAE_PK], hex: ['f4', '01', '60'] },
    { desc: 'bit 9 (secure RTT): two octets, Field Length 1', bits: [9], hex: ['f4', '02', '01', '02'] },
    { desc: 'no bits: no element', bits: [], hex: '' },
  ];
  for (const c of rsnx) void it(`RSNXE: ${c.desc}`, () => assert.equal(rsnxeElement(c.bits).toString('hex'), hex(c.hex).toString('hex')));

  void it('RSNXE: bits 0..3 are the Field Length, not capabilities', () => assert.throws(() => rsnxeElement([3]), RangeError));

  const has = [
    { desc: 'H2E set', rsnxe: 'f40120', bit: 5, has: true },
    { desc: 'H2E clear', rsnxe: 'f40100', bit: 5, has: false },
    { desc: 'bit 9 of a two-octet field', rsnxe: 'f4020102', bit: 9, has: true },
    { desc: 'bit 9 beyond a Field Length of 1 octet', rsnxe: 'f4020002', bit: 9, has: false },
    { desc: 'a Field Length longer than the element (counted only as far as it goes)', rsnxe: 'f40123', bit: 9, has: false },
    { desc: 'an element Length past the buffer', rsnxe: 'f40520', bit: 5, has: true },
    { desc: 'another element', rsnxe: '300120', bit: 5, has: false },
    { desc: 'an empty RSNXE', rsnxe: 'f400', bit: 5, has: false },
    { desc: 'nothing', rsnxe: '', bit: 5, has: false },
  ];
  for (const c of has) void it(`rsnxeHas: ${c.desc}`, () => assert.equal(rsnxeHas(hex(c.rsnxe), c.bit), c.has));
});

// ---- (Re)Association Request -------------------------------------------------------------

/** A (Re)Association Request body from its fields (the AP never sends one). */
function encodeAssocRequest(r: AssocRequestBody): Buffer {
  const fixed = Buffer.alloc(4);
  fixed.writeUInt16LE(r.capability, 0);
  fixed.writeUInt16LE(r.listenInterval, 2);
  return Buffer.concat([fixed, r.currentAp ?? Buffer.alloc(0), r.elementBytes]);
}

const REQUEST_ELEMENTS = [
  '00', '04', '636f7270', // SSID "corp"
  '01', '08', '82848b960c121824', // Supported Rates
  ...RSNE_PSK,
];

runCodecTables<AssocRequestBody>(
  { name: 'Association Request body (IEEE 802.11-2020 §9.3.3.6)', decode: (b) => decodeAssocRequestBody(b, false), encode: encodeAssocRequest },
  {
    valid: [
      {
        desc: 'WPA2-PSK station: capability, listen interval, SSID, rates, RSNE',
        hex: [
          '3104', // capability: ESS, Privacy, Short Preamble, Short Slot Time
          '0a00', // listen interval: 10
          ...REQUEST_ELEMENTS,
        ],
        value: { capability: CAPAB.ESS | CAPAB.PRIVACY | CAPAB.SHORT_PREAMBLE | CAPAB.SHORT_SLOT_TIME, listenInterval: 10, currentAp: undefined, elementBytes: hex(REQUEST_ELEMENTS) },
      },
      {
        desc: 'fixed fields only (no elements)',
        hex: ['0100', '0100'],
        value: { capability: CAPAB.ESS, listenInterval: 1, currentAp: undefined, elementBytes: Buffer.alloc(0) },
      },
    ],
    malformed: [
      { desc: 'empty body', hex: '', code: 'truncated' },
      { desc: 'listen interval cut (3 octets)', hex: ['3104', '0a'], code: 'truncated' },
    ],
    arbitrary: fc
      .record(
        {
          capability: fc.integer({ min: 0, max: 0xffff }),
          listenInterval: fc.integer({ min: 0, max: 0xffff }),
          elementBytes: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
        },
        { noNullPrototype: true },
      )
      .map((r): AssocRequestBody => ({ ...r, currentAp: undefined })),
  },
);

runCodecTables<AssocRequestBody>(
  { name: 'Reassociation Request body (IEEE 802.11-2020 §9.3.3.8)', decode: (b) => decodeAssocRequestBody(b, true), encode: encodeAssocRequest },
  {
    valid: [
      {
        desc: 'roaming station: Current AP Address after the listen interval',
        hex: [
          '3104', // capability
          '0a00', // listen interval
          '020000000a00', // Current AP Address
          ...REQUEST_ELEMENTS,
        ],
        value: { capability: 0x0431, listenInterval: 10, currentAp: hex('020000000a00'), elementBytes: hex(REQUEST_ELEMENTS) },
      },
    ],
    malformed: [
      { desc: 'empty body', hex: '', code: 'truncated' },
      { desc: 'Current AP Address cut (9 octets)', hex: ['3104', '0a00', '020000000a'], code: 'truncated' },
      { desc: 'an Association Request body taken as a reassociation (4 octets)', hex: ['3104', '0a00'], code: 'truncated' },
    ],
    arbitrary: fc.record(
      {
        capability: fc.integer({ min: 0, max: 0xffff }),
        listenInterval: fc.integer({ min: 0, max: 0xffff }),
        currentAp: addr6,
        elementBytes: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
      },
      { noNullPrototype: true },
    ),
  },
);

// ---- reason code ---------------------------------------------------------------------------

runCodecTables<number>(
  { name: 'Deauthentication / Disassociation body (IEEE 802.11-2020 §9.3.3.5, §9.3.3.13)', decode: decodeReasonBody, encode: encodeReasonBody },
  {
    valid: [
      { desc: 'reason 3: deauthenticated because the station is leaving', hex: '0300', value: 3 },
      {
        desc: 'reason 8 followed by a vendor element (ignored)',
        hex: [
          '0800', // reason code: Disassociated because the station is leaving
          'dd', '04', '0050f201', // vendor element
        ],
        value: 8,
        encoded: '0800',
      },
    ],
    malformed: [
      { desc: 'empty body', hex: '', code: 'truncated' },
      { desc: 'one octet', hex: '03', code: 'truncated' },
    ],
    arbitrary: fc.integer({ min: 0, max: 0xffff }),
  },
);

// ---- Association Response ----------------------------------------------------------------

void describe('Association Response body (IEEE 802.11-2020 §9.3.3.7, AID §9.4.1.8)', () => {
  const cases = [
    {
      desc: 'success, AID 1: bits 14 and 15 set, then the rates',
      r: { capability: 0x0431, status: 0, aid: 1, elements: [hex(['01', '08', '82848b960c121824']), hex(['32', '04', '3048606c'])] },
      hex: [
        '3104', // capability
        '0000', // status: success
        '01c0', // AID 1 | 0xc000
        '01', '08', '82848b960c121824', // Supported Rates
        '32', '04', '3048606c', // Extended Supported Rates
      ],
    },
    {
      desc: 'success, AID 2007 (the largest)',
      r: { capability: 0x0411, status: 0, aid: 2007, elements: [] },
      hex: ['1104', '0000', 'd7c7'], // 2007 = 0x07d7, | 0xc000
    },
    {
      desc: 'refused with status 17: AID 0, no bits set',
      r: { capability: 0x0431, status: 17, aid: 0, elements: [] },
      hex: ['3104', '1100', '0000'],
    },
  ];
  for (const c of cases) {
    void it(c.desc, () => assert.equal(encodeAssocResponseBody(c.r).toString('hex'), hex(c.hex).toString('hex')));
  }
});

// ---- Beacon and Probe Response -------------------------------------------------------------

function bss(over: Partial<BssAdvertisement> = {}): BssAdvertisement {
  return { bssid: hex(AP), ssid: Buffer.from('corp'), beaconIntervalTu: 100, capability: 0x0431, rates: RATES_2G, channel: 1, rsne: hex(RSNE_PSK), ...over };
}

const BEACON_FIXED = [
  '0000000000000000', // timestamp (the driver fills it in)
  '6400', // beacon interval: 100 TU
  '3104', // capability
];

void describe('Beacon (IEEE 802.11-2020 §9.3.3.3, element order of Table 9-27)', () => {
  void it('2.4 GHz WPA2-PSK: head = header, fixed fields, SSID, Supported Rates (first 8), DS Parameter Set; tail = Extended Supported Rates, then RSNE', () => {
    const { head, tail } = encodeBeacon(bss());
    assert.equal(
      head.toString('hex'),
      hex([
        '80', // frame control: Beacon
        '00', // flags
        '0000', // duration
        BROADCAST, // DA
        AP, // SA
        AP, // BSSID
        '0000', // sequence control (the driver's)
        ...BEACON_FIXED,
        '00', '04', '636f7270', // SSID
        '01', '08', '82848b960c121824', // Supported Rates: the first 8
        '03', '01', '01', // DS Parameter Set: channel 1
      ]).toString('hex'),
    );
    // Table 9-27 orders Extended Supported Rates (order 17) before RSN (order 18), as
    // hostapd's ieee802_11_build_ap_params() writes them.
    assert.equal(
      tail.toString('hex'),
      hex([
        '32', '04', '3048606c', // Extended Supported Rates
        ...RSNE_PSK,
      ]).toString('hex'),
    );
  });

  void it('5 GHz (8 rates): no Extended Supported Rates; the tail is the RSNE alone', () => {
    const { head, tail } = encodeBeacon(bss({ rates: RATES_5G, channel: 36 }));
    assert.equal(head.subarray(24 + 12).toString('hex'), hex(['00', '04', '636f7270', '01', '08', '8c129824b048606c', '03', '01', '24']).toString('hex'));
    assert.equal(tail.toString('hex'), hex(RSNE_PSK).toString('hex'));
  });

  void it('WPA3 with beacon protection: the tail goes Extended Supported Rates, RSNE, Extended Capabilities, RSNXE (Table 9-27 order)', () => {
    const rsne = hex(['30', '1a', '0100', '000fac04', '0100', '000fac04', '0100', '000fac08', 'c000', '0000', '000fac06']);
    const extCapab = hex(['7f', '0b', '00'.repeat(10), '10']);
    const rsnxe = hex(['f4', '01', '20']);
    const { tail } = encodeBeacon(bss({ rsne, rsnxe, extendedCapabilities: extCapab }));
    assert.equal(
      tail.toString('hex'),
      hex([
        '32', '04', '3048606c', // Extended Supported Rates
        '30', '1a', '0100', '000fac04', '0100', '000fac04', '0100', '000fac08', 'c000', '0000', '000fac06', // RSNE: SAE, MFPC|MFPR, BIP-CMAC-128
        '7f', '0b', '00'.repeat(10), '10', // Extended Capabilities: beacon protection
        'f4', '01', '20', // RSNXE: SAE hash-to-element
      ]).toString('hex'),
    );
    const probe = encodeProbeResponse(bss({ rsne, rsnxe, extendedCapabilities: extCapab }), hex(STA));
    assert.ok(probe.subarray(probe.length - tail.length).equals(tail), 'the Probe Response ends with the same elements');
  });

  void it('empty RSNXE and Extended Capabilities are left out', () => {
    assert.equal(encodeBeacon(bss({ rsnxe: Buffer.alloc(0), extendedCapabilities: Buffer.alloc(0) })).tail.toString('hex'), hex(['32', '04', '3048606c', ...RSNE_PSK]).toString('hex'));
  });

  void it('open BSS on 5 GHz: an empty tail', () => {
    assert.equal(encodeBeacon(bss({ rates: RATES_5G, channel: 36, rsne: Buffer.alloc(0), capability: 0x0001 })).tail.length, 0);
  });

  void it('Probe Response to the station: the Beacon without the TIM, head and tail together', () => {
    const b = bss();
    const { head, tail } = encodeBeacon(b);
    const resp = encodeProbeResponse(b, hex(STA));
    assert.equal(
      resp.toString('hex'),
      hex([
        '50', // frame control: Probe Response
        '00', // flags
        '0000', // duration
        STA, // DA
        AP, // SA
        AP, // BSSID
        '0000', // sequence control
        head.subarray(24).toString('hex'), // fixed fields and the head's elements
        tail.toString('hex'), // Extended Supported Rates, RSNE
      ]).toString('hex'),
    );
  });

  void it('assocResponseElements: the rates of the BSS', () => {
    assert.deepEqual(
      assocResponseElements(bss()).map((e) => e.toString('hex')),
      [hex(['01', '08', '82848b960c121824']).toString('hex'), hex(['32', '04', '3048606c']).toString('hex')],
    );
    assert.equal(assocResponseElements(bss({ rates: RATES_5G })).length, 1);
  });
});

void describe('channelFrequency', () => {
  const cases: { channel: number; mhz: number | undefined }[] = [
    { channel: 1, mhz: 2412 },
    { channel: 6, mhz: 2437 },
    { channel: 13, mhz: 2472 },
    { channel: 14, mhz: 2484 },
    { channel: 36, mhz: 5180 },
    { channel: 149, mhz: 5745 },
    { channel: 177, mhz: 5885 },
    { channel: 0, mhz: undefined },
    { channel: 15, mhz: undefined },
    { channel: 31, mhz: undefined },
    { channel: 178, mhz: undefined },
  ];
  for (const c of cases) {
    void it(`channel ${c.channel}: ${c.mhz === undefined ? 'not a 2.4 or 5 GHz channel' : `${c.mhz} MHz`}`, () => assert.equal(channelFrequency(c.channel), c.mhz));
  }
});
