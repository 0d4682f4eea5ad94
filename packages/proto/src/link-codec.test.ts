import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentHello, LinkCommand, LinkEvent } from '@airlock/link';
import { AgentMessage, Cipher, ControllerMessage, Hello } from './gen/airlock/v1/agent_link.js';
import { answersWithResult, cipherFromWire, cipherToWire, decodeCommand, decodeEvent, decodeHello, encodeCommand, encodeEvent, encodeHello } from './link-codec.js';

const bssid = Buffer.from('02a100000001', 'hex');
const sta = Buffer.from('02b200000002', 'hex');
const rsne = Buffer.from('30140100000fac040100000fac040100000fac020000', 'hex');
const frame = Buffer.from('0203005f02008a00100000000000000001', 'hex');
const key = Buffer.alloc(16, 0xa5);

/** Through the wire: the generated encoder and decoder, as the other end reads it. */
const overAgentWire = (e: LinkEvent): LinkEvent | undefined => {
  const m = AgentMessage.decode(AgentMessage.encode({ seq: 7n, body: encodeEvent(e) }).finish());
  return m.body && decodeEvent(m.body);
};
const overControllerWire = (c: LinkCommand, wantTxStatus = false): { command: LinkCommand | undefined; wantTxStatus: boolean } => {
  const m = ControllerMessage.decode(ControllerMessage.encode({ seq: 9n, body: encodeCommand(c, wantTxStatus) }).finish());
  return { command: m.body && decodeCommand(m.body), wantTxStatus: m.body?.$case === 'transmitEapol' && m.body.value.wantTxStatus };
};

const EVENTS: { desc: string; e: LinkEvent }[] = [
  { desc: 'association', e: { type: 'associated', bssid, sta, rsne, reassociation: false, previousBssid: undefined, rsnxe: undefined } },
  { desc: 'reassociation from another BSS', e: { type: 'associated', bssid, sta, rsne, reassociation: true, previousBssid: Buffer.from('02a100000009', 'hex'), rsnxe: undefined } },
  { desc: 'association on a wired port (no RSNE)', e: { type: 'associated', bssid, sta, rsne: Buffer.alloc(0), reassociation: false, previousBssid: undefined, rsnxe: undefined } },
  { desc: 'WPA3 association with an RSNXE (H2E)', e: { type: 'associated', bssid, sta, rsne, reassociation: false, previousBssid: undefined, rsnxe: Buffer.from('f40120', 'hex') } },
  { desc: 'SAE commit (H2E)', e: { type: 'authentication', bssid, sta, algorithm: 3, transaction: 1, status: 126, body: Buffer.alloc(98, 7) } },
  { desc: 'a group key transmit packet number (IGTK)', e: { type: 'group-key-sequence', bssid, keyId: 4, txPn: (1n << 48n) - 1n } },
  { desc: 'SAE confirm', e: { type: 'authentication', bssid, sta, algorithm: 3, transaction: 2, status: 0, body: Buffer.alloc(34, 9) } },
  { desc: 'deauthentication by the station', e: { type: 'disassociated', bssid, sta, reason: 3, deauth: true, locallyGenerated: false } },
  { desc: 'disassociation by the AP (inactivity)', e: { type: 'disassociated', bssid, sta, reason: 4, deauth: false, locallyGenerated: true } },
  { desc: 'EAPOL frame', e: { type: 'eapol', bssid, sta, frame } },
  { desc: 'counters past 2^53', e: { type: 'counters', bssid, sta, rxBytes: (1n << 60n) + 1n, txBytes: 5n, rxPackets: 0n, txPackets: (1n << 64n) - 1n } },
];

