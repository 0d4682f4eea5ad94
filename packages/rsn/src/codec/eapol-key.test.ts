// Tests for EAPOL-Key frames (IEEE 802.11-2020 §12.7.2) against frames of real handshakes.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  runCodecTables,
  hex,
  frameLines,
  IWD_4WAY,
  IWD_WPA2,
  IWD_PMKID_MSG1,
  type CapturedFrame,
} from '../testing/index.js';
import { decodeEapol } from './eapol.js';
import {
  decodeEapolKey,
  encodeEapolKey,
  encodeEapolKeyFrame,
  newEapolKey,
  zeroedMicCopy,
  writeMic,
  describeKeyMessage,
  KeyInfo,
  EAPOL_KEY_FIXED_LENGTH,
  EAPOL_KEY_MIC_OFFSET,
  KEY_DESCRIPTOR_RSN,
  type EapolKey,
} from './eapol-key.js';

/**
 * The EapolKey a body written one field per line stands for: line i is field i of
 * Figure 12-32 (descriptor type, key information, key length, replay counter, nonce, IV,
 * RSC, reserved, MIC, key data length, key data).
 */
function keyFromLines(lines: readonly string[]): EapolKey {
  const [descriptor, info, keyLength, replay, nonce, iv, rsc, reserved, mic, , keyData] = lines;
  return {
    descriptorType: parseInt(descriptor, 16),
    keyInfo: parseInt(info, 16),
    keyLength: parseInt(keyLength, 16),
    replayCounter: BigInt('0x' + replay),
    nonce: hex(nonce),
    iv: hex(iv),
    rsc: hex(rsc),
    reserved: hex(reserved),
    mic: hex(mic),
    keyData: hex(keyData ?? ''),
  };
}

const handshakeFrames: readonly CapturedFrame[] = [
  ...Object.values(IWD_4WAY.frames),
  ...Object.values(IWD_WPA2.frames),
  IWD_PMKID_MSG1,
];

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b));
const key16 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b));
const key8 = fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b));

runCodecTables<EapolKey>(
  { name: 'EAPOL-Key body (IEEE 802.11-2020 §12.7.2)', decode: decodeEapolKey, encode: encodeEapolKey },
  {
    valid: [
      ...handshakeFrames.map((f) => ({ desc: `${f.desc}, iwd unit/test-eapol.c`, hex: f.body, value: keyFromLines(f.body) })),
      {
        desc: 'octets after Key Data are ignored (msg 4/4 of iwd eapol_key_data_6 plus 2 octets)',
        hex: [...IWD_4WAY.frames.msg4.body, 'abcd'],
        value: keyFromLines(IWD_4WAY.frames.msg4.body),
        encoded: IWD_4WAY.frames.msg4.body,
      },
    ],
    malformed: [
      { desc: 'empty body', hex: '', code: 'truncated' },
      { desc: '94 octets: one short of the fixed part', hex: '02' + '00'.repeat(93), code: 'truncated' },
      {
        desc: 'descriptor type 254 (WPA): msg 1/4 of iwd eapol_key_data_13',
        hex: [
          'fe', // descriptor type: WPA
          '0089', // key information: ver 1, pairwise, ack
          '0020', // key length
          '0000000000000001', // replay counter
          '66be994844e0f540781391376f479956a3ec3632e4121364ec7e7537eff62ac5', // key nonce
          '00000000000000000000000000000000', // EAPOL-Key IV
          '0000000000000000', // key RSC
          '0000000000000000', // key ID
          '00000000000000000000000000000000', // key MIC
          '0000', // key data length
        ],
        code: 'bad-type',
      },
      { desc: 'descriptor type 1 (RC4)', hex: ['01', '00'.repeat(94)], code: 'bad-type' },
      {
        desc: 'key data length 23 with 22 octets of key data (iwd msg 2/4 altered)',
        hex: [...IWD_4WAY.frames.msg2.body.slice(0, 9), '0017', IWD_4WAY.frames.msg2.body[10]],
        code: 'length-overflow',
      },
      {
        desc: 'key data length 0xffff with no key data',
        hex: [...IWD_4WAY.frames.msg4.body.slice(0, 9), 'ffff'],
        code: 'length-overflow',
      },
    ],
    roundTrip: [
      { desc: 'all defaults (newEapolKey({}))', value: newEapolKey({}) },
      {
        desc: 'largest replay counter and key length, every key information bit',
        value: newEapolKey({ keyInfo: 0xffff, keyLength: 0xffff, replayCounter: 0xffffffffffffffffn }),
      },
      {
        desc: 'largest key data (65535 - 95 octets)',
        value: newEapolKey({ keyData: Buffer.alloc(0xffff - EAPOL_KEY_FIXED_LENGTH, 0x5a) }),
      },
    ],
    arbitrary: fc.record(
      {
        descriptorType: fc.constant(KEY_DESCRIPTOR_RSN),
        keyInfo: fc.integer({ min: 0, max: 0xffff }),
        keyLength: fc.integer({ min: 0, max: 0xffff }),
        replayCounter: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
        nonce: key32,
        iv: key16,
        rsc: key8,
        reserved: key8,
        mic: key16,
        keyData: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      },
      { noNullPrototype: true },
    ),
  },
);

