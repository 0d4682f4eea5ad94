import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AKM, CIPHER } from '../suites.js';
import {
  aesKeyUnwrap,
  calculateEapolKeyMic,
  derivePtk,
  keyDescriptorVersionFor,
  pbkdf2Psk,
  timingSafeEqualBytes,
} from './index.js';
import { ascii, hex } from './hex.fixture.js';

// Complete WPA2-PSK (AKM 00-0F-AC:2, CCMP-128) handshakes published in iwd unit/test-eapol.c:
// passphrase -> PSK -> PTK -> the MIC of every EAPOL-Key frame -> the wrapped Key Data.
// The frames are byte-exact from the 802.1X header on; the Key MIC field starts at octet 81.

const MIC_OFFSET = 81;
const MIC_LEN = 16;
const KEY_DATA_OFFSET = 99;

interface Frame {
  desc: string;
  bytes: Buffer;
}

interface Handshake {
  desc: string;
  aa: Buffer;
  spa: Buffer;
  anonce: Buffer;
  snonce: Buffer;
  frames: Frame[];
  wrapped: { desc: string; frame: Buffer; startsWith: Buffer }[];
}

const psk = pbkdf2Psk('EasilyGuessedPassword', ascii('TestWPA'));

const msg2of4A = hex(
  '01', // 802.1X Protocol Version
  '03', // Packet Type: EAPOL-Key
  '0075', // Packet Body Length: 117
  '02', // Descriptor Type: RSN
  '010a', // Key Information: version 2, pairwise, MIC
  '0000', // Key Length
  '0000000000000000', // Key Replay Counter
  '3289e91565094f329a9cd54a4a090d2cf4344683bf50efee3608b64856800e84', // Key Nonce (SNonce)
  '00000000000000000000000000000000', // EAPOL-Key IV
  '0000000000000000', // Key RSC
  '0000000000000000', // Reserved
  '01c31b82ff62a379b08dd1fc82c2f768', // Key MIC
  '0016', // Key Data Length: 22
  '30140100000fac040100000fac040100000fac020000', // Key Data: RSNE
);

const msg3of4A = hex(
  '02', // 802.1X Protocol Version
  '03', // Packet Type: EAPOL-Key
  '0097', // Packet Body Length: 151
  '02', // Descriptor Type: RSN
  '13ca', // Key Information: version 2, pairwise, install, ack, MIC, secure, encrypted
  '0010', // Key Length: 16
  '0000000000000001', // Key Replay Counter
  'c2bb57ab588f92ebbd44e811094f601c087986030c3ac749cc61d63e33832e50', // Key Nonce (ANonce)
  '00000000000000000000000000000000', // EAPOL-Key IV
  '0000000000000000', // Key RSC
  '0000000000000000', // Reserved
  'f535d91809731a1d290894705e919c8e', // Key MIC
  '0038', // Key Data Length: 56
  '1918df1ef0e7696652e257938034e17038b98b4c45a923b7b6fa8c33e37bdcd47f', // Key Data (wrapped) ...
  'eab11c226a2c5e38d5ad799405d610a69551d60be60a5b', // ... continued
);

const msg4of4A = hex(
  '01', // 802.1X Protocol Version
  '03', // Packet Type: EAPOL-Key
  '005f', // Packet Body Length: 95
  '02', // Descriptor Type: RSN
  '030a', // Key Information: version 2, pairwise, MIC, secure
  '0000', // Key Length
  '0000000000000001', // Key Replay Counter
  '0000000000000000000000000000000000000000000000000000000000000000', // Key Nonce
  '00000000000000000000000000000000', // EAPOL-Key IV
  '0000000000000000', // Key RSC
  '0000000000000000', // Reserved
  '9e57a4c09bafb3375e46d386cf872753', // Key MIC
  '0000', // Key Data Length
);

