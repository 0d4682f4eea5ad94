// Tests for the RSN element codec (IEEE 802.11-2020 §9.4.2.24).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { runCodecTables, hex } from '../testing/index.js';
import { AKM, CIPHER } from '../suites.js';
import { decodeRsne, encodeRsne, pmfOf, rsneDefaults, RsnCapability, RSNE_ID, type Rsne } from './rsne.js';

const CCMP = CIPHER.CCMP_128;
const PSK = AKM.PSK;

/** fields in wire order, for the generator: a value keeps a prefix of them. */
const suite = fc.oneof(fc.constantFrom(...Object.values(CIPHER), ...Object.values(AKM)), fc.integer({ min: 0, max: 0xffffffff }));
const rsneArbitrary: fc.Arbitrary<Rsne> = fc
  .record(
    {
      groupCipher: suite,
      pairwiseCiphers: fc.array(suite, { maxLength: 4 }),
      akms: fc.array(suite, { maxLength: 4 }),
      capabilities: fc.integer({ min: 0, max: 0xffff }),
      pmkids: fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b)), { maxLength: 3 }),
      groupMgmtCipher: suite,
      extension: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => Buffer.from(b)),
      keep: fc.integer({ min: 0, max: 7 }),
    },
    { noNullPrototype: true },
  )
  .map(({ keep, ...f }) => {
    const r: Rsne = { version: 1 };
    if (keep > 0) r.groupCipher = f.groupCipher;
    if (keep > 1) r.pairwiseCiphers = f.pairwiseCiphers;
    if (keep > 2) r.akms = f.akms;
    if (keep > 3) r.capabilities = f.capabilities;
    if (keep > 4) r.pmkids = f.pmkids;
    if (keep > 5) r.groupMgmtCipher = f.groupMgmtCipher;
    if (keep > 6) r.extension = f.extension;
    return r;
  });

