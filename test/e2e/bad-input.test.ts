/**
 * Hostile AgentLink input, end to end over real gRPC on 127.0.0.1 (DESIGN.md "Wire
 * protocol", "Security": all input is hostile). While a healthy sim agent's stations join,
 * a raw agent breaks the stream protocol (seq gaps and duplicates, no Hello first, bad
 * Hellos, another agent's BSSID) — each ends its stream with the status the design names —
 * and, on a welcomed stream, sends malformed and misaddressed events: each is dropped and
 * counted under its reason, the stream stays open and keeps working, and the healthy
 * agent never notices.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { ControllerMessage, Hello } from '@airlock/proto';
import type { RunningAuthenticator } from '@airlock/authenticator';
import { simBssRsne, type EdgeAgent, type SimDriver } from '@airlock/edge-agent';
import {
  AKM,
  CIPHER,
  decodeEapol,
  decodeEapolKey,
  EAPOL_HEADER_LENGTH,
  EAPOL_KEY_FIXED_LENGTH,
  encodeEapol,
  encodeEapolKeyFrame,
  EapolType,
  formatMac,
  KeyInfo,
  newEapolKey,
  pbkdf2Psk,
} from '@airlock/rsn';
import { Supplicant } from '@airlock/supplicant';
import { bssInfo, RawAgent, type AgentBody } from '../support/raw-agent.js';
import { agentCredentials } from '../support/test-pki.js';
import { fetchMetrics, startSimAgents, startTestAuthenticator, testConfig, TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

const HEALTHY_STATIONS = 10;
const MAX_FRAME_BYTES = 4096;
const RSNE = simBssRsne(AKM.PSK);
const SSID = Buffer.from(TEST_SSID, 'utf8');
/** The healthy agent (ap-1) serves 02:a1:00:01:00:01 and :02 (sim-topology); its stations are 02:5a:00:01:00:xx. */
const HEALTHY_BSSID = Buffer.from('02a100010001', 'hex');
const HEALTHY_STA = Buffer.from('025a00010001', 'hex');
/** BSSIDs and stations of the raw agents: never the healthy agent's. */
const rawBssid = (n: number): Buffer => Buffer.from([0x02, 0xa1, 0x00, 0x99, 0x00, n]);
const rawSta = (n: number): Buffer => Buffer.from([0x02, 0x5b, 0x00, 0x99, 0x00, n]);
const NOBODYS_BSSID = Buffer.from('02a1deadbeef', 'hex');

/** A msg 2/4-shaped EAPOL-Key frame from a station (MIC set, pairwise, RSNE as key data; the MIC itself is junk). */
function stationKeyFrame(): Buffer {
  return encodeEapolKeyFrame(newEapolKey({ keyInfo: 2 | KeyInfo.PAIRWISE | KeyInfo.MIC, replayCounter: 1n, nonce: randomBytes(32), mic: randomBytes(16), keyData: RSNE }), 1);
}

/** `frame` with its Key Data Length field (the last 2 octets before Key Data) set to `n`. */
function withKeyDataLength(frame: Buffer, n: number): Buffer {
  const out = Buffer.from(frame);
  out.writeUInt16BE(n, EAPOL_HEADER_LENGTH + EAPOL_KEY_FIXED_LENGTH - 2);
  return out;
}

const metricKey = (name: string, label: string, value: string): string => `${name}{${label}="${value}"}`;