/** HMAC-SHA1-128 (key descriptor version 2, §12.7.2) of `data` under `kck`. */
function micSha1(kck: string, data: Uint8Array): string {
  return createHmac('sha1', hex(kck)).update(data).digest().subarray(0, 16).toString('hex');
}

void describe('encodeEapolKeyFrame', () => {
  for (const f of handshakeFrames) {
    void it(`reproduces ${f.desc} byte for byte`, () => {
      const frame = hex(frameLines(f));
      const eapol = decodeEapol(frame);
      assert.ok(eapol.ok);
      const key = decodeEapolKey(eapol.value.body);
      assert.ok(key.ok);
      assert.equal(encodeEapolKeyFrame(key.value, eapol.value.version).toString('hex'), frame.toString('hex'));
    });
  }
  void it('throws RangeError on a nonce that is not 32 octets, a 15-octet MIC, a negative or 65-bit replay counter', () => {
    assert.throws(() => encodeEapolKeyFrame(newEapolKey({ nonce: Buffer.alloc(31) }), 2), RangeError);
    assert.throws(() => encodeEapolKey(newEapolKey({ mic: Buffer.alloc(15) })), RangeError);
    assert.throws(() => encodeEapolKey(newEapolKey({ replayCounter: -1n })), RangeError);
    assert.throws(() => encodeEapolKey(newEapolKey({ replayCounter: 1n << 64n })), RangeError);
    assert.throws(() => encodeEapolKey(newEapolKey({ keyData: Buffer.alloc(0xffff - EAPOL_KEY_FIXED_LENGTH + 1) })), RangeError);
    assert.throws(() => encodeEapolKeyFrame(newEapolKey({}), 256), RangeError);
  });
});

void describe('newEapolKey', () => {
  void it('zero-fills absent fields, descriptor type 2', () => {
    const k = newEapolKey({ keyInfo: KeyInfo.PAIRWISE | KeyInfo.ACK, keyLength: 16 });
    assert.deepStrictEqual(k, {
      descriptorType: 2,
      keyInfo: 0x0088,
      keyLength: 16,
      replayCounter: 0n,
      nonce: Buffer.alloc(32),
      iv: Buffer.alloc(16),
      rsc: Buffer.alloc(8),
      reserved: Buffer.alloc(8),
      mic: Buffer.alloc(16),
      keyData: Buffer.alloc(0),
    });
  });
  void it('treats an explicitly undefined field as absent', () => {
    assert.equal(newEapolKey({ nonce: undefined }).nonce.length, 32);
  });
});

void describe('decodeEapolKey', () => {
  void it('returns fields as views of the input (zero-copy)', () => {
    const body = hex(IWD_4WAY.frames.msg2.body);
    const got = decodeEapolKey(body);
    assert.ok(got.ok);
    assert.equal(got.value.nonce.buffer, body.buffer);
    body[13] ^= 0xff; // first nonce octet
    assert.equal(got.value.nonce[0], 0x32 ^ 0xff);
  });
});