runCodecTables<Rsne>(
  { name: 'RSNE (IEEE 802.11-2020 §9.4.2.24)', decode: decodeRsne, encode: encodeRsne },
  {
    valid: [
      {
        desc: 'ending after the AKM list, no RSN Capabilities (iwd unit/test-eapol.c ap_rsne, and the RSNE of eapol_key_data_8)',
        hex: [
          '30', // element ID
          '12', // length
          '0100', // version 1
          '000fac04', // group data cipher: CCMP-128
          '0100', '000fac04', // pairwise cipher count, CCMP-128
          '0100', '000fac02', // AKM count, PSK
        ],
        value: { version: 1, groupCipher: CCMP, pairwiseCiphers: [CCMP], akms: [PSK] },
      },
      {
        desc: 'WPA2-PSK station, capabilities 0 (RSNE in msg 2/4 of iwd unit/test-eapol.c eapol_key_data_4)',
        hex: [
          '30', '14', // element ID, length
          '0100', // version
          '000fac04', // group data cipher: CCMP-128
          '0100', '000fac04', // pairwise: CCMP-128
          '0100', '000fac02', // AKM: PSK
          '0000', // RSN capabilities
        ],
        value: { version: 1, groupCipher: CCMP, pairwiseCiphers: [CCMP], akms: [PSK], capabilities: 0 },
      },
      {
        desc: 'capabilities 0x000c, 16 PTKSA replay counters (hostap tests/hwsim/test_owe.py rsne_override_eapol)',
        hex: ['30', '14', '0100', '000fac04', '0100', '000fac04', '0100', '000fac02', '0c00'],
        value: { version: 1, groupCipher: CCMP, pairwiseCiphers: [CCMP], akms: [PSK], capabilities: 0x000c },
      },
      {
        desc: 'MFPC and OCVC, PMKID count 0, BIP-CMAC-128 (hostap tests/hwsim/test_ocv.py, station with ocv=1)',
        hex: [
          '30', '1a', // element ID, length
          '0100', // version
          '000fac04', // group data cipher: CCMP-128
          '0100', '000fac04', // pairwise: CCMP-128
          '0100', '000fac02', // AKM: PSK
          '8040', // RSN capabilities: MFPC (bit 7), OCVC (bit 14)
          '0000', // PMKID count 0
          '000fac06', // group management cipher: BIP-CMAC-128
        ],
        value: {
          version: 1,
          groupCipher: CCMP,
          pairwiseCiphers: [CCMP],
          akms: [PSK],
          capabilities: 0x4080,
          pmkids: [],
          groupMgmtCipher: CIPHER.BIP_CMAC_128,
        },
      },
      {
        desc: '802.1X station offering a cached PMKID (msg 2/4 captured by hostapd-mana, HTB "MagiFi" write-up)',
        hex: [
          '30', '26', // element ID, length
          '0100', // version
          '000fac04', // group data cipher: CCMP-128
          '0100', '000fac04', // pairwise: CCMP-128
          '0100', '000fac01', // AKM: IEEE 802.1X
          '0000', // RSN capabilities
          '0100', '3134172b2be0fd6b9c092568488236ec', // PMKID count 1, PMKID
        ],
        value: {
          version: 1,
          groupCipher: CCMP,
          pairwiseCiphers: [CCMP],
          akms: [AKM.IEEE8021X],
          capabilities: 0,
          pmkids: [hex('3134172b2be0fd6b9c092568488236ec')],
        },
      },
      {
        desc: 'version only: every other field absent (§9.4.2.24.1 allows it)',
        hex: ['30', '02', '0100'],
        value: { version: 1 },
      },
      {
        desc: 'group data cipher only',
        hex: ['30', '06', '0100', '000fac04'],
        value: { version: 1, groupCipher: CCMP },
      },
      {
        desc: 'pairwise count 0 is carried as an empty list (policy decides)',
        hex: ['30', '08', '0100', '000fac04', '0000'],
        value: { version: 1, groupCipher: CCMP, pairwiseCiphers: [] },
      },
      {
        desc: 'two pairwise ciphers, two AKMs, TKIP group (mixed-mode AP)',
        hex: ['30', '1c', '0100', '000fac02', '0200', '000fac04', '000fac02', '0200', '000fac02', '000fac06', '0000'],
        value: {
          version: 1,
          groupCipher: CIPHER.TKIP,
          pairwiseCiphers: [CCMP, CIPHER.TKIP],
          akms: [PSK, AKM.PSK_SHA256],
          capabilities: 0,
        },
      },
      {
        desc: 'octets after the group management cipher are kept as extension',
        hex: ['30', '1c', '0100', '000fac04', '0100', '000fac04', '0100', '000fac02', '8000', '0000', '000fac06', 'abcd'],
        value: {
          version: 1,
          groupCipher: CCMP,
          pairwiseCiphers: [CCMP],
          akms: [PSK],
          capabilities: 0x0080,
          pmkids: [],
          groupMgmtCipher: CIPHER.BIP_CMAC_128,
          extension: hex('abcd'),
        },
      },
      {
        desc: 'octets after the element (the next element of the frame) are ignored',
        hex: ['30', '06', '0100', '000fac04', 'dd05', '0050f20201'],
        value: { version: 1, groupCipher: CCMP },
        encoded: ['30', '06', '0100', '000fac04'],
      },
    ],
    malformed: [
      { desc: 'empty buffer', hex: '', code: 'empty' },
      { desc: 'element ID without length', hex: ['30'], code: 'truncated' },
      {
        desc: 'wrong element ID: the WPA element (221) of iwd unit/test-eapol.c eapol_key_data_14',
        hex: ['dd', '16', '0050f201', '0100', '0050f202', '0100', '0050f202', '0100', '0050f202'],
        code: 'bad-type',
      },
      {
        desc: 'RSNE length beyond the buffer (iwd msg 2/4 RSNE missing its capabilities)',
        hex: ['30', '14', '0100', '000fac04', '0100', '000fac04', '0100', '000fac02'],
        code: 'length-overflow',
      },
      { desc: 'length 255 with 2 octets', hex: ['30', 'ff', '0100'], code: 'length-overflow' },
      { desc: 'length 0: no version', hex: ['30', '00'], code: 'bad-length' },
      { desc: 'length 1: half a version', hex: ['30', '01', '01'], code: 'bad-length' },
      { desc: 'version 0', hex: ['30', '06', '0000', '000fac04'], code: 'bad-version' },
      { desc: 'version 2', hex: ['30', '06', '0200', '000fac04'], code: 'bad-version' },
      { desc: 'group data cipher cut short', hex: ['30', '04', '0100', '000f'], code: 'bad-length' },
      { desc: 'pairwise count cut short', hex: ['30', '07', '0100', '000fac04', '01'], code: 'bad-length' },
      {
        desc: 'pairwise count 2 with one suite before the end of the element',
        hex: ['30', '0c', '0100', '000fac04', '0200', '000fac04'],
        code: 'bad-length',
      },
      {
        desc: 'pairwise count 0xffff',
        hex: ['30', '0c', '0100', '000fac04', 'ffff', '000fac04'],
        code: 'bad-length',
      },
      {
        desc: 'AKM count 2 with one suite',
        hex: ['30', '12', '0100', '000fac04', '0100', '000fac04', '0200', '000fac02'],
        code: 'bad-length',
      },
      {
        desc: 'AKM suite cut short',
        hex: ['30', '11', '0100', '000fac04', '0100', '000fac04', '0100', '000fac'],
        code: 'bad-length',
      },
      {
        desc: 'RSN capabilities cut short',
        hex: ['30', '13', '0100', '000fac04', '0100', '000fac04', '0100', '000fac02', '00'],
        code: 'bad-length',
      },
      {
        desc: 'PMKID count 1 with no PMKID',
        hex: ['30', '16', '0100', '000fac04', '0100', '000fac04', '0100', '000fac01', '0000', '0100'],
        code: 'bad-length',
      },
      {
        desc: 'PMKID cut short',
        hex: ['30', '25', '0100', '000fac04', '0100', '000fac04', '0100', '000fac01', '0000', '0100', '3134172b2be0fd6b9c092568488236'],
        code: 'bad-length',
      },
      {
        desc: 'group management cipher cut short',
        hex: ['30', '19', '0100', '000fac04', '0100', '000fac04', '0100', '000fac02', '8000', '0000', '000fac'],
        code: 'bad-length',
      },
    ],
    roundTrip: [
      { desc: 'two PMKIDs', value: { version: 1, groupCipher: CCMP, pairwiseCiphers: [CCMP], akms: [AKM.IEEE8021X], capabilities: 0, pmkids: [Buffer.alloc(16, 1), Buffer.alloc(16, 2)] } },
      { desc: 'empty AKM list', value: { version: 1, groupCipher: CCMP, pairwiseCiphers: [CCMP], akms: [] } },
      { desc: 'suite selectors of other OUIs', value: { version: 1, groupCipher: 0x0050f204, pairwiseCiphers: [0xffffffff], akms: [0] } },
    ],
    arbitrary: rsneArbitrary,
  },
);

