// Tests for the EAPOL PDU header codec (IEEE 802.1X-2004 §11.3).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { runCodecTables, hex, frameLines, IWD_4WAY, IWD_WPA2 } from '../testing/index.js';
import { decodeEapol, encodeEapol, EapolType, EAPOL_HEADER_LENGTH, type EapolFrame } from './eapol.js';

const eapolCodec = { name: 'EAPOL PDU (IEEE 802.1X-2004 §11.3)', decode: decodeEapol, encode: encodeEapol };

const ETHERNET_PADDING_42 = '00'.repeat(42); // 4-octet EAPOL-Start padded to the 46-octet Ethernet minimum payload

runCodecTables<EapolFrame>(eapolCodec, {
  valid: [
    {
      desc: 'EAPOL-Key msg 1/4, version 2 (iwd unit/test-eapol.c eapol_key_data_3)',
      hex: frameLines(IWD_4WAY.frames.msg1),
      value: { version: 2, type: EapolType.Key, body: hex(IWD_4WAY.frames.msg1.body) },
    },
    {
      desc: 'EAPOL-Key msg 2/4, version 1 as wpa_supplicant sends it (iwd unit/test-eapol.c eapol_key_data_4)',
      hex: frameLines(IWD_4WAY.frames.msg2),
      value: { version: 1, type: EapolType.Key, body: hex(IWD_4WAY.frames.msg2.body) },
    },
    {
      desc: 'EAPOL-Key group msg 1/2 (iwd unit/test-eapol.c eapol_key_data_11)',
      hex: frameLines(IWD_WPA2.frames.group1),
      value: { version: 2, type: EapolType.Key, body: hex(IWD_WPA2.frames.group1.body) },
    },
    {
      desc: 'EAP-Request/Identity (iwd unit/test-eapol.c eap_identity_req)',
      hex: [
        '02', // protocol version
        '00', // packet type: EAP-Packet
        '0005', // packet body length
        '0101000501', // EAP: Request, id 1, length 5, type Identity
      ],
      value: { version: 2, type: EapolType.EapPacket, body: hex('0101000501') },
    },
    {
      desc: 'EAP-Response/Identity "abc@example.com" (iwd unit/test-eapol.c eap_identity_resp)',
      hex: [
        '02', // protocol version
        '00', // packet type: EAP-Packet
        '0014', // packet body length
        '0201001401', // EAP: Response, id 1, length 20, type Identity
        '616263406578616d706c652e636f6d', // "abc@example.com"
      ],
      value: { version: 2, type: EapolType.EapPacket, body: hex('0201001401616263406578616d706c652e636f6d') },
    },
    {
      desc: 'EAPOL-Start, version 1, with Ethernet padding: padding ignored, not re-encoded',
      hex: [
        '01', // protocol version
        '01', // packet type: EAPOL-Start
        '0000', // packet body length
        ETHERNET_PADDING_42, // Ethernet padding
      ],
      value: { version: 1, type: EapolType.Start, body: Buffer.alloc(0) },
      encoded: ['01', '01', '0000'],
    },
    {
      desc: 'EAPOL-Logoff, version 3 (802.1X-2010)',
      hex: ['03', '02', '0000'],
      value: { version: 3, type: EapolType.Logoff, body: Buffer.alloc(0) },
    },
    {
      desc: 'packet type 5 (EAPOL-MKA, 802.1X-2010) is carried, not judged',
      hex: ['03', '05', '0002', 'abcd'],
      value: { version: 3, type: 5, body: hex('abcd') },
    },
    {
      desc: 'EAP packet followed by trailing bytes beyond the declared body: ignored',
      hex: ['02', '00', '0004', '03010004', 'ffffffff'],
      value: { version: 2, type: EapolType.EapPacket, body: hex('03010004') },
      encoded: ['02', '00', '0004', '03010004'],
    },
  ],
  malformed: [
    { desc: 'empty buffer', hex: '', code: 'empty' },
    { desc: 'one octet', hex: ['02'], code: 'truncated' },
    { desc: 'header cut after the packet type and one length octet', hex: ['02', '03', '00'], code: 'truncated' },
    { desc: 'protocol version 0', hex: ['00', '01', '0000'], code: 'bad-version' },
    {
      desc: 'packet body length 95 with 94 octets present',
      hex: ['02', '03', '005f', '00'.repeat(94)],
      code: 'length-overflow',
    },
    { desc: 'packet body length 0xffff with a 1-octet body', hex: ['02', '00', 'ffff', '01'], code: 'length-overflow' },
    { desc: 'packet body length 1 with nothing after the header', hex: ['01', '01', '0001'], code: 'length-overflow' },
  ],
  roundTrip: [
    { desc: 'EAPOL-Key type with an empty body', value: { version: 2, type: EapolType.Key, body: Buffer.alloc(0) } },
    { desc: 'version 255, type 255', value: { version: 255, type: 255, body: hex('00') } },
    { desc: 'largest body (65535 octets)', value: { version: 2, type: EapolType.EapPacket, body: Buffer.alloc(0xffff, 7) } },
  ],
  arbitrary: fc.record({
    version: fc.integer({ min: 1, max: 255 }),
    type: fc.integer({ min: 0, max: 255 }),
    body: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  }, { noNullPrototype: true }),
});

void describe('decodeEapol', () => {
  void it('returns the body as a view of the input (zero-copy)', () => {
    const frame = hex(frameLines(IWD_4WAY.frames.msg1));
    const got = decodeEapol(frame);
    assert.ok(got.ok);
    assert.equal(got.value.body.buffer, frame.buffer);
    assert.equal(got.value.body.byteOffset, frame.byteOffset + EAPOL_HEADER_LENGTH);
    frame[EAPOL_HEADER_LENGTH] = 0xfe;
    assert.equal(got.value.body[0], 0xfe);
  });

  void it('a msg 3/4 missing its last octet is length-overflow', () => {
    const frame = hex(frameLines(IWD_4WAY.frames.msg3));
    const cut = frame.subarray(0, frame.length - 1);
    const got = decodeEapol(cut);
    assert.ok(!got.ok);
    assert.equal(got.error.code, 'length-overflow');
  });
});

void describe('encodeEapol', () => {
  void it('throws RangeError on a body longer than 65535 octets', () => {
    assert.throws(() => encodeEapol({ version: 2, type: 0, body: Buffer.alloc(0x10000) }), RangeError);
  });
  void it('throws RangeError on a version or type outside one octet', () => {
    assert.throws(() => encodeEapol({ version: 256, type: 0, body: Buffer.alloc(0) }), RangeError);
    assert.throws(() => encodeEapol({ version: 2, type: -1, body: Buffer.alloc(0) }), RangeError);
    assert.throws(() => encodeEapol({ version: 2.5, type: 0, body: Buffer.alloc(0) }), RangeError);
  });
});
