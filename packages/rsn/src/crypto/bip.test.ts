import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CIPHER } from '../suites.js';
import { BIP_AAD_LENGTH, MME_ID, bipAad, bipCmac128Mic, igtkLength } from './index.js';
import { hex } from './hex.fixture.js';

// IEEE Std 802.11-2012 M.9.1 "BIP with broadcast Deauthentication frame" (kept in Annex J of
// later revisions). The same IGTK, IPN, key ID and frame are in hostap
// wlantest/test_vectors.c test_vector_bip(); the protected MPDU ends in the MIC below.
const igtk = hex('4ea9543e 09cf2b1e ca66ffc5 8bdecbcf');
const deauth = hex(
  'c000', // Frame Control: Management, Deauthentication
  '0000', // Duration
  'ffffffffffff', // A1: broadcast
  '020000000000', // A2
  '020000000000', // A3
  '0900', // Sequence Control
  '0200', // Reason Code 2
);
const mmeZeroMic = hex(
  '4c', // Element ID 76: Management MIC element
  '10', // Length 16
  '0400', // Key ID 4
  '040000000000', // IPN 4 (little-endian)
  '0000000000000000', // MIC, zeroed for the computation
);
const publishedMic = hex('48dfbfa7 b8278872');

function micOf(frame: Buffer, mme: Buffer = mmeZeroMic, key: Buffer = igtk): Buffer {
  return bipCmac128Mic(key, bipAad(frame), Buffer.concat([frame.subarray(24), mme]));
}

function withOctet(b: Buffer, at: number, f: (x: number) => number): Buffer {
  const c = Buffer.from(b);
  c[at] = f(c[at]);
  return c;
}

void describe('bipCmac128Mic (IEEE 802.11-2020 §12.5.4, BIP-CMAC-128)', () => {
  void it('IEEE 802.11-2012 M.9.1 BIP with broadcast Deauthentication frame: MIC 48dfbfa7b8278872', () => {
    assert.deepEqual(micOf(deauth), publishedMic);
  });

  const masked = [
    { desc: 'Retry set', frame: withOctet(deauth, 1, (x) => x | 0x08) },
    { desc: 'Power Management set', frame: withOctet(deauth, 1, (x) => x | 0x10) },
    { desc: 'More Data set', frame: withOctet(deauth, 1, (x) => x | 0x20) },
    { desc: 'another Duration', frame: withOctet(deauth, 2, () => 0x3a) },
    { desc: 'another Sequence Control', frame: withOctet(deauth, 22, () => 0x70) },
  ];
  for (const c of masked) {
    void it(`M.9.1 frame with ${c.desc}: the same MIC (outside the AAD)`, () => {
      assert.deepEqual(micOf(c.frame), publishedMic);
    });
  }

  const covered = [
    { desc: 'the Protected Frame bit set', frame: withOctet(deauth, 1, (x) => x | 0x40), mme: mmeZeroMic },
    { desc: 'another subtype (Disassociation)', frame: withOctet(deauth, 0, () => 0xa0), mme: mmeZeroMic },
    { desc: 'another A1', frame: withOctet(deauth, 9, () => 0xfe), mme: mmeZeroMic },
    { desc: 'another A2 (transmitter)', frame: withOctet(deauth, 15, () => 0x01), mme: mmeZeroMic },
    { desc: 'another A3', frame: withOctet(deauth, 21, () => 0x01), mme: mmeZeroMic },
    { desc: 'another Reason Code', frame: withOctet(deauth, 24, () => 0x03), mme: mmeZeroMic },
    { desc: 'another Key ID in the MME', frame: deauth, mme: withOctet(mmeZeroMic, 2, () => 0x05) },
    { desc: 'another IPN in the MME', frame: deauth, mme: withOctet(mmeZeroMic, 4, () => 0x05) },
  ];
  for (const c of covered) {
    void it(`M.9.1 frame with ${c.desc}: another MIC`, () => {
      assert.notDeepEqual(micOf(c.frame, c.mme), publishedMic);
    });
  }

  void it('M.9.1 under another IGTK: another MIC', () => {
    assert.notDeepEqual(micOf(deauth, mmeZeroMic, withOctet(igtk, 15, (x) => x ^ 1)), publishedMic);
  });

  const invalid = [
    { desc: 'a 32-octet IGTK (BIP-CMAC-256 is not BIP-CMAC-128)', key: Buffer.alloc(32), aad: Buffer.alloc(20) },
    { desc: 'a 15-octet IGTK', key: Buffer.alloc(15), aad: Buffer.alloc(20) },
    { desc: 'a 19-octet AAD', key: igtk, aad: Buffer.alloc(19) },
    { desc: 'a 22-octet AAD (the header, not the AAD)', key: igtk, aad: Buffer.alloc(22) },
  ];
  for (const c of invalid) {
    void it(`throws RangeError: ${c.desc}`, () => {
      assert.throws(() => bipCmac128Mic(c.key, c.aad, Buffer.alloc(0)), RangeError);
    });
  }
});

void describe('bipAad (IEEE 802.11-2020 §12.5.4)', () => {
  void it('FC with Retry, Power Management and More Data cleared and Protected kept, then A1, A2, A3', () => {
    const frame = hex(
      'd0', // Frame Control octet 0: Management, Action
      '78', // Frame Control octet 1: Retry, Power Management, More Data, Protected
      '3a01', // Duration
      'ffffffffffff', // A1
      '02aabbccddee', // A2
      '02aabbccdd00', // A3
      '1234', // Sequence Control
      '0d01', // body: Category, Action
    );
    assert.deepEqual(
      bipAad(frame),
      hex(
        'd0', // Frame Control octet 0
        '40', // Frame Control octet 1: Protected only
        'ffffffffffff', // A1
        '02aabbccddee', // A2
        '02aabbccdd00', // A3
      ),
    );
    assert.equal(bipAad(frame).length, BIP_AAD_LENGTH);
  });

  void it('needs only the header through A3 (22 octets)', () => {
    assert.equal(bipAad(deauth.subarray(0, 22)).length, 20);
    assert.throws(() => bipAad(deauth.subarray(0, 21)), RangeError);
  });

  void it('MME_ID is Element ID 76', () => {
    assert.equal(MME_ID, mmeZeroMic[0]);
  });
});

void describe('igtkLength (IEEE 802.11-2020 Table 12-8)', () => {
  const cases = [
    { desc: 'BIP-CMAC-128 -> 16', cipher: CIPHER.BIP_CMAC_128, want: 16 },
    { desc: 'BIP-GMAC-128 -> 16', cipher: CIPHER.BIP_GMAC_128, want: 16 },
    { desc: 'BIP-GMAC-256 -> 32', cipher: CIPHER.BIP_GMAC_256, want: 32 },
    { desc: 'BIP-CMAC-256 -> 32', cipher: CIPHER.BIP_CMAC_256, want: 32 },
    { desc: 'CCMP-128 is not a group management cipher -> 0', cipher: CIPHER.CCMP_128, want: 0 },
    { desc: 'Group addressed traffic not allowed -> 0', cipher: CIPHER.GROUP_NOT_ALLOWED, want: 0 },
  ];
  for (const c of cases) {
    void it(c.desc, () => assert.equal(igtkLength(c.cipher), c.want));
  }
});