void describe('encodeRsne', () => {
  void it('throws RangeError when a field is present but an earlier one is absent', () => {
    assert.throws(() => encodeRsne({ version: 1, pairwiseCiphers: [CCMP] }), RangeError);
    assert.throws(() => encodeRsne({ version: 1, groupCipher: CCMP, pairwiseCiphers: [CCMP], akms: [PSK], pmkids: [] }), RangeError);
    assert.throws(() => encodeRsne({ version: 1, groupCipher: CCMP, pairwiseCiphers: [CCMP], akms: [PSK], capabilities: 0, pmkids: [], extension: hex('00') }), RangeError);
  });
  void it('throws RangeError on a PMKID that is not 16 octets, a suite outside 32 bits, or more than 255 octets', () => {
    const base: Rsne = { version: 1, groupCipher: CCMP, pairwiseCiphers: [CCMP], akms: [PSK], capabilities: 0 };
    assert.throws(() => encodeRsne({ ...base, pmkids: [Buffer.alloc(15)] }), RangeError);
    assert.throws(() => encodeRsne({ ...base, groupCipher: 2 ** 32 }), RangeError);
    assert.throws(() => encodeRsne({ ...base, pmkids: new Array<Buffer>(16).fill(Buffer.alloc(16)) }), RangeError);
    assert.throws(() => encodeRsne({ ...base, capabilities: 0x10000 }), RangeError);
  });
  void it('writes the element ID and length', () => {
    const out = encodeRsne({ version: 1, groupCipher: CCMP });
    assert.equal(out[0], RSNE_ID);
    assert.equal(out[1], out.length - 2);
  });
});

