import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AKM, EapType, type HandshakeRecord } from '@airlock/rsn';
import { FAILURE_TTL_MS, FailureBoard, GONE_TTL_MS, GoneAgents, MAX_FAILURES, MAX_GONE_AGENTS } from './failures.js';

const BSS = Buffer.from('02a100010001', 'hex');

function sta(n: number): Buffer {
  return Buffer.from([0x02, 0x5a, 0, 0, (n >> 8) & 0xff, n & 0xff]);
}

function micRecord(): HandshakeRecord {
  return { bssid: '02:a1:00:01:00:01', akm: AKM.PSK, startedAt: 0, msg1Sent: 4, msg3Sent: 0, micFailures: 3, anonceFp: 'ab', result: 'mic_failure', diagnosis: { cause: 'psk-mismatch', text: "PSK mismatch: no passphrase configured verifies msg 2/4 — the station's passphrase is wrong", aaAnnounced: '02:a1:00:01:00:01', anonceFp: 'ab', snonceFp: 'cd' } };
}

void describe('FailureBoard', () => {
  void it('groups failed handshakes by BSS and cause, in words with the diagnosis', () => {
    const b = new FailureBoard();
    const at = (n: number) => ({ bssid: BSS, sta: sta(n), agentId: 'ap-1', result: 'mic_failure' as const, detail: 'msg 1/4 sent 4 times, every msg 2/4 failed its MIC' });
    b.record(at(1), micRecord(), 1000);
    b.record(at(2), micRecord(), 2000);
    b.record({ bssid: BSS, sta: sta(3), agentId: 'ap-1', result: 'success', detail: '' }, undefined, 2500);
    const rejected = { ...micRecord(), result: 'rejected' as const, micFailures: 0, diagnosis: undefined, auth: { identity: 'bob', method: EapType.Peap, rounds: [], roundsTotal: 3, result: 'reject' as const, pmksaCached: false, vlanId: 0, sessionTimeoutS: 0 } };
    b.record({ bssid: BSS, sta: sta(4), agentId: 'ap-1', result: 'rejected', detail: '802.1X: Access-Reject' }, rejected, 3000);
    const list = b.list(3000);
    assert.equal(list.length, 2);
    assert.equal(list[0].text, '1 802.1X authentication failed on BSS 02:a1:00:01:00:01 (1 station, last 02:5a:00:00:00:04): Access-Reject; last identity "bob" (PEAP)');
    assert.equal(list[1].text, "6 MIC failures in msg 2/4 on BSS 02:a1:00:01:00:01 (2 stations, last 02:5a:00:00:00:02), 2 handshakes failed: PSK mismatch: no passphrase configured verifies msg 2/4 — the station's passphrase is wrong");
    assert.deepEqual([list[1].cause, list[1].handshakes, list[1].micFailures, list[1].firstAtUnixMs, list[1].lastAtUnixMs], ['psk-mismatch', 2, 6, 1000, 2000]);
  });

  void it('is bounded (the least recently seen group goes) and forgets a group FAILURE_TTL_MS after its last failure', () => {
    const b = new FailureBoard();
    for (let i = 0; i < MAX_FAILURES + 10; i++) b.record({ bssid: Buffer.from([2, 0, 0, 0, i >> 8, i & 0xff]), sta: sta(i), agentId: 'ap-9', result: 'timeout', detail: 'msg 1/4 sent 4 times, no valid answer' }, undefined, 1000 + i);
    const list = b.list(2000);
    assert.equal(list.length, MAX_FAILURES);
    assert.equal(list.at(-1)?.bssid, '02:00:00:00:00:0a', 'the oldest ten went');
    assert.equal(list[0].text, '1 handshake timed out on BSS 02:00:00:00:00:49 (1 station, last 02:5a:00:00:00:49): msg 1/4 sent 4 times, no valid answer');
    assert.equal(b.list(1000 + MAX_FAILURES + 10 + FAILURE_TTL_MS).length, 0);
  });
});

void describe('GoneAgents', () => {
  void it('lists the most recent first, forgets an agent that came back, is bounded and expires', () => {
    const g = new GoneAgents();
    g.add({ agentId: 'ap-1', bssids: ['02:a1:00:01:00:01'], goneAtUnixMs: 1000, reason: 'stream ended' }, 1000);
    g.add({ agentId: 'ap-2', bssids: [], goneAtUnixMs: 2000, reason: 'stream ended' }, 2000);
    assert.deepEqual(g.list(2000).map((a) => a.agentId), ['ap-2', 'ap-1']);
    g.back('ap-2');
    assert.deepEqual(g.list(2000).map((a) => a.agentId), ['ap-1']);
    for (let i = 0; i < MAX_GONE_AGENTS + 5; i++) g.add({ agentId: `x-${i}`, bssids: [], goneAtUnixMs: 3000 + i, reason: 'r' }, 3000 + i);
    assert.equal(g.list(4000).length, MAX_GONE_AGENTS);
    assert.equal(g.list(4000 + GONE_TTL_MS).length, 0);
  });
});
