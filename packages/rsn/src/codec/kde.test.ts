// Tests for Key Data, KDEs and Key Data padding (IEEE 802.11-2020 §12.7.2).
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { runCodecTables, hex, IWD_4WAY, IWD_WPA2, IWD_PMKID_MSG1, type CapturedHandshake } from '../testing/index.js';
import {
  decodeKeyData,
  decodeBigtkKde,
  decodeGtkKde,
  decodeIgtkKde,
  encodeBigtkKde,
  encodeGtkKde,
  encodeIgtkKde,
  encodePmkidKde,
  findKde,
  findElement,
  padKeyData,
  KDE_OUI,
  KdeType,
  type BigtkKde,
  type KeyDataElement,
  type GtkKde,
  type IgtkKde,
} from './kde.js';
import { decodeRsne, RSNE_ID } from './rsne.js';

/** Key Data from its elements' fields (the test's encoder: the API has no encodeKeyData). */
function encodeKeyData(els: readonly KeyDataElement[]): Buffer {
  return Buffer.concat(
    els.map((e) =>
      e.kind === 'ie'
        ? e.raw
        : Buffer.concat([Buffer.from([0xdd, 4 + e.data.length, (e.oui >>> 16) & 0xff, (e.oui >>> 8) & 0xff, e.oui & 0xff, e.dataType]), e.data]),
    ),
  );
}

const ie = (raw: string): KeyDataElement => ({ kind: 'ie', id: hex(raw)[0], raw: hex(raw) });
const kde = (oui: number, dataType: number, data: string): KeyDataElement => {
  const d = hex(data);
  return {
    kind: 'kde',
    oui,
    dataType,
    data: d,
    raw: Buffer.concat([Buffer.from([0xdd, 4 + d.length, oui >>> 16, (oui >>> 8) & 0xff, oui & 0xff, dataType]), d]),
  };
};

const AP_RSNE = '30140100000fac040100000fac040100000fac020000';
const RSNE_NO_CAPS = '30120100000fac040100000fac040100000fac02';
const GTK_4WAY = '2e156e7c4e3df1370913edbd628e2565';
const GTK_WPA2 = '9adad240faa56f322f1553804b451936';
const GTK_GROUP = '1470b33c6cdb8ab7d4585da882ea582f';
const PMKID = '05b1b68b5a91fc0406838406e8d15fdb';
const WPA_IE_DATA = '01000050f20201000050f20201000050f202';