void describe('decodeRsne', () => {
  void it('returns PMKIDs as views of the input (zero-copy)', () => {
    const el = hex(['30', '26', '0100', '000fac04', '0100', '000fac04', '0100', '000fac01', '0000', '0100', '3134172b2be0fd6b9c092568488236ec']);
    const got = decodeRsne(el);
    assert.ok(got.ok);
    assert.equal(got.value.pmkids?.[0]?.buffer, el.buffer);
  });
});

void describe('rsneDefaults', () => {
  void it('fills every absent field with the §9.4.2.24.1 default', () => {
    assert.deepStrictEqual(rsneDefaults({ version: 1 }), {
      groupCipher: CCMP,
      pairwiseCiphers: [CCMP],
      akms: [AKM.IEEE8021X],
      capabilities: 0,
      pmkids: [],
      groupMgmtCipher: CIPHER.BIP_CMAC_128,
    });
  });
  void it('keeps present fields, even empty lists', () => {
    const got = rsneDefaults({ version: 1, groupCipher: CIPHER.TKIP, pairwiseCiphers: [], akms: [PSK], capabilities: 0x80 });
    assert.equal(got.groupCipher, CIPHER.TKIP);
    assert.deepStrictEqual(got.pairwiseCiphers, []);
    assert.deepStrictEqual(got.akms, [PSK]);
    assert.equal(got.capabilities, 0x80);
    assert.equal(got.groupMgmtCipher, CIPHER.BIP_CMAC_128);
  });
});

void describe('RsnCapability (IEEE 802.11-2020 §9.4.2.24.4)', () => {
  void it('names the bits hostap wpa_common.h names (WPA_CAPABILITY_*)', () => {
    assert.equal(RsnCapability.PREAUTH, 0x0001);
    assert.equal(RsnCapability.NO_PAIRWISE, 0x0002);
    assert.equal(RsnCapability.PTKSA_REPLAY_COUNTER, 0x000c);
    assert.equal(RsnCapability.GTKSA_REPLAY_COUNTER, 0x0030);
    assert.equal(RsnCapability.MFPR, 0x0040);
    assert.equal(RsnCapability.MFPC, 0x0080);
    assert.equal(RsnCapability.PEERKEY_ENABLED, 0x0200);
    assert.equal(RsnCapability.SPP_AMSDU_CAPABLE, 0x0400);
    assert.equal(RsnCapability.SPP_AMSDU_REQUIRED, 0x0800);
    assert.equal(RsnCapability.PBAC, 0x1000);
    assert.equal(RsnCapability.EXT_KEY_ID, 0x2000);
    assert.equal(RsnCapability.OCVC, 0x4000);
  });
});

void describe('pmfOf', () => {
  const rsne = (caps: string): Buffer => hex(['30', '14', '0100', '000fac04', '0100', '000fac04', '0100', '000fac08', caps]);
  const cases = [
    { desc: 'SAE AP with PMF required: MFPC and MFPR, 16 PTKSA counters (capabilities cc00)', el: rsne('cc00'), want: { capable: true, required: true } },
    { desc: 'SAE RSNE of hostap test_sae.py sae_rsne_mismatch: 0c00, no PMF', el: rsne('0c00'), want: { capable: false, required: false } },
    { desc: 'the station with ocv=1 of hostap test_ocv.py: MFPC and OCVC (8040)', el: rsne('8040'), want: { capable: true, required: false } },
    { desc: 'MFPR without MFPC (not a valid combination) is reported as is', el: rsne('4000'), want: { capable: false, required: true } },
    { desc: 'no RSN Capabilities field: neither', el: hex(['30', '12', '0100', '000fac04', '0100', '000fac04', '0100', '000fac08']), want: { capable: false, required: false } },
  ];
  for (const c of cases) {
    void it(c.desc, () => {
      const d = decodeRsne(c.el);
      assert.ok(d.ok);
      assert.deepStrictEqual(pmfOf(d.value), c.want);
      assert.deepStrictEqual(pmfOf(rsneDefaults(d.value)), c.want);
    });
  }
});