void describe('zeroedMicCopy', () => {
  const withMic = handshakeFrames.filter((f) => f !== IWD_PMKID_MSG1 && keyFromLines(f.body).keyInfo & KeyInfo.MIC);
  for (const [hs, name] of [[IWD_4WAY, 'IWD_4WAY'], [IWD_WPA2, 'IWD_WPA2']] as const) {
    for (const f of Object.values(hs.frames).filter((x) => withMic.includes(x))) {
      void it(`gives the bytes the MIC of ${f.desc} was computed over (${name} KCK)`, () => {
        const frame = hex(frameLines(f));
        const copy = zeroedMicCopy(frame);
        assert.ok(copy);
        assert.equal(micSha1(hs.kck, copy), keyFromLines(f.body).mic.toString('hex'));
      });
    }
  }

  void it('drops Ethernet padding and reads an unaligned Uint8Array view; the input is left unchanged', () => {
    const frame = hex(frameLines(IWD_WPA2.frames.msg4));
    const padded = new Uint8Array(1 + frame.length + 10);
    padded.set(frame, 1);
    const view = padded.subarray(1);
    const before = Buffer.from(view).toString('hex');
    const copy = zeroedMicCopy(view);
    assert.ok(copy);
    assert.equal(copy.length, frame.length);
    assert.equal(micSha1(IWD_WPA2.kck, copy), keyFromLines(IWD_WPA2.frames.msg4.body).mic.toString('hex'));
    assert.equal(Buffer.from(view).toString('hex'), before);
  });

  void it("matches iwd's published MIC vector (unit/test-eapol.c eapol_key_mic_data_1, kck_data_1, eapol_key_mic_2)", () => {
    // The frame as published, MIC field zero: msg 2/4 with an RSNE (capabilities 0x0001).
    const published = hex([
      '01', '03', '0075', // 802.1X header
      '02', '010a', '0010', '0000000000000001', // descriptor, key information, key length, replay counter
      '59168bc3a5df18d71efb6423f340088dab9e1ba2bbc58659e07b3764b0de8570', // key nonce
      '00000000000000000000000000000000', '0000000000000000', '0000000000000000', // IV, RSC, reserved
      '00000000000000000000000000000000', // key MIC (zero)
      '0016', '30140100000fac040100000fac040100000fac020100', // key data length, key data
    ]);
    const kck = '9a75ef0bde7c209ccae13f54b1b33ea3';
    const mic = '6f0489cf7406acf0ae8fcb32bce57c37';
    const sent = Buffer.from(published);
    writeMic(sent, hex(mic));
    const copy = zeroedMicCopy(sent);
    assert.ok(copy);
    assert.equal(copy.toString('hex'), published.toString('hex'));
    assert.equal(micSha1(kck, copy), mic);
  });

  const msg4 = hex(frameLines(IWD_4WAY.frames.msg4));
  const altered = (at: number, v: number): Buffer => {
    const b = Buffer.from(msg4);
    b[at] = v;
    return b;
  };
  const notKeyFrames: readonly [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['3 octets', msg4.subarray(0, 3)],
    ['EAPOL version 0', altered(0, 0)],
    ['EAP-Packet type', altered(1, 0)],
    ['declared body beyond the buffer', msg4.subarray(0, msg4.length - 1)],
    ['body of 94 octets', Buffer.concat([hex(['01', '03', '005e']), msg4.subarray(4, 98)])],
    ['descriptor type 254', altered(4, 0xfe)],
    ['key data length beyond the declared body', altered(4 + 94, 1)],
  ];
  for (const [desc, bytes] of notKeyFrames) {
    void it(`is undefined for a frame that is not a well-formed EAPOL-Key frame: ${desc}`, () => {
      assert.equal(zeroedMicCopy(bytes), undefined);
    });
  }

  void it('never throws on arbitrary bytes; a copy always has a zero MIC field and 4 + body length octets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, keyish) => {
        if (keyish && bytes.length >= 4) {
          bytes[0] = 2;
          bytes[1] = 3;
        }
        const copy = zeroedMicCopy(bytes);
        if (copy === undefined) return;
        assert.equal(copy.length, 4 + copy.readUInt16BE(2));
        assert.ok(copy.subarray(EAPOL_KEY_MIC_OFFSET, EAPOL_KEY_MIC_OFFSET + 16).every((x) => x === 0));
      }),
      { numRuns: 500 },
    );
  });
});