runCodecTables<KeyDataElement[]>(
  { name: 'Key Data (IEEE 802.11-2020 §12.7.2)', decode: decodeKeyData, encode: encodeKeyData },
  {
    valid: [
      {
        desc: 'msg 3/4 key data: RSNE, GTK KDE, padding dd 00 (iwd eapol_key_data_5, unwrapped with its KEK)',
        hex: IWD_4WAY.plaintextKeyData.msg3,
        value: [ie(AP_RSNE), kde(KDE_OUI, KdeType.GTK, '0200' + GTK_4WAY)],
        encoded: IWD_4WAY.plaintextKeyData.msg3.slice(0, -2),
      },
      {
        desc: 'msg 3/4 key data, GTK key ID 1 (iwd eapol_key_data_9, unwrapped with its KEK)',
        hex: IWD_WPA2.plaintextKeyData.msg3,
        value: [ie(AP_RSNE), kde(KDE_OUI, KdeType.GTK, '0100' + GTK_WPA2)],
        encoded: IWD_WPA2.plaintextKeyData.msg3.slice(0, -2),
      },
      {
        desc: 'group msg 1/2 key data: GTK KDE, no padding needed (iwd eapol_key_data_11, unwrapped with its KEK)',
        hex: IWD_WPA2.plaintextKeyData.group1,
        value: [kde(KDE_OUI, KdeType.GTK, '0200' + GTK_GROUP)],
      },
      {
        desc: 'msg 1/4 key data: PMKID KDE (iwd eapol_key_data_2)',
        hex: [IWD_PMKID_MSG1.body[10]],
        value: [kde(KDE_OUI, KdeType.PMKID, PMKID)],
      },
      {
        desc: 'msg 2/4 key data: RSNE without capabilities (iwd eapol_key_data_8)',
        hex: [RSNE_NO_CAPS],
        value: [ie(RSNE_NO_CAPS)],
      },
      {
        desc: 'WPA element (OUI 00-50-F2, type 1) is a vendor element with its own OUI (iwd eapol_key_data_14)',
        hex: ['dd', '16', '0050f2', '01', WPA_IE_DATA],
        value: [kde(0x0050f2, 1, WPA_IE_DATA)],
      },
      { desc: 'empty key data', hex: '', value: [] },
      { desc: 'padding only: dd then 15 zero octets', hex: ['dd', '00'.repeat(15)], value: [], encoded: '' },
      {
        desc: 'a lone dd as the last octet is padding',
        hex: ['30', '02', '0100', 'dd'],
        value: [ie('30020100')],
        encoded: ['30', '02', '0100'],
      },
      {
        desc: 'RSNE, GTK KDE and IGTK KDE in one key data field',
        hex: [
          AP_RSNE,
          'dd', '16', '000fac', '01', '0100', GTK_WPA2, // GTK KDE
          'dd', '1c', '000fac', '09', '0400', '000000000000', '00112233445566778899aabbccddeeff', // IGTK KDE: key ID 4, IPN, IGTK
        ],
        value: [
          ie(AP_RSNE),
          kde(KDE_OUI, KdeType.GTK, '0100' + GTK_WPA2),
          kde(KDE_OUI, KdeType.IGTK, '0400' + '000000000000' + '00112233445566778899aabbccddeeff'),
        ],
      },
      {
        desc: 'a KDE with empty data (length 4)',
        hex: ['dd', '04', '000fac', '0a'],
        value: [kde(KDE_OUI, KdeType.KEY_ID, '')],
      },
    ],
    malformed: [
      { desc: 'RSNE running past the buffer', hex: ['30', '14', '0100', '000fac04'], code: 'length-overflow' },
      { desc: 'GTK KDE running past the buffer', hex: ['dd', '16', '000fac', '01', '0200', '2e156e7c'], code: 'length-overflow' },
      { desc: 'KDE length 1', hex: ['dd', '01', '00'], code: 'bad-length' },
      { desc: 'KDE length 2', hex: ['dd', '02', '000f'], code: 'bad-length' },
      { desc: 'KDE length 3: OUI without data type', hex: ['dd', '03', '000fac'], code: 'bad-length' },
      { desc: 'KDE length 0 followed by an element: not padding', hex: ['dd', '00', '30', '02', '0100'], code: 'bad-length' },
      { desc: 'a lone element ID after an element', hex: [AP_RSNE, '30'], code: 'truncated' },
      { desc: 'padding that is not all zeros is a KDE of length 0', hex: ['dd', '00', '00', '01'], code: 'bad-length' },
    ],
    roundTrip: [
      { desc: 'PMKID KDE then GTK KDE', value: [kde(KDE_OUI, KdeType.PMKID, PMKID), kde(KDE_OUI, KdeType.GTK, '0100' + GTK_WPA2)] },
      { desc: 'element with length 0', value: [ie('3000')] },
    ],
  },
);