void describe('hostile AgentLink input while a healthy agent joins', () => {
  let auth: RunningAuthenticator;
  let agents: EdgeAgent[] = [];
  let drivers: SimDriver[] = [];
  const raws: RawAgent[] = [];
  const target = (): string => `127.0.0.1:${auth.grpcPort}`;
  /** A raw client with the test certificate of `identity` (mTLS). */
  const openRaw = (identity: string): RawAgent => {
    const r = new RawAgent(target(), { credentials: agentCredentials(identity) });
    raws.push(r);
    return r;
  };
  const metric = async (key: string): Promise<number> => (await fetchMetrics(auth)).get(key) ?? 0;
  /** Values of every series of `name` (labels as printed). */
  const series = async (name: string): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    for (const [k, v] of await fetchMetrics(auth)) if (k.startsWith(`${name}{`)) out.set(k, v);
    return out;
  };
  const isWelcome = (m: ControllerMessage): boolean => m.body?.$case === 'welcome';

  before(async () => {
    // The raw agent reports no TX status: a long first timeout keeps its msg 1/4 from being
    // retransmitted while a test looks at what it received.
    auth = await startTestAuthenticator(testConfig(undefined, (c) => {
      c.eapol.firstTimeoutNoTxStatusMs = 20_000;
      c.eapol.maxFrameBytes = MAX_FRAME_BYTES;
    }));
    // The healthy agent's stations join over 1.5 s: during the hostile traffic below.
    ({ agents, drivers } = await startSimAgents(auth, 1, HEALTHY_STATIONS, () => ({ behaviour: { joinSpreadMs: 1500 } })));
    assert.ok(await waitFor(() => agents[0].connected, 3000), 'the healthy agent is welcomed');
  });
  after(async () => {
    for (const r of raws) r.close();
    await Promise.all(agents.map((a) => a.stop()));
    await auth?.stop(500);
  });

  // ---- stream-level protocol errors: the stream ends ------------------------------------

  void it('a seq gap (3 after 1) ends the stream with FAILED_PRECONDITION naming the gap', async () => {
    const before = await metric(metricKey('airlock_agent_protocol_errors_total', 'reason', 'seq_gap'));
    const raw = openRaw('raw-1');
    raw.hello({ agentId: 'raw-1', bsses: [bssInfo({ bssid: rawBssid(1), ssid: SSID, rsne: RSNE })] }, 1n);
    await raw.nextMessage(isWelcome);
    raw.send({ $case: 'stationAssociated', value: { bssid: rawBssid(1), sta: rawSta(1), rsne: RSNE, reassociation: false, previousBssid: Buffer.alloc(0), rsnxe: Buffer.alloc(0) } }, 3n);
    const s = await raw.ended();
    assert.equal(s.codeName, 'FAILED_PRECONDITION');
    assert.equal(s.code, grpc.status.FAILED_PRECONDITION);
    assert.match(s.details, /sequence gap: expected seq 2, got 3/);
    assert.equal(await metric(metricKey('airlock_agent_protocol_errors_total', 'reason', 'seq_gap')), before + 1);
    // The event after the gap was not acted on: no msg 1/4 for the station.
    assert.ok(!raw.received.some((m) => m.body?.$case === 'transmitEapol'), 'no command for the out-of-sequence event');
    assert.equal(auth.service.core.station(rawSta(1)), undefined);
  });

  void it('a duplicate seq ends the stream with FAILED_PRECONDITION', async () => {
    const before = await metric(metricKey('airlock_agent_protocol_errors_total', 'reason', 'duplicate_seq'));
    const raw = openRaw('raw-2');
    raw.hello({ agentId: 'raw-2', bsses: [bssInfo({ bssid: rawBssid(2), ssid: SSID, rsne: RSNE })] }, 1n);
    await raw.nextMessage(isWelcome);
    const assoc: AgentBody = { $case: 'stationAssociated', value: { bssid: rawBssid(2), sta: rawSta(2), rsne: RSNE, reassociation: false, previousBssid: Buffer.alloc(0), rsnxe: Buffer.alloc(0) } };
    raw.send(assoc, 2n);
    raw.send(assoc, 2n);
    const s = await raw.ended();
    assert.equal(s.codeName, 'FAILED_PRECONDITION');
    assert.match(s.details, /duplicate sequence number: expected seq 3, got 2/);
    assert.equal(await metric(metricKey('airlock_agent_protocol_errors_total', 'reason', 'duplicate_seq')), before + 1);
  });

  void it('a first message that is not Hello ends the stream with FAILED_PRECONDITION', async () => {
    for (const [desc, body, named] of [
      ['StationAssociated first', { $case: 'stationAssociated', value: { bssid: rawBssid(3), sta: rawSta(3), rsne: RSNE, reassociation: false, previousBssid: Buffer.alloc(0), rsnxe: Buffer.alloc(0) } }, /first message must be Hello, got stationAssociated/],
      ['an empty message first', undefined, /first message must be Hello, got an empty message/],
    ] as const) {
      const before = await metric(metricKey('airlock_agent_protocol_errors_total', 'reason', 'no_hello'));
      const raw = openRaw('raw-15');
      raw.send(body, 1n);
      const s = await raw.ended();
      assert.equal(s.codeName, 'FAILED_PRECONDITION', desc);
      assert.match(s.details, named, desc);
      assert.deepEqual(raw.received, [], `${desc}: nothing was sent to it`);
      assert.equal(await metric(metricKey('airlock_agent_protocol_errors_total', 'reason', 'no_hello')), before + 1, desc);
    }
  });

  void it('a second Hello on a welcomed stream ends it with FAILED_PRECONDITION', async () => {
    const before = await metric(metricKey('airlock_agent_protocol_errors_total', 'reason', 'repeated_hello'));
    const raw = openRaw('raw-12');
    const hello = { agentId: 'raw-12', bsses: [bssInfo({ bssid: rawBssid(4), ssid: SSID, rsne: RSNE })] };
    raw.hello(hello);
    await raw.nextMessage(isWelcome);
    raw.hello(hello);
    const s = await raw.ended();
    assert.equal(s.codeName, 'FAILED_PRECONDITION');
    assert.match(s.details, /Hello may only be the first message/);
    assert.equal(await metric(metricKey('airlock_agent_protocol_errors_total', 'reason', 'repeated_hello')), before + 1);
  });

  void it('a bad Hello ends the stream with INVALID_ARGUMENT naming the field', async () => {
    const good = (n: number): Hello['bsses'][number] => bssInfo({ bssid: rawBssid(n), ssid: SSID, rsne: RSNE });
    const cases: { desc: string; hello: Pick<Hello, 'agentId' | 'bsses'>; named: RegExp }[] = [
      { desc: 'bssid of 5 bytes', hello: { agentId: 'raw-4', bsses: [bssInfo({ bssid: Buffer.from('02a100990a', 'hex'), ssid: SSID, rsne: RSNE })] }, named: /bsses\[0\]\.bssid must be 6 bytes, got 5/ },
      { desc: 'unknown SSID', hello: { agentId: 'raw-5', bsses: [bssInfo({ bssid: rawBssid(10), ssid: Buffer.from('not-served'), rsne: RSNE })] }, named: /bsses\[0\].*SSID "not-served" is not served/ },
      { desc: 'no BSS', hello: { agentId: 'raw-6', bsses: [] }, named: /announces no BSS/ },
      { desc: 'empty agent_id', hello: { agentId: '', bsses: [good(11)] }, named: /agent_id/ },
      { desc: 'empty SSID', hello: { agentId: 'raw-7', bsses: [bssInfo({ bssid: rawBssid(12), ssid: Buffer.alloc(0), rsne: RSNE })] }, named: /bsses\[0\].*ssid must be 1\.\.32 octets/ },
      { desc: 'interface_mac of 7 bytes', hello: { agentId: 'raw-8', bsses: [bssInfo({ bssid: rawBssid(13), ssid: SSID, rsne: RSNE, interfaceMac: Buffer.alloc(7, 2) })] }, named: /bsses\[0\].*interface_mac must be 6 bytes/ },
      { desc: 'RSNE that does not decode', hello: { agentId: 'raw-9', bsses: [bssInfo({ bssid: rawBssid(14), ssid: SSID, rsne: Buffer.from([0x30, 0x40, 0x01]) })] }, named: /bsses\[0\].*rsne is not a valid RSN element/ },
      { desc: 'the same BSSID twice', hello: { agentId: 'raw-10', bsses: [good(15), good(15)] }, named: /bsses\[1\].*announced twice/ },
    ];
    for (const c of cases) {
      const before = await metric(metricKey('airlock_agent_protocol_errors_total', 'reason', 'bad_hello'));
      const raw = openRaw(c.hello.agentId === '' ? 'raw-14' : c.hello.agentId);
      raw.hello(c.hello);
      const s = await raw.ended();
      assert.equal(s.codeName, 'INVALID_ARGUMENT', `${c.desc}: ${s.details}`);
      assert.match(s.details, c.named, c.desc);
      assert.ok(!raw.received.some(isWelcome), `${c.desc}: not welcomed`);
      assert.equal(await metric(metricKey('airlock_agent_protocol_errors_total', 'reason', 'bad_hello')), before + 1, c.desc);
    }
    assert.deepEqual(auth.service.agents().sort(), ['ap-1'], 'no refused agent is registered');
  });

  void it("a Hello claiming the healthy agent's BSSID is refused with PERMISSION_DENIED naming the owner", async () => {
    for (const [desc, bsses] of [
      ["only ap-1's BSSID", [bssInfo({ bssid: HEALTHY_BSSID, ssid: SSID, rsne: RSNE })]],
      ["its own BSSID, then ap-1's", [bssInfo({ bssid: rawBssid(20), ssid: SSID, rsne: RSNE }), bssInfo({ bssid: HEALTHY_BSSID, ssid: SSID, rsne: RSNE })]],
    ] as const) {
      const raw = openRaw('raw-13');
      raw.hello({ agentId: 'raw-13', bsses: [...bsses] });
      const s = await raw.ended();
      assert.equal(s.codeName, 'PERMISSION_DENIED', `${desc}: ${s.details}`);
      assert.ok(s.details.includes('ap-1'), `${desc}: names the owner: ${s.details}`);
      assert.ok(s.details.includes(formatMac(HEALTHY_BSSID)), `${desc}: names the BSSID: ${s.details}`);
      assert.ok(!raw.received.some(isWelcome), desc);
    }
    // Refused as a whole: the raw agent's own BSSID of the second Hello was not taken.
    const raw = openRaw('raw-3');
    raw.hello({ agentId: 'raw-3', bsses: [bssInfo({ bssid: rawBssid(20), ssid: SSID, rsne: RSNE })] });
    await raw.nextMessage(isWelcome);
    raw.close();
    assert.ok(agents[0].connected, 'the healthy agent keeps its stream');
    assert.equal(agents[0].counters.reconnects, 0);
  });

  // ---- event-level garbage on a welcomed stream: dropped, counted, stream open -----------

  void describe('after a good Hello', () => {
    const OWN = rawBssid(30);
    const S1 = rawSta(31); // associated; its frames get garbled, then it completes its handshake
    let raw: RawAgent;
    let msg1: ControllerMessage;

    before(async () => {
      raw = openRaw('raw-11');
      raw.hello({ agentId: 'raw-11', bsses: [bssInfo({ bssid: OWN, ssid: SSID, rsne: RSNE })], reportsTxStatus: false });
      await raw.nextMessage(isWelcome);
      raw.send({ $case: 'stationAssociated', value: { bssid: OWN, sta: S1, rsne: RSNE, reassociation: false, previousBssid: Buffer.alloc(0), rsnxe: Buffer.alloc(0) } });
      msg1 = await raw.nextMessage((m) => m.body?.$case === 'transmitEapol' && m.body.value.sta.equals(S1));
    });

    const key = stationKeyFrame();
    const eapol = (bssid: Buffer, sta: Buffer, frame: Buffer): AgentBody => ({ $case: 'eapolReceived', value: { bssid, sta, frame } });
    const cases: { desc: string; body: () => AgentBody | undefined; reason: string }[] = [
      { desc: 'EAPOL frame of 3 octets (truncated header)', body: () => eapol(OWN, S1, Buffer.from([0x01, 0x03, 0x00])), reason: 'malformed_eapol' },
      { desc: 'EAPOL frame cut short of its Packet Body Length', body: () => eapol(OWN, S1, key.subarray(0, 60)), reason: 'malformed_eapol' },
      { desc: 'empty EAPOL frame', body: () => eapol(OWN, S1, Buffer.alloc(0)), reason: 'malformed_eapol' },
      { desc: 'EAPOL-Key body shorter than 95 octets', body: () => eapol(OWN, S1, encodeEapol({ version: 1, type: EapolType.Key, body: key.subarray(EAPOL_HEADER_LENGTH, EAPOL_HEADER_LENGTH + 40) })), reason: 'malformed_eapol_key' },
      { desc: 'EAPOL-Key with Key Data Length beyond the body', body: () => eapol(OWN, S1, withKeyDataLength(key, RSNE.length + 50)), reason: 'malformed_eapol_key' },
      { desc: 'EAPOL-Key with Key Data Length 0xffff', body: () => eapol(OWN, S1, withKeyDataLength(key, 0xffff)), reason: 'malformed_eapol_key' },
      { desc: `oversized EAPOL frame (${MAX_FRAME_BYTES + 1} > eapol.max_frame_bytes)`, body: () => eapol(OWN, S1, Buffer.concat([key, Buffer.alloc(MAX_FRAME_BYTES + 1 - key.length)])), reason: 'oversized_frame' },
      {
        desc: 'EAPOL frame of exactly eapol.max_frame_bytes reaches the core (EAP packet on a PSK network)',
        body: () => eapol(OWN, S1, encodeEapol({ version: 1, type: EapolType.EapPacket, body: Buffer.alloc(MAX_FRAME_BYTES - EAPOL_HEADER_LENGTH) })),
        reason: 'unsupported_eapol_type',
      },
      { desc: "EAPOL on the healthy agent's BSSID", body: () => eapol(HEALTHY_BSSID, HEALTHY_STA, key), reason: 'unknown_bssid' },
      { desc: 'EAPOL on a BSSID nobody announced', body: () => eapol(NOBODYS_BSSID, S1, key), reason: 'unknown_bssid' },
      { desc: 'EAPOL from a station that never associated', body: () => eapol(OWN, rawSta(39), key), reason: 'unassociated_station' },
      { desc: 'EAPOL with a bssid of 5 bytes', body: () => eapol(OWN.subarray(0, 5), S1, key), reason: 'bad_mac' },
      { desc: 'EAPOL with a sta of 7 bytes', body: () => eapol(OWN, Buffer.concat([S1, Buffer.from([0])]), key), reason: 'bad_mac' },
      { desc: 'StationAssociated with an empty sta', body: () => ({ $case: 'stationAssociated', value: { bssid: OWN, sta: Buffer.alloc(0), rsne: RSNE, reassociation: false, previousBssid: Buffer.alloc(0), rsnxe: Buffer.alloc(0) } }), reason: 'bad_mac' },
      { desc: "StationAssociated on the healthy agent's BSSID", body: () => ({ $case: 'stationAssociated', value: { bssid: HEALTHY_BSSID, sta: rawSta(38), rsne: RSNE, reassociation: false, previousBssid: Buffer.alloc(0), rsnxe: Buffer.alloc(0) } }), reason: 'unknown_bssid' },
      { desc: 'StationAssociated with an RSNE over 257 octets', body: () => ({ $case: 'stationAssociated', value: { bssid: OWN, sta: rawSta(37), rsne: Buffer.alloc(300, 0x30), reassociation: false, previousBssid: Buffer.alloc(0), rsnxe: Buffer.alloc(0) } }), reason: 'oversized_rsne' },
      { desc: "StationDisassociated of the healthy agent's station", body: () => ({ $case: 'stationDisassociated', value: { bssid: HEALTHY_BSSID, sta: HEALTHY_STA, reason: 8, deauthentication: true, locallyGenerated: false } }), reason: 'unknown_bssid' },
      { desc: 'StationDisassociated of a station that never associated', body: () => ({ $case: 'stationDisassociated', value: { bssid: OWN, sta: rawSta(36), reason: 8, deauthentication: false, locallyGenerated: false } }), reason: 'unassociated_station' },
      { desc: 'TxStatus for a command seq never sent', body: () => ({ $case: 'txStatus', value: { commandSeq: 999_999n, acked: true } }), reason: 'unknown_command_seq' },
      { desc: 'a message without a body', body: () => undefined, reason: 'empty_message' },
    ];

    for (const c of cases) {
      void it(`${c.desc}: dropped and counted as ${c.reason}, the stream stays open`, async () => {
        const dropsBefore = await series('airlock_frames_dropped_total');
        const errorsBefore = await series('airlock_agent_protocol_errors_total');
        const receivedBefore = raw.received.length;
        const k = metricKey('airlock_frames_dropped_total', 'reason', c.reason);
        raw.send(c.body());
        const counted = await waitFor(async () => (await metric(k)) > (dropsBefore.get(k) ?? 0), 2000);
        assert.ok(counted, `${c.desc}: ${k} did not move; drops now ${JSON.stringify([...(await series('airlock_frames_dropped_total'))])}`);
        // Exactly one drop, under exactly this reason; no protocol error.
        const dropsAfter = await series('airlock_frames_dropped_total');
        for (const [name, v] of dropsAfter) assert.equal(v - (dropsBefore.get(name) ?? 0), name === k ? 1 : 0, `${c.desc}: ${name}`);
        assert.deepEqual(await series('airlock_agent_protocol_errors_total'), errorsBefore, `${c.desc}: not a protocol error`);
        assert.ok(raw.open, `${c.desc}: stream ended with ${raw.status?.codeName}: ${raw.status?.details}`);
        assert.equal(raw.received.length, receivedBefore, `${c.desc}: nothing is sent back`);
        // The station whose frames were garbled keeps its handshake state (a failure here
        // may come from this case or an earlier one that already changed it).
        const st = auth.service.core.station(S1);
        assert.equal(st?.ptkState, 'PTKSTART', `${c.desc}: S1 still waits for msg 2/4`);
        assert.equal(st?.handshake?.micFailures, 0, `${c.desc}: S1 has no MIC failure counted`);
      });
    }

    void it('the stream keeps working: a StationAssociated yields msg 1/4 with seq continuing', async () => {
      const S2 = rawSta(32);
      const last = raw.lastReceivedSeq;
      const from = raw.received.length;
      raw.send({ $case: 'stationAssociated', value: { bssid: OWN, sta: S2, rsne: RSNE, reassociation: false, previousBssid: Buffer.alloc(0), rsnxe: Buffer.alloc(0) } });
      const m = await raw.nextMessage((x) => x.body?.$case === 'transmitEapol', 3000, from);
      assert.equal(m.seq, last + 1n, 'controller seq continues without a gap');
      assert.equal(raw.received.length, from + 1, 'nothing else was sent in between');
      assert.ok(m.body?.$case === 'transmitEapol');
      const t = m.body.value;
      assert.ok(t.bssid.equals(OWN));
      assert.ok(t.sta.equals(S2));
      assert.equal(t.protected, false);
      const f = decodeEapol(t.frame);
      assert.ok(f.ok && f.value.type === EapolType.Key);
      const k = decodeEapolKey(f.value.body);
      assert.ok(k.ok);
      const info = k.value.keyInfo;
      assert.equal(info & (KeyInfo.PAIRWISE | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.INSTALL), KeyInfo.PAIRWISE | KeyInfo.ACK, 'msg 1/4: pairwise, ACK, no MIC');
      assert.ok(raw.open);
    });

    void it('the station whose frames were garbled still completes its 4-way handshake', async () => {
      assert.ok(msg1.body?.$case === 'transmitEapol');
      const sup = new Supplicant({
        spa: S1, aa: OWN, pmk: pbkdf2Psk(TEST_PASSPHRASE, SSID), akm: AKM.PSK,
        pairwiseCipher: CIPHER.CCMP_128, groupCipher: CIPHER.CCMP_128, assocRsne: RSNE, apRsne: RSNE, random: (n) => randomBytes(n),
      });
      const answer = (frame: Buffer): void => {
        const out = sup.receive(frame).filter((e) => e.type === 'transmit');
        assert.equal(out.length, 1, 'the supplicant answers');
        raw.send(eapol(OWN, S1, out[0].frame));
      };
      const forS1 = (c: string) => (m: ControllerMessage): boolean => m.body?.$case === c && (m.body.value as { sta?: Buffer }).sta?.equals(S1) === true;

      let from = raw.received.length;
      answer(msg1.body.value.frame); // msg 2/4
      const msg3 = await raw.nextMessage(forS1('transmitEapol'), 3000, from);
      assert.ok(msg3.body?.$case === 'transmitEapol');
      from = raw.received.length;
      answer(msg3.body.value.frame); // msg 4/4
      const install = await raw.nextMessage(forS1('installPairwiseKey'), 3000, from);
      assert.ok(install.body?.$case === 'installPairwiseKey');
      assert.ok(sup.ptk !== undefined && install.body.value.key.equals(sup.ptk.tk), 'the TK installed is the one the station derived');
      from = raw.received.length;
      raw.send({ $case: 'commandResult', value: { commandSeq: install.seq, ok: true, error: '' } });
      const port = await raw.nextMessage(forS1('setPortAuthorized'), 3000, from);
      assert.ok(port.body?.$case === 'setPortAuthorized' && port.body.value.authorized);
      raw.send({ $case: 'commandResult', value: { commandSeq: port.seq, ok: true, error: '' } });
      assert.ok(await waitFor(() => auth.service.core.station(S1)?.portAuthorized === true, 2000), 'S1 authorized');
      assert.equal(sup.state, 'established');
      const hs = auth.service.core.history(S1);
      assert.equal(hs.length, 1, 'one handshake: garbage never restarted it');
      assert.equal(hs[0].result, 'success');
      assert.equal(hs[0].msg1Sent, 1);
      assert.ok(raw.open);
    });
  });

  // ---- the healthy agent never noticed -------------------------------------------------

  void it("throughout, the healthy agent's stations all get authorized and the authenticator keeps serving", async () => {
    const ok = await waitFor(() => drivers[0].authorizedCount() === HEALTHY_STATIONS, 10_000);
    assert.ok(ok, `authorized: ${drivers[0].authorizedCount()}/${HEALTHY_STATIONS}`);
    assert.deepEqual(drivers[0].violations, []);
    for (const k of drivers[0].keyViews()) {
      assert.equal(k.state, 'authorized', k.sta);
      assert.ok(k.apTk && k.stationTk && k.apTk.equals(k.stationTk), `${k.sta}: TK equal on both sides`);
      const hs = auth.service.core.history(Buffer.from(k.sta.replaceAll(':', ''), 'hex'));
      assert.deepEqual(hs.map((h) => h.result), ['success'], `${k.sta}: one successful handshake`);
    }
    assert.equal(agents[0].counters.reconnects, 0, 'the healthy stream was never disturbed');
    assert.equal(agents[0].counters.eventsDropped, 0);
    assert.equal(agents[0].counters.commandsFailed, 0);
    const m = await fetchMetrics(auth);
    assert.equal(m.get('airlock_handshakes_total{result="mic_failure"}'), 0);
    assert.equal(m.get('airlock_handshakes_total{result="timeout"}'), 0);
    assert.ok((m.get('airlock_handshakes_total{result="success"}') ?? 0) >= HEALTHY_STATIONS);
    const res = await fetch(`http://127.0.0.1:${auth.httpPort}/healthz`);
    assert.equal(res.status, 200);
    await res.text();
    assert.ok(auth.service.agents().includes('ap-1'));
  });
});