const msg2of4B = hex(
  '02', // 802.1X Protocol Version
  '03', // Packet Type: EAPOL-Key
  '0073', // Packet Body Length: 115
  '02', // Descriptor Type: RSN
  '010a', // Key Information: version 2, pairwise, MIC
  '0000', // Key Length
  '0000000000000001', // Key Replay Counter
  '727c656c5ed642d7f47f484351d808945118da6a4933ac7e293f2f2ac088348c', // Key Nonce (SNonce)
  '00000000000000000000000000000000', // EAPOL-Key IV
  '0000000000000000', // Key RSC
  '0000000000000000', // Reserved
  '7d7c45989f492b4a36583529282d8fed', // Key MIC
  '0014', // Key Data Length: 20
  '30120100000fac040100000fac040100000fac02', // Key Data: RSNE
);

const msg3of4B = hex(
  '02', // 802.1X Protocol Version
  '03', // Packet Type: EAPOL-Key
  '0097', // Packet Body Length: 151
  '02', // Descriptor Type: RSN
  '13ca', // Key Information: version 2, pairwise, install, ack, MIC, secure, encrypted
  '0010', // Key Length: 16
  '0000000000000002', // Key Replay Counter
  '2b5852b88e4ca34dc599ed202c63957c535e3efa9289873411127cbaf3588425', // Key Nonce (ANonce)
  '00000000000000000000000000000000', // EAPOL-Key IV
  '0000000000000000', // Key RSC
  '0000000000000000', // Reserved
  'f8626a5776c733bfc071de62ebf7a7c5', // Key MIC
  '0038', // Key Data Length: 56
  '14dd52803dc83df7ba7eb648296d650e88ccc8dd676204a2c7c1f2650bcaf96b66', // Key Data (wrapped) ...
  'f5b43d9926adc5ce18c0a99be50e508584b157e37a5e0f', // ... continued
);

const msg4of4B = hex(
  '02', // 802.1X Protocol Version
  '03', // Packet Type: EAPOL-Key
  '005f', // Packet Body Length: 95
  '02', // Descriptor Type: RSN
  '030a', // Key Information: version 2, pairwise, MIC, secure
  '0000', // Key Length
  '0000000000000002', // Key Replay Counter
  '0000000000000000000000000000000000000000000000000000000000000000', // Key Nonce
  '00000000000000000000000000000000', // EAPOL-Key IV
  '0000000000000000', // Key RSC
  '0000000000000000', // Reserved
  '8b0f342349f08503e5fc54b72cb53266', // Key MIC
  '0000', // Key Data Length
);

const group1of2B = hex(
  '02', // 802.1X Protocol Version
  '03', // Packet Type: EAPOL-Key
  '007f', // Packet Body Length: 127
  '02', // Descriptor Type: RSN
  '1382', // Key Information: version 2, group, ack, MIC, secure, encrypted
  '0010', // Key Length: 16
  '0000000000000003', // Key Replay Counter
  'ef6dc20c5727e82507751e67369dc91ef1718eb135b212df9fcb0a65a2d5671d', // Key Nonce
  '00000000000000000000000000000000', // EAPOL-Key IV
  '0000000000000000', // Key RSC
  '0000000000000000', // Reserved
  '0f6ab075bc8ed19211cdc3b0e2d67ecf', // Key MIC
  '0020', // Key Data Length: 32
  'e9965b4685d58b88bd574857e4f0dfddf72a7aa8eb68a9ef4404a66faa48511b', // Key Data (wrapped)
);

const group2of2B = hex(
  '02', // 802.1X Protocol Version
  '03', // Packet Type: EAPOL-Key
  '005f', // Packet Body Length: 95
  '02', // Descriptor Type: RSN
  '0302', // Key Information: version 2, group, MIC, secure
  '0000', // Key Length
  '0000000000000003', // Key Replay Counter
  '0000000000000000000000000000000000000000000000000000000000000000', // Key Nonce
  '00000000000000000000000000000000', // EAPOL-Key IV
  '0000000000000000', // Key RSC
  '0000000000000000', // Reserved
  'c9bd17f154b732cfbc01db0c37e6339f', // Key MIC
  '0000', // Key Data Length
);