runCodecTables<GtkKde>(
  {
    name: 'GTK KDE (IEEE 802.11-2020 §12.7.2, Figure 12-35)',
    decode: decodeGtkKde,
    encode: (g) => encodeGtkKde(g).subarray(6), // the decoder takes the data after OUI and Data Type
  },
  {
    valid: [
      {
        desc: 'key ID 2, CCMP GTK (iwd eapol_key_data_5 msg 3/4, unwrapped)',
        hex: ['02', '00', GTK_4WAY],
        value: { keyId: 2, tx: false, gtk: hex(GTK_4WAY) },
      },
      {
        desc: 'key ID 1 (iwd eapol_key_data_9 msg 3/4, unwrapped)',
        hex: ['01', '00', GTK_WPA2],
        value: { keyId: 1, tx: false, gtk: hex(GTK_WPA2) },
      },
      {
        desc: 'key ID 2 in group msg 1/2 (iwd eapol_key_data_11, unwrapped)',
        hex: ['02', '00', GTK_GROUP],
        value: { keyId: 2, tx: false, gtk: hex(GTK_GROUP) },
      },
      {
        desc: 'Tx bit with a 32-octet (TKIP / GCMP-256) GTK',
        hex: ['05', '00', '00'.repeat(16) + 'ff'.repeat(16)],
        value: { keyId: 1, tx: true, gtk: hex('00'.repeat(16) + 'ff'.repeat(16)) },
      },
      {
        desc: '5-octet (WEP-40) GTK, the shortest',
        hex: ['03', '00', '0102030405'],
        value: { keyId: 3, tx: false, gtk: hex('0102030405') },
      },
      {
        desc: 'reserved bits and reserved octet set: ignored, encoded as zero',
        hex: ['f9', 'ff', GTK_WPA2],
        value: { keyId: 1, tx: false, gtk: hex(GTK_WPA2) },
        encoded: ['01', '00', GTK_WPA2],
      },
    ],
    malformed: [
      { desc: 'empty', hex: '', code: 'truncated' },
      { desc: 'key ID octet only', hex: ['01'], code: 'truncated' },
      { desc: 'no GTK', hex: ['01', '00'], code: 'bad-length' },
      { desc: 'GTK of 4 octets', hex: ['01', '00', '01020304'], code: 'bad-length' },
      { desc: 'GTK of 33 octets', hex: ['01', '00', '00'.repeat(33)], code: 'bad-length' },
    ],
    arbitrary: fc.record(
      {
        keyId: fc.integer({ min: 0, max: 3 }),
        tx: fc.boolean(),
        gtk: fc.uint8Array({ minLength: 5, maxLength: 32 }).map((b) => Buffer.from(b)),
      },
      { noNullPrototype: true },
    ),
  },
);

// IGTK KDE (§12.7.2): Key ID 2 octets LE, IPN 6 octets LE, IGTK. hostap
// tests/hwsim/test_ap_psk.py (test_ap_wpa2_psk_supp_proto_igtk_*) sends these KDEs to
// wpa_supplicant: the valid one, a byte-swapped Key ID, 0xffff and 0x0600.
const IGTK_77 = '77'.repeat(16);
const integrityArbitrary = (keyIds: number[]): fc.Arbitrary<IgtkKde> =>
  fc.record(
    {
      keyId: fc.constantFrom(...keyIds),
      ipn: fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }),
      key: fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 32, maxLength: 32 })).map((b) => Buffer.from(b)),
    },
    { noNullPrototype: true },
  );