const COMMANDS: { desc: string; c: LinkCommand; answered: boolean }[] = [
  { desc: 'transmit in the clear', c: { type: 'transmit-eapol', bssid, sta, frame, protected: false }, answered: false },
  { desc: 'protected transmit (rekey)', c: { type: 'transmit-eapol', bssid, sta, frame, protected: true }, answered: false },
  { desc: 'pairwise key CCMP-128', c: { type: 'install-pairwise-key', bssid, sta, cipher: 0x000fac04, keyId: 0, key }, answered: true },
  { desc: 'pairwise key GCMP-256', c: { type: 'install-pairwise-key', bssid, sta, cipher: 0x000fac09, keyId: 1, key: Buffer.alloc(32, 1) }, answered: true },
  { desc: 'group key, not yet TX', c: { type: 'install-group-key', bssid, cipher: 0x000fac04, keyId: 2, key, setTx: false }, answered: true },
  { desc: 'group key becomes TX', c: { type: 'install-group-key', bssid, cipher: 0x000fac0a, keyId: 1, key: Buffer.alloc(32, 2), setTx: true }, answered: true },
  { desc: 'remove pairwise key', c: { type: 'remove-pairwise-key', bssid, sta }, answered: false },
  { desc: 'open the port with VLAN and session timeout', c: { type: 'set-port', bssid, sta, authorized: true, vlanId: 42, sessionTimeoutS: 3600 }, answered: true },
  { desc: 'close the port', c: { type: 'set-port', bssid, sta, authorized: false, vlanId: 0, sessionTimeoutS: 0 }, answered: true },
  { desc: 'disconnect (deauthentication, reason 15)', c: { type: 'disconnect', bssid, sta, reason: 15, deauth: true }, answered: false },
  { desc: 'IGTK (key 4, BIP-CMAC-128)', c: { type: 'install-group-key', bssid, cipher: 0x000fac06, keyId: 4, key, setTx: true }, answered: true },
  { desc: 'SAE commit to the station', c: { type: 'transmit-authentication', bssid, sta, algorithm: 3, transaction: 1, status: 126, body: Buffer.alloc(98, 3) }, answered: false },
  { desc: 'SAE refusal: anti-clogging token required', c: { type: 'transmit-authentication', bssid, sta, algorithm: 3, transaction: 1, status: 76, body: Buffer.alloc(34, 4) }, answered: false },
];

