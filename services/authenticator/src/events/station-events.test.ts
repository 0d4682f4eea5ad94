import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { AKM, EapType, type AuthRecord, type Report } from '@airlock/rsn';
import { createLogger } from '../logging.js';
import { StationEvents } from './station-events.js';
import type { EventItem } from './event-journal.js';

const BSS = Buffer.from('02a100010001', 'hex');
const BSS2 = Buffer.from('02a100010002', 'hex');

function sta(n: number): Buffer {
  return Buffer.from([0x02, 0x5a, 0, 0, (n >> 8) & 0xff, n & 0xff]);
}

/** A real logger writing JSON lines into `lines`. */
function capture(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination: dest }) };
}

const TTLS: AuthRecord = { identity: 'alice\u001b[2J\u202e', method: EapType.Ttls, rounds: [{ server: 'radius-1', rttMs: 1.5 }], roundsTotal: 1, result: 'accept', pmksaCached: false, vlanId: 10, sessionTimeoutS: 3600 };

void describe('StationEvents', () => {
  void it('connected, EAP success and disconnected in words: one info line and one item each', async () => {
    const { lines, logger } = capture();
    const items: EventItem[] = [];
    const ev = new StationEvents({ logger, sink: (i) => items.push(i), wallNow: () => 1_700_000_000_000.5 });
    const reports: Report[] = [
      { kind: 'eap', bssid: BSS, sta: sta(1), result: 'accept', detail: 'Access-Accept', agentId: 'ap-1', auth: TTLS },
      { kind: 'joined', bssid: BSS, sta: sta(1), akm: AKM.IEEE8021X, joinMs: 41.234, agentId: 'ap-1', vlanId: 10, auth: TTLS },
      { kind: 'station-left', bssid: BSS, sta: sta(1), agentId: 'ap-1', akm: AKM.IEEE8021X, reason: 8, initiator: 'station', detail: '', wasAuthorized: true, handshake: undefined },
      { kind: 'handshake', bssid: BSS, sta: sta(1), result: 'success', akm: AKM.IEEE8021X, detail: '' },
    ];
    for (const r of reports) ev.report(r);
    ev.close();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(items.map((i) => (i.$case === 'event' ? i.value.kind : 'dropped')), ['eap-success', 'connected', 'disconnected']);
    const [success, connected, gone] = items.map((i) => (i.$case === 'event' ? i.value : undefined));
    assert.equal(success?.identity, 'alice\u001b[2J\u202e', 'the event keeps the identity as sent (the CLI escapes it)');
    assert.equal(success?.eapMethod, 'EAP-TTLS');
    assert.equal(success?.detail, 'Access-Accept (RADIUS server radius-1)');
    assert.equal(success?.atUnixMs, 1_700_000_000_000n);
    assert.deepEqual([connected?.akm, connected?.vlanId, connected?.joinMs, connected?.bssid, connected?.sta], ['8021x', 10, 41.23, '02:a1:00:01:00:01', '02:5a:00:00:00:01']);
    assert.deepEqual([gone?.reason, gone?.reasonText, gone?.initiator], [8, 'reason 8 (station is leaving (or has left) the BSS)', 'station']);
    assert.deepEqual(lines.map((l) => [l.level, l.msg, l.agent, l.bssid, l.sta]), [
      [30, 'station EAP success', 'ap-1', '02:a1:00:01:00:01', '02:5a:00:00:00:01'],
      [30, 'station connected', 'ap-1', '02:a1:00:01:00:01', '02:5a:00:00:00:01'],
      [30, 'station disconnected', 'ap-1', '02:a1:00:01:00:01', '02:5a:00:00:00:01'],
    ]);
    assert.equal(lines[0].identity, 'alice\\x1b[2J\\u202e', 'the log line escapes the identity\'s controls');
    assert.equal(lines[0].method, 'EAP-TTLS');
    assert.equal(lines[2].reasonText, 'reason 8 (station is leaving (or has left) the BSS)');
  });

  void it('a wrong passphrase: the disconnect carries the handshake detail and its diagnosis', () => {
    const { logger } = capture();
    const items: EventItem[] = [];
    const ev = new StationEvents({ logger, sink: (i) => items.push(i) });
    ev.report({
      kind: 'station-left', bssid: BSS, sta: sta(2), agentId: 'ap-1', akm: AKM.PSK, reason: 15, initiator: 'authenticator', detail: 'msg 1/4 sent 4 times, every msg 2/4 failed its MIC', wasAuthorized: false,
      handshake: { bssid: '02:a1:00:01:00:01', akm: AKM.PSK, startedAt: 0, msg1Sent: 4, msg3Sent: 0, micFailures: 4, anonceFp: 'ab', result: 'mic_failure', diagnosis: { cause: 'psk-mismatch', text: "PSK mismatch: the station's passphrase is wrong", aaAnnounced: '02:a1:00:01:00:01', anonceFp: 'ab', snonceFp: 'cd' } },
    });
    ev.close();
    const e = items[0].$case === 'event' ? items[0].value : undefined;
    assert.equal(e?.detail, "msg 1/4 sent 4 times, every msg 2/4 failed its MIC: PSK mismatch: the station's passphrase is wrong");
    assert.equal(e?.reasonText, 'reason 15 (4-way handshake timeout)');
  });

  void it('rate-limited per BSS: a flooding BSS loses its own events, counted in one notice; another BSS is not touched', () => {
    const { lines, logger } = capture();
    const items: EventItem[] = [];
    let suppressed = 0;
    const now = 0;
    const ev = new StationEvents({ logger, sink: (i) => items.push(i), now: () => now, onSuppressed: () => suppressed++, limits: { perBss: 5, perAgent: 1000, total: 1000 } });
    const left = (bssid: Buffer, n: number): Report => ({ kind: 'station-left', bssid, sta: sta(n), agentId: 'ap-1', akm: AKM.PSK, reason: 3, initiator: 'station', detail: '', wasAuthorized: true, handshake: undefined });
    for (let i = 0; i < 50; i++) ev.report(left(BSS, i));
    for (let i = 0; i < 3; i++) ev.report(left(BSS2, 100 + i));
    assert.equal(suppressed, 45);
    ev.close();
    const kinds = items.map((i) => (i.$case === 'event' ? i.value.bssid : `dropped ${i.value.count} ${i.value.bssid} ${i.value.reason}`));
    assert.deepEqual(kinds, [...Array<string>(5).fill('02:a1:00:01:00:01'), ...Array<string>(3).fill('02:a1:00:01:00:02'), 'dropped 45 02:a1:00:01:00:01 rate limit']);
    assert.equal(lines.filter((l) => l.msg === 'station disconnected').length, 8);
    assert.ok(lines.some((l) => l.level === 40 && l.suppressed === 45 && l.bssid === '02:a1:00:01:00:01'));
  });

  void it('long strings from remote input are truncated', () => {
    const { logger } = capture();
    const items: EventItem[] = [];
    const ev = new StationEvents({ logger, sink: (i) => items.push(i) });
    ev.report({ kind: 'eap', bssid: BSS, sta: sta(3), result: 'reject', detail: 'Access-Reject', agentId: 'x'.repeat(500), auth: { ...TTLS, identity: 'y'.repeat(5000) } });
    ev.close();
    const e = items[0].$case === 'event' ? items[0].value : undefined;
    assert.ok(e !== undefined && e.agentId.length < 160 && e.identity.length < 300);
    assert.equal(e.kind, 'eap-failure');
  });
});