runCodecTables<IgtkKde>(
  {
    name: 'IGTK KDE (IEEE 802.11-2020 §12.7.2)',
    decode: decodeIgtkKde,
    encode: (k) => encodeIgtkKde(k).subarray(6), // the decoder takes the data after OUI and Data Type
  },
  {
    valid: [
      {
        desc: 'key ID 4, IPN 0, IGTK 77..77 (hostap test_ap_wpa2_psk_supp_proto_igtk_ok)',
        hex: [
          '0400', // Key ID 4
          '000000000000', // IPN 0
          IGTK_77, // IGTK (BIP-CMAC-128)
        ],
        value: { keyId: 4, ipn: 0n, key: hex(IGTK_77) },
      },
      {
        desc: 'key ID 5, IPN 0x0000a1b2c3d4e5 written little-endian',
        hex: [
          '0500', // Key ID 5
          'e5d4c3b2a100', // IPN 0xa1b2c3d4e5
          '00112233445566778899aabbccddeeff', // IGTK
        ],
        value: { keyId: 5, ipn: 0xa1b2c3d4e5n, key: hex('00112233445566778899aabbccddeeff') },
      },
      {
        desc: 'the largest IPN and a 32-octet IGTK (BIP-GMAC-256 / BIP-CMAC-256)',
        hex: ['0400', 'ffffffffffff', 'ab'.repeat(32)],
        value: { keyId: 4, ipn: (1n << 48n) - 1n, key: hex('ab'.repeat(32)) },
      },
    ],
    malformed: [
      { desc: 'empty', hex: '', code: 'truncated' },
      { desc: 'Key ID and half an IPN', hex: ['0400', '000000'], code: 'truncated' },
      { desc: 'no IGTK', hex: ['0400', '000000000000'], code: 'bad-length' },
      { desc: 'IGTK of 15 octets', hex: ['0400', '000000000000', '77'.repeat(15)], code: 'bad-length' },
      { desc: 'IGTK of 24 octets', hex: ['0400', '000000000000', '77'.repeat(24)], code: 'bad-length' },
      { desc: 'Key ID byte-swapped, 0x0400 (hostap test_ap_wpa2_psk_supp_proto_igtk_keyid_swap)', hex: ['0004', '000000000000', IGTK_77], code: 'invalid' },
      { desc: 'Key ID 0xffff (hostap test_ap_wpa2_psk_supp_proto_igtk_keyid_too_large)', hex: ['ffff', '000000000000', IGTK_77], code: 'invalid' },
      { desc: 'Key ID 0x0600 (hostap test_ap_wpa2_psk_supp_proto_igtk_keyid_unexpected)', hex: ['0006', '000000000000', IGTK_77], code: 'invalid' },
      { desc: 'Key ID 6 is a BIGTK key ID', hex: ['0600', '000000000000', IGTK_77], code: 'invalid' },
      { desc: 'Key ID 1 is a GTK key ID', hex: ['0100', '000000000000', IGTK_77], code: 'invalid' },
    ],
    arbitrary: integrityArbitrary([4, 5]),
  },
);

runCodecTables<BigtkKde>(
  {
    name: 'BIGTK KDE (IEEE 802.11-2020 §12.7.2)',
    decode: decodeBigtkKde,
    encode: (k) => encodeBigtkKde(k).subarray(6),
  },
  {
    valid: [
      {
        desc: 'key ID 6, BIPN 1, BIGTK',
        hex: [
          '0600', // Key ID 6
          '010000000000', // BIPN 1
          '8899aabbccddeeff0011223344556677', // BIGTK (BIP-CMAC-128)
        ],
        value: { keyId: 6, ipn: 1n, key: hex('8899aabbccddeeff0011223344556677') },
      },
      {
        desc: 'key ID 7, 32-octet BIGTK',
        hex: ['0700', '000000000100', 'cd'.repeat(32)],
        value: { keyId: 7, ipn: 1n << 32n, key: hex('cd'.repeat(32)) },
      },
    ],
    malformed: [
      { desc: 'empty', hex: '', code: 'truncated' },
      { desc: 'seven octets', hex: ['0600', '0000000000'], code: 'truncated' },
      { desc: 'BIGTK of 17 octets', hex: ['0600', '000000000000', '77'.repeat(17)], code: 'bad-length' },
      { desc: 'Key ID 4 is an IGTK key ID', hex: ['0400', '000000000000', IGTK_77], code: 'invalid' },
      { desc: 'Key ID 8', hex: ['0800', '000000000000', IGTK_77], code: 'invalid' },
    ],
    arbitrary: integrityArbitrary([6, 7]),
  },
);