void describe('link codec', () => {
  for (const { desc, e } of EVENTS) {
    void it(`event round trip over the wire: ${desc}`, () => {
      assert.deepEqual(overAgentWire(e), e);
    });
  }

  for (const { desc, c, answered } of COMMANDS) {
    void it(`command round trip over the wire: ${desc}`, () => {
      assert.deepEqual(overControllerWire(c).command, c);
      assert.equal(answersWithResult(c), answered);
    });
  }

  void it('a transmit asks for TX status only when told to', () => {
    const c: LinkCommand = { type: 'transmit-eapol', bssid, sta, frame, protected: false };
    assert.equal(overControllerWire(c, true).wantTxStatus, true);
    assert.equal(overControllerWire(c, false).wantTxStatus, false);
  });

  void it('InstallPairwiseKey keeps the wire fields of agent_link.proto (bytes one field per line)', () => {
    const body = encodeCommand({ type: 'install-pairwise-key', bssid, sta, cipher: 0x000fac04, keyId: 0, key: Buffer.alloc(16, 0x11) });
    const bytes = Buffer.from(ControllerMessage.encode({ seq: 1n, body }).finish());
    const want = Buffer.from(
      [
        '08 01', // seq = 1
        '22 24', // install_pairwise_key (field 4), 36 octets
        '0a 06 02a100000001', // bssid
        '12 06 02b200000002', // sta
        '18 04', // cipher = CIPHER_CCMP_128
        // key_id 0: not written
        '2a 10 11111111111111111111111111111111', // key
      ].join('').replaceAll(' ', ''),
      'hex',
    );
    assert.equal(bytes.toString('hex'), want.toString('hex'));
  });

  void it('StationAssociated keeps the wire fields of agent_link.proto (bytes one field per line)', () => {
    const body = encodeEvent({ type: 'associated', bssid, sta, rsne: Buffer.from('3002', 'hex'), reassociation: true, previousBssid: Buffer.from('02a100000009', 'hex') });
    const bytes = Buffer.from(AgentMessage.encode({ seq: 2n, body }).finish());
    const want = [
      '08 02', // seq = 2
      '1a 1e', // station_associated (field 3), 30 octets
      '0a 06 02a100000001', // bssid
      '12 06 02b200000002', // sta
      '1a 02 3002', // rsne
      '20 01', // reassociation
      '2a 06 02a100000009', // previous_bssid
    ].join('').replaceAll(' ', '');
    assert.equal(bytes.toString('hex'), want);
  });

  const CIPHERS: { desc: string; selector: number; wire: Cipher; back: number }[] = [
    { desc: 'CCMP-128', selector: 0x000fac04, wire: Cipher.CIPHER_CCMP_128, back: 0x000fac04 },
    { desc: 'GCMP-128', selector: 0x000fac08, wire: Cipher.CIPHER_GCMP_128, back: 0x000fac08 },
    { desc: 'GCMP-256', selector: 0x000fac09, wire: Cipher.CIPHER_GCMP_256, back: 0x000fac09 },
    { desc: 'CCMP-256', selector: 0x000fac0a, wire: Cipher.CIPHER_CCMP_256, back: 0x000fac0a },
    { desc: 'a suite type the enum does not name (open enum)', selector: 0x000fac02, wire: 2 as Cipher, back: 0x000fac02 },
    { desc: 'a vendor OUI: unspecified', selector: 0x00506f01, wire: Cipher.CIPHER_UNSPECIFIED, back: 0 },
    { desc: 'no selector', selector: 0, wire: Cipher.CIPHER_UNSPECIFIED, back: 0 },
  ];
  for (const t of CIPHERS) {
    void it(`cipher ${t.desc}`, () => {
      assert.equal(cipherToWire(t.selector), t.wire);
      assert.equal(cipherFromWire(t.wire), t.back);
    });
  }

  void it('cipher values no suite type has come back as 0 (drivers refuse them)', () => {
    for (const c of [Cipher.UNRECOGNIZED, 256, 1 << 20]) assert.equal(cipherFromWire(c as Cipher), 0);
  });

  void it('previous_bssid that is not 6 octets names no BSS', () => {
    for (const len of [1, 5, 7]) {
      const e = decodeEvent({ $case: 'stationAssociated', value: { bssid, sta, rsne, reassociation: true, previousBssid: Buffer.alloc(len), rsnxe: Buffer.alloc(0) } });
      assert.equal(e?.type === 'associated' && e.previousBssid, undefined, `${len} octets`);
    }
  });

  void it('the bodies that are no event or command decode to undefined', () => {
    assert.equal(decodeEvent({ $case: 'txStatus', value: { commandSeq: 1n, acked: true } }), undefined);
    assert.equal(decodeEvent({ $case: 'commandResult', value: { commandSeq: 1n, ok: true, error: '' } }), undefined);
    assert.equal(decodeEvent({ $case: 'hello', value: Hello.fromPartial({}) }), undefined);
    assert.equal(decodeCommand({ $case: 'welcome', value: { sessionId: 's', settings: undefined } }), undefined);
  });

  void it('Hello round trip over the wire: BSSes (with and without interface MAC) and the station table', () => {
    const h: AgentHello = {
      agentId: 'ap-1',
      softwareVersion: 'airlock-edge-agent/test',
      bsses: [
        { bssid, ssid: Buffer.from('airlock'), rsne, wired: false, interfaceMac: Buffer.from('02a1000000ff', 'hex'), rsnxe: Buffer.from('f40120', 'hex'), beaconProtection: true },
        { bssid: Buffer.from('0180c2000003', 'hex'), ssid: Buffer.from('port'), rsne: Buffer.alloc(0), wired: true, interfaceMac: undefined, rsnxe: undefined, beaconProtection: false },
      ],
      stations: [
        { bssid, sta, rsne, portAuthorized: true, pairwiseKeyInstalled: true, vlanId: 7, rsnxe: undefined },
        { bssid, sta, rsne, portAuthorized: false, pairwiseKeyInstalled: false, vlanId: 0, rsnxe: Buffer.from('f40120', 'hex') },
      ],
      reportsTxStatus: true,
    };
    const back = decodeHello(Hello.decode(Hello.encode(encodeHello(h)).finish()));
    assert.deepEqual(back, h);
  });

  void it('a Hello interface_mac of a wrong length is kept for the Hello check to refuse', () => {
    const h = decodeHello(Hello.fromPartial({ agentId: 'x', bsses: [{ bssid, ssid: Buffer.from('s'), rsne, interfaceMac: Buffer.alloc(3) }] }));
    assert.equal(h.bsses[0].interfaceMac?.length, 3);
  });
});
