// Tests for the RSN Extension element codec (IEEE 802.11-2020 §9.4.2.241).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { runCodecTables } from '../testing/index.js';
import { decodeRsnxe, encodeRsnxe, RsnxCapability, RSNXE_ID, type Rsnxe } from './rsnxe.js';

const rsnxe = (capabilities: bigint): Rsnxe => ({
  capabilities,
  h2e: (capabilities & RsnxCapability.SAE_H2E) !== 0n,
  saePk: (capabilities & RsnxCapability.SAE_PK) !== 0n,
});

// hostap tests/hwsim: test_sae.py (sae_h2e_rsnxe_mismatch, sae_long_rsnxe), test_ap_ft.py
// (ft_sae_h2e_and_loop, ft_sae_pk), test_rsn_override.py (rsn_override_*) use these RSNXEs.
runCodecTables<Rsnxe>(
  { name: 'RSNXE (IEEE 802.11-2020 §9.4.2.241)', decode: decodeRsnxe, encode: encodeRsnxe },
  {
    valid: [
      {
        desc: 'SAE H2E: F40120 (hostap test_sae.py, test_ap_ft.py)',
        hex: [
          'f4', // Element ID 244
          '01', // Length 1
          '20', // Field Length 0 (one octet), bit 5 SAE Hash-to-Element
        ],
        value: rsnxe(RsnxCapability.SAE_H2E),
      },
      {
        desc: 'SAE H2E and SAE-PK: F40160 (hostap test_ap_ft.py)',
        hex: ['f4', '01', '60'],
        value: { capabilities: 0x60n, h2e: true, saePk: true },
      },
      {
        desc: 'no capability set: F40100 (the mismatching RSNXE of hostap test_sae.py)',
        hex: ['f4', '01', '00'],
        value: rsnxe(0n),
      },
      {
        desc: 'Protected TWT only (bit 4)',
        hex: ['f4', '01', '10'],
        value: rsnxe(RsnxCapability.PROTECTED_TWT),
      },
      {
        desc: 'octets inside the element after the Field Length are ignored: f40320eeee (hostap test_rsn_override.py)',
        hex: ['f4', '03', '20', 'eeee'],
        value: rsnxe(0x20n),
        encoded: ['f4', '01', '20'],
      },
      {
        desc: 'Field Length 16 (the most), H2E and bits 120-127, then 8 other octets (hostap test_rsn_override.py)',
        hex: ['f4', '18', '2f', '0000', 'ff'.repeat(13), 'ee'.repeat(8)],
        value: rsnxe(0x20n | (((1n << 104n) - 1n) << 24n)),
        encoded: ['f4', '10', '2f', '0000', 'ff'.repeat(13)],
      },
      {
        desc: 'a 255-octet RSNXE (hostap test_sae.py sae_long_rsnxe)',
        hex: ['f4', 'ff', '2f', '00'.repeat(14), 'ff', 'ee'.repeat(239)],
        value: rsnxe(0x20n | (0xffn << 120n)),
        encoded: ['f4', '10', '2f', '00'.repeat(14), 'ff'],
      },
      {
        desc: 'two octets: bit 8 set (Field Length 1)',
        hex: ['f4', '02', '21', '01'],
        value: rsnxe(0x20n | (1n << 8n)),
      },
      {
        desc: 'octets after the element are ignored',
        hex: ['f4', '01', '20', 'dd05', '0050f20201'],
        value: rsnxe(0x20n),
        encoded: ['f4', '01', '20'],
      },
    ],
    malformed: [
      { desc: 'empty buffer', hex: '', code: 'empty' },
      { desc: 'element ID without length', hex: ['f4'], code: 'truncated' },
      { desc: 'Length 0: F400 (hostap test_sae.py sae_h2e_rsnxe_mismatch)', hex: ['f4', '00'], code: 'bad-length' },
      { desc: 'the RSNE is not an RSNXE', hex: ['30', '02', '0100'], code: 'bad-type' },
      { desc: 'Length beyond the buffer', hex: ['f4', '02', '21'], code: 'length-overflow' },
      { desc: 'Field Length 2 in a 1-octet element', hex: ['f4', '01', '21'], code: 'bad-length' },
      { desc: 'Field Length 16 in a 3-octet element', hex: ['f4', '03', '2f', '0000'], code: 'bad-length' },
    ],
    roundTrip: [
      { desc: 'H2E only', value: rsnxe(0x20n) },
      { desc: 'bit 127', value: rsnxe(1n << 127n) },
      { desc: 'bit 7 needs one octet, bit 8 two', value: rsnxe(0xa0n | (1n << 8n)) },
    ],
    arbitrary: fc
      .bigInt({ min: 0n, max: (1n << 128n) - 1n })
      .map((c) => rsnxe(c & ~0xfn))
      .map((v) => ({ capabilities: v.capabilities, h2e: v.h2e, saePk: v.saePk })),
  },
);

void describe('encodeRsnxe', () => {
  void it('{ h2e: true } is F40120, as hostapd writes it for sae_pwe=1', () => {
    assert.equal(encodeRsnxe({ h2e: true }).toString('hex'), 'f40120');
  });
  void it('{ h2e: true, saePk: true } is F40160', () => {
    assert.equal(encodeRsnxe({ h2e: true, saePk: true }).toString('hex'), 'f40160');
  });
  void it('{ h2e: false } is F40100: an RSNXE with no capability (hostapd would send none)', () => {
    assert.equal(encodeRsnxe({ h2e: false }).toString('hex'), 'f40100');
  });
  void it('the flags are ORed into capabilities', () => {
    assert.equal(encodeRsnxe({ h2e: true, capabilities: RsnxCapability.PROTECTED_TWT | (1n << 9n) }).toString('hex'), 'f402' + '31' + '02');
  });
  void it('writes Element ID 244', () => {
    assert.equal(encodeRsnxe({ h2e: true })[0], RSNXE_ID);
  });
  const bad = [
    { desc: 'a Field Length bit set in capabilities', capabilities: 0x21n },
    { desc: 'negative capabilities', capabilities: -32n },
    { desc: 'bit 128 (17 octets)', capabilities: 1n << 128n },
  ];
  for (const c of bad) {
    void it(`throws RangeError: ${c.desc}`, () => assert.throws(() => encodeRsnxe({ h2e: false, capabilities: c.capabilities }), RangeError));
  }
});