void describe('encodeIgtkKde and encodeBigtkKde', () => {
  void it('reproduces the IGTK KDE of hostap test_ap_wpa2_psk_supp_proto_igtk_ok', () => {
    assert.equal(encodeIgtkKde({ keyId: 4, ipn: 0n, key: hex(IGTK_77) }).toString('hex'), 'dd1c000fac090400000000000000' + IGTK_77);
  });
  void it('writes the BIGTK KDE with Data Type 14 (0x0e)', () => {
    assert.equal(
      encodeBigtkKde({ keyId: 7, ipn: 0x0102030405n, key: hex(IGTK_77) }).toString('hex'),
      ['dd', '1c', '000fac', '0e', '0700', '050403020100', IGTK_77].join(''),
    );
  });
  void it('both decode through decodeKeyData and findKde', () => {
    const kd = decodeKeyData(Buffer.concat([encodeIgtkKde({ keyId: 5, ipn: 9n, key: hex(IGTK_77) }), encodeBigtkKde({ keyId: 6, ipn: 3n, key: hex(IGTK_77) })]));
    assert.ok(kd.ok);
    assert.deepStrictEqual(decodeIgtkKde(findKde(kd.value, KdeType.IGTK) ?? Buffer.alloc(0)), { ok: true, value: { keyId: 5, ipn: 9n, key: hex(IGTK_77) } });
    assert.deepStrictEqual(decodeBigtkKde(findKde(kd.value, KdeType.BIGTK) ?? Buffer.alloc(0)), { ok: true, value: { keyId: 6, ipn: 3n, key: hex(IGTK_77) } });
  });
  const bad = [
    { desc: 'IGTK key ID 6', f: () => encodeIgtkKde({ keyId: 6, ipn: 0n, key: Buffer.alloc(16) }) },
    { desc: 'BIGTK key ID 5', f: () => encodeBigtkKde({ keyId: 5, ipn: 0n, key: Buffer.alloc(16) }) },
    { desc: 'IPN of 49 bits', f: () => encodeIgtkKde({ keyId: 4, ipn: 1n << 48n, key: Buffer.alloc(16) }) },
    { desc: 'negative IPN', f: () => encodeIgtkKde({ keyId: 4, ipn: -1n, key: Buffer.alloc(16) }) },
    { desc: 'IGTK of 20 octets', f: () => encodeIgtkKde({ keyId: 4, ipn: 0n, key: Buffer.alloc(20) }) },
    { desc: 'BIGTK of 0 octets', f: () => encodeBigtkKde({ keyId: 6, ipn: 0n, key: Buffer.alloc(0) }) },
  ];
  for (const c of bad) {
    void it(`throws RangeError: ${c.desc}`, () => assert.throws(c.f, RangeError));
  }
  void it('KdeType names OCI 13 and BIGTK 14 (hostap wpa_common.h RSN_KEY_DATA_OCI, RSN_KEY_DATA_BIGTK)', () => {
    assert.equal(KdeType.OCI, 13);
    assert.equal(KdeType.BIGTK, 14);
    assert.equal(KdeType.IGTK, 9);
  });
});

void describe('encodeGtkKde', () => {
  void it('reproduces the GTK KDE of iwd msg 3/4 (eapol_key_data_5)', () => {
    assert.equal(encodeGtkKde({ keyId: 2, tx: false, gtk: hex(GTK_4WAY) }).toString('hex'), 'dd16000fac010200' + GTK_4WAY);
  });
  void it('throws RangeError on a key ID above 3 or a GTK outside 5..32 octets', () => {
    assert.throws(() => encodeGtkKde({ keyId: 4, tx: false, gtk: Buffer.alloc(16) }), RangeError);
    assert.throws(() => encodeGtkKde({ keyId: 1, tx: false, gtk: Buffer.alloc(4) }), RangeError);
    assert.throws(() => encodeGtkKde({ keyId: 1, tx: false, gtk: Buffer.alloc(33) }), RangeError);
  });
});

void describe('encodePmkidKde', () => {
  void it('reproduces the PMKID KDE of iwd msg 1/4 (eapol_key_data_2)', () => {
    assert.equal(encodePmkidKde(hex(PMKID)).toString('hex'), IWD_PMKID_MSG1.body[10]);
  });
  void it('throws RangeError on a PMKID that is not 16 octets', () => {
    assert.throws(() => encodePmkidKde(Buffer.alloc(15)), RangeError);
  });
});