const handshakes: Handshake[] = [
  {
    desc: 'iwd unit/test-eapol.c eapol_4way_test',
    aa: hex('24a2e1ec1704'),
    spa: hex('a0a8cd1c7ec9'),
    anonce: hex('c2bb57ab588f92ebbd44e811094f601c087986030c3ac749cc61d63e33832e50'), // from msg 1/4
    snonce: msg2of4A.subarray(17, 49),
    frames: [
      { desc: 'msg 2/4', bytes: msg2of4A },
      { desc: 'msg 3/4', bytes: msg3of4A },
      { desc: 'msg 4/4', bytes: msg4of4A },
    ],
    // Key Data of msg 3/4 unwraps to the AP's RSNE (element ID 48) followed by the GTK KDE.
    wrapped: [{ desc: 'msg 3/4', frame: msg3of4A, startsWith: hex('30') }],
  },
  {
    desc: 'iwd unit/test-eapol.c eapol_wpa2_handshake_test',
    aa: hex('020000000000'),
    spa: hex('020000000100'),
    anonce: msg3of4B.subarray(17, 49),
    snonce: msg2of4B.subarray(17, 49),
    frames: [
      { desc: 'msg 2/4', bytes: msg2of4B },
      { desc: 'msg 3/4', bytes: msg3of4B },
      { desc: 'msg 4/4', bytes: msg4of4B },
      { desc: 'group msg 1/2', bytes: group1of2B },
      { desc: 'group msg 2/2', bytes: group2of2B },
    ],
    wrapped: [
      { desc: 'msg 3/4', frame: msg3of4B, startsWith: hex('30') },
      // GTK KDE: type 0xdd, length, OUI 00-0F-AC, data type 1.
      { desc: 'group msg 1/2', frame: group1of2B, startsWith: hex('dd', '16', '000fac', '01') },
    ],
  },
];

function withZeroMic(frame: Buffer): Buffer {
  const copy = Buffer.from(frame);
  copy.fill(0, MIC_OFFSET, MIC_OFFSET + MIC_LEN);
  return copy;
}

for (const h of handshakes) {
  void describe(`${h.desc}: WPA2-PSK, CCMP-128`, () => {
    const akm = AKM.PSK;
    const version = keyDescriptorVersionFor(akm) ?? assert.fail('AKM 2 has a key descriptor version');
    const ptk = derivePtk({ pmk: psk, aa: h.aa, spa: h.spa, anonce: h.anonce, snonce: h.snonce, akm, cipher: CIPHER.CCMP_128 });

    for (const f of h.frames) {
      void it(`${f.desc}: MIC over the frame with the MIC field zeroed matches`, () => {
        const mic = calculateEapolKeyMic(ptk.kck, withZeroMic(f.bytes), version);
        const received = f.bytes.subarray(MIC_OFFSET, MIC_OFFSET + MIC_LEN);
        assert.deepEqual(mic, received);
        assert.equal(timingSafeEqualBytes(mic, received), true);
      });

      void it(`${f.desc}: one flipped octet after the MIC no longer verifies`, () => {
        const tampered = withZeroMic(f.bytes);
        tampered[tampered.length - 1] ^= 0x01;
        const mic = calculateEapolKeyMic(ptk.kck, tampered, version);
        assert.equal(timingSafeEqualBytes(mic, f.bytes.subarray(MIC_OFFSET, MIC_OFFSET + MIC_LEN)), false);
      });
    }

    for (const w of h.wrapped) {
      void it(`${w.desc}: Key Data unwraps with the KEK`, () => {
        const keyData = aesKeyUnwrap(ptk.kek, w.frame.subarray(KEY_DATA_OFFSET));
        assert.ok(keyData !== undefined);
        assert.equal(keyData.length, w.frame.length - KEY_DATA_OFFSET - 8);
        assert.deepEqual(keyData.subarray(0, w.startsWith.length), w.startsWith);
      });

      void it(`${w.desc}: tampered Key Data fails the RFC 3394 integrity check`, () => {
        const wrapped = Buffer.from(w.frame.subarray(KEY_DATA_OFFSET));
        wrapped[10] ^= 0x80;
        assert.equal(aesKeyUnwrap(ptk.kek, wrapped), undefined);
      });

      void it(`${w.desc}: Key Data does not unwrap with the KCK`, () => {
        assert.equal(aesKeyUnwrap(ptk.kck, w.frame.subarray(KEY_DATA_OFFSET)), undefined);
      });
    }
  });
}
