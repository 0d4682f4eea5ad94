// Tests for EAPOL over Ethernet (IEEE 802.1X-2004 §7.5, §11.1; IEEE 802.3 minimum frame).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { frameLines, hex, IWD_4WAY, runCodecTables } from '@airlock/rsn/testing';
import { decodeEthernetEapol, encodeEthernetEapol, ETHERNET_MIN_FRAME_LENGTH, type EthernetEapolFrame } from './ethernet.js';

const codec = { name: 'EAPOL over Ethernet (IEEE 802.1X-2004 §7.5, 60-octet minimum frame)', decode: decodeEthernetEapol, encode: encodeEthernetEapol };

const PAE_GROUP = '0180c2000003';
const STA = 'c2be0af52375'; // a wpa_supplicant station on a veth, seen here
const AGENT = 'b61a47d1a515'; // the agent's end of that veth
const PAE = '888e';

runCodecTables<EthernetEapolFrame>(codec, {
  valid: [
    {
      desc: 'EAPOL-Start from wpa_supplicant 2.10 -D wired to the PAE group address, padded to 60 octets (captured here)',
      hex: [
        PAE_GROUP, // destination
        STA, // source
        PAE, // EtherType
        '01', // EAPOL protocol version
        '01', // packet type: EAPOL-Start
        '0000', // packet body length
        '00'.repeat(42), // Ethernet padding to 60 octets
      ],
      value: { destination: hex(PAE_GROUP), source: hex(STA), eapol: hex('01010000') },
    },
    {
      desc: 'EAP-Request/Identity from the agent to the station, padded (captured here)',
      hex: [
        STA, // destination
        AGENT, // source
        PAE, // EtherType
        '02', // EAPOL protocol version
        '00', // packet type: EAP-Packet
        '0005', // packet body length
        '0139000501', // EAP: Request, id 0x39, length 5, type Identity
        '00'.repeat(37), // Ethernet padding to 60 octets
      ],
      value: { destination: hex(STA), source: hex(AGENT), eapol: hex('020000050139000501') },
    },
    {
      desc: 'EAPOL-Key msg 2/4 (iwd unit/test-eapol.c eapol_key_data_4): longer than the minimum, no padding',
      hex: [
        PAE_GROUP, // destination
        IWD_4WAY.spa, // source
        PAE, // EtherType
        ...frameLines(IWD_4WAY.frames.msg2), // EAPOL PDU
      ],
      value: { destination: hex(PAE_GROUP), source: hex(IWD_4WAY.spa), eapol: hex(frameLines(IWD_4WAY.frames.msg2)) },
    },
  ],
  malformed: [
    { desc: 'empty buffer', hex: '', code: 'empty' },
    { desc: 'short Ethernet header (13 octets)', hex: [PAE_GROUP, STA, '88'], code: 'truncated' },
    { desc: 'IPv4 EtherType', hex: [PAE_GROUP, STA, '0800', '4500001c'], code: 'bad-type' },
    { desc: '802.1Q-tagged EAPOL (tag not parsed)', hex: [PAE_GROUP, STA, '8100', '0064', PAE, '01010000'], code: 'bad-type' },
    { desc: 'EAPOL header cut after 3 octets', hex: [PAE_GROUP, STA, PAE, '010100'], code: 'truncated' },
    {
      desc: 'declared body beyond the frame (capture truncated)',
      hex: [
        STA, // destination
        AGENT, // source
        PAE, // EtherType
        '02', // EAPOL protocol version
        '03', // packet type: EAPOL-Key
        '005f', // packet body length: 95
        '02008a', // only 3 octets of it
      ],
      code: 'length-overflow',
    },
  ],
  roundTrip: [
    { desc: 'EAPOL-Logoff (4 octets, padded on the wire)', value: { destination: hex(PAE_GROUP), source: hex(STA), eapol: hex('01020000') } },
    { desc: 'a PDU of exactly 46 octets (no padding needed)', value: { destination: hex(STA), source: hex(AGENT), eapol: hex(['0200002a', '00'.repeat(42)]) } },
  ],
  arbitrary: fc
    .record(
      {
        destination: fc.uint8Array({ minLength: 6, maxLength: 6 }),
        source: fc.uint8Array({ minLength: 6, maxLength: 6 }),
        version: fc.integer({ min: 0, max: 255 }),
        type: fc.integer({ min: 0, max: 255 }),
        body: fc.uint8Array({ maxLength: 200 }),
      },
      { noNullPrototype: true },
    )
    .map((r) => {
      const eapol = Buffer.alloc(4 + r.body.length);
      eapol[0] = r.version;
      eapol[1] = r.type;
      eapol.writeUInt16BE(r.body.length, 2);
      eapol.set(r.body, 4);
      return { destination: Buffer.from(r.destination), source: Buffer.from(r.source), eapol };
    }),
});

void describe('EAPOL over Ethernet: padding', () => {
  const cases = [
    { desc: 'EAPOL-Start (4 octets) is padded to 60', eapol: '01010000', length: ETHERNET_MIN_FRAME_LENGTH },
    { desc: 'a 46-octet PDU fills the minimum exactly', eapol: ['0200002a', '00'.repeat(42)], length: 60 },
    { desc: 'msg 2/4 (121 octets) is not padded', eapol: frameLines(IWD_4WAY.frames.msg2), length: 14 + 121 },
  ];
  for (const c of cases) {
    void it(c.desc, () => {
      const f = encodeEthernetEapol({ destination: hex(STA), source: hex(AGENT), eapol: hex(c.eapol) });
      assert.equal(f.length, c.length);
      assert.ok(f.subarray(14 + hex(c.eapol).length).every((b) => b === 0), 'padding is zero octets');
    });
  }

  void it('padding after the declared body is not part of the PDU, whatever it contains', () => {
    const f = Buffer.concat([hex([PAE_GROUP, STA, PAE, '01010000']), Buffer.alloc(42, 0xa5)]);
    const d = decodeEthernetEapol(f);
    assert.ok(d.ok);
    assert.equal(d.value.eapol.toString('hex'), '01010000');
  });

  void it('encode refuses bad addresses and PDUs shorter than the EAPOL header', () => {
    assert.throws(() => encodeEthernetEapol({ destination: Buffer.alloc(5), source: hex(AGENT), eapol: hex('01010000') }), RangeError);
    assert.throws(() => encodeEthernetEapol({ destination: hex(STA), source: Buffer.alloc(7), eapol: hex('01010000') }), RangeError);
    assert.throws(() => encodeEthernetEapol({ destination: hex(STA), source: hex(AGENT), eapol: hex('010100') }), RangeError);
  });
});