void describe('writeMic', () => {
  void it('writing the captured MIC into the encoded msg 3/4 with a zero MIC gives the captured frame', () => {
    const f = IWD_4WAY.frames.msg3;
    const captured = keyFromLines(f.body);
    const frame = encodeEapolKeyFrame({ ...captured, mic: Buffer.alloc(16) }, 2);
    writeMic(frame, captured.mic);
    assert.equal(frame.toString('hex'), hex(frameLines(f)).toString('hex'));
  });
  void it('throws RangeError on a MIC that is not 16 octets or a frame too short to hold one', () => {
    assert.throws(() => writeMic(Buffer.alloc(99), Buffer.alloc(15)), RangeError);
    assert.throws(() => writeMic(Buffer.alloc(98), Buffer.alloc(16)), RangeError);
  });
});

void describe('describeKeyMessage', () => {
  const captured: readonly [CapturedFrame, ReturnType<typeof describeKeyMessage>][] = [
    [IWD_4WAY.frames.msg1, 'msg1/4'],
    [IWD_4WAY.frames.msg2, 'msg2/4'],
    [IWD_4WAY.frames.msg3, 'msg3/4'],
    [IWD_4WAY.frames.msg4, 'msg4/4'],
    [IWD_WPA2.frames.msg1, 'msg1/4'],
    [IWD_WPA2.frames.msg2, 'msg2/4'],
    [IWD_WPA2.frames.msg3, 'msg3/4'],
    [IWD_WPA2.frames.msg4, 'msg4/4'],
    [IWD_WPA2.frames.group1, 'group1/2'],
    [IWD_WPA2.frames.group2, 'group2/2'],
    [IWD_PMKID_MSG1, 'msg1/4'],
  ];
  for (const [f, kind] of captured) {
    void it(`${f.desc} is ${kind}`, () => {
      assert.equal(describeKeyMessage(keyFromLines(f.body)), kind);
    });
  }

  const V2 = 2;
  const synthetic: readonly [string, Partial<EapolKey>, ReturnType<typeof describeKeyMessage>][] = [
    [
      'Michael MIC failure report (Request, Error, Secure, MIC, Pairwise) is a request',
      { keyInfo: V2 | KeyInfo.PAIRWISE | KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.ERROR | KeyInfo.REQUEST },
      'request',
    ],
    ['group rekey request (Request, Secure, MIC, Group) is a request', { keyInfo: V2 | KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.REQUEST }, 'request'],
    ['msg 4/4 without Secure (as WPA-style stations send it) is msg 4/4: empty key data decides', { keyInfo: V2 | KeyInfo.PAIRWISE | KeyInfo.MIC }, 'msg4/4'],
    [
      'msg 2/4 with Secure set is still msg 2/4: non-empty key data decides',
      { keyInfo: V2 | KeyInfo.PAIRWISE | KeyInfo.MIC | KeyInfo.SECURE, keyData: hex('30140100000fac040100000fac040100000fac020000') },
      'msg2/4',
    ],
    ['msg 3/4 without Install is still msg 3/4', { keyInfo: V2 | KeyInfo.PAIRWISE | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.SECURE }, 'msg3/4'],
    ['SMK message is unknown', { keyInfo: V2 | KeyInfo.SMK_MESSAGE | KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.REQUEST }, 'unknown'],
    ['pairwise without Ack or MIC is unknown', { keyInfo: V2 | KeyInfo.PAIRWISE }, 'unknown'],
    ['group with Ack but no MIC is unknown', { keyInfo: V2 | KeyInfo.ACK }, 'unknown'],
    ['no bits at all is unknown', { keyInfo: 0 }, 'unknown'],
  ];
  for (const [desc, fields, kind] of synthetic) {
    void it(desc, () => {
      assert.equal(describeKeyMessage(newEapolKey(fields)), kind);
    });
  }
});