void describe('findKde and findElement', () => {
  const els = decodeKeyData(hex(IWD_4WAY.plaintextKeyData.msg3));
  assert.ok(els.ok);
  void it('findElement(RSNE) gives the raw RSNE, which decodes', () => {
    const raw = findElement(els.value, RSNE_ID);
    assert.equal(raw?.toString('hex'), AP_RSNE);
    assert.ok(raw && decodeRsne(raw).ok);
  });
  void it('findKde(GTK) gives the KDE data, which decodes as a GTK KDE', () => {
    const data = findKde(els.value, KdeType.GTK);
    assert.ok(data);
    assert.deepStrictEqual(decodeGtkKde(data), { ok: true, value: { keyId: 2, tx: false, gtk: hex(GTK_4WAY) } });
  });
  void it('absent KDEs and elements are undefined', () => {
    assert.equal(findKde(els.value, KdeType.PMKID), undefined);
    assert.equal(findElement(els.value, 221), undefined);
  });
  void it('findKde ignores vendor elements of other OUIs with the same type (the WPA element is 00-50-F2:1)', () => {
    const wpa = decodeKeyData(hex(['dd', '16', '0050f2', '01', WPA_IE_DATA]));
    assert.ok(wpa.ok);
    assert.equal(findKde(wpa.value, KdeType.GTK), undefined);
  });
});

/** RFC 3394 AES key wrap with the default IV, as the Key Data of descriptor version 2 uses it. */
function aesKeyWrap(kek: string, plaintext: Buffer): string {
  const c = createCipheriv('id-aes128-wrap', hex(kek), hex('a6a6a6a6a6a6a6a6'));
  return Buffer.concat([c.update(plaintext), c.final()]).toString('hex');
}

void describe('padKeyData', () => {
  const built: readonly [string, CapturedHandshake, 'msg3' | 'group1', Buffer][] = [
    ['iwd eapol_key_data_5 msg 3/4', IWD_4WAY, 'msg3', Buffer.concat([hex(AP_RSNE), encodeGtkKde({ keyId: 2, tx: false, gtk: hex(GTK_4WAY) })])],
    ['iwd eapol_key_data_9 msg 3/4', IWD_WPA2, 'msg3', Buffer.concat([hex(AP_RSNE), encodeGtkKde({ keyId: 1, tx: false, gtk: hex(GTK_WPA2) })])],
    ['iwd eapol_key_data_11 group 1/2', IWD_WPA2, 'group1', encodeGtkKde({ keyId: 2, tx: false, gtk: hex(GTK_GROUP) })],
  ];
  for (const [desc, hs, msg, keyData] of built) {
    void it(`RSNE/GTK KDE padded and wrapped with the KEK give the captured key data of ${desc}`, () => {
      const padded = padKeyData(keyData);
      assert.equal(padded.toString('hex'), hex(hs.plaintextKeyData[msg]).toString('hex'));
      const frame = hs.frames[msg];
      assert.equal(aesKeyWrap(hs.kek, padded), frame.body[10]);
    });
  }

  const lengths: readonly [number, number][] = [[0, 16], [1, 16], [15, 16], [16, 16], [17, 24], [23, 24], [24, 24], [46, 48], [47, 48]];
  for (const [len, want] of lengths) {
    void it(`${len} octets pad to ${want}, with 0xdd then zeros`, () => {
      const input = Buffer.alloc(len, 0x30);
      const out = padKeyData(input);
      assert.equal(out.length, want);
      assert.equal(out.subarray(0, len).toString('hex'), input.toString('hex'));
      if (want > len) {
        assert.equal(out[len], 0xdd);
        assert.ok(out.subarray(len + 1).every((x) => x === 0));
      }
    });
  }

  void it('returns the input itself when no padding is needed (no copy)', () => {
    const input = Buffer.alloc(24, 1);
    assert.equal(padKeyData(input), input);
  });

  void it('padded key data decodes to the same elements (padding stops parsing)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 4 }), (datas) => {
        const els = datas.map((d) => encodeKeyDataElement(d));
        const plain = Buffer.concat(els);
        const a = decodeKeyData(plain);
        const b = decodeKeyData(padKeyData(plain));
        assert.ok(a.ok && b.ok);
        assert.deepStrictEqual(b.value, a.value);
      }),
      { numRuns: 300 },
    );
  });
});

/** A GTK-type KDE carrying `d`, or an element 48 when `d` is empty. */
function encodeKeyDataElement(d: Uint8Array): Buffer {
  if (d.length === 0) return hex('3000');
  return Buffer.concat([Buffer.from([0xdd, 4 + d.length, 0x00, 0x0f, 0xac, KdeType.GTK]), d]);
}
