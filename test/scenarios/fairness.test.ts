/**
 * Handshake admission shared out per agent and per BSS, and the per-BSS bounds on stations
 * that never finish (issue 13 item 1), on virtual time. The attacks of the issue in small:
 * an agent whose stations never answer (stalled, or spoofed MACs), an agent that goes away
 * with its handshakes in flight, a BSS flooded with new MACs, a station failing again and
 * again. In each, the healthy agent's stations get their msg 1/4 at once and join.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { admissionReserve, macKey, Reason } from '@airlock/rsn';
import { Air, mac } from './harness.js';

const BAD = mac(0xba, 1);
const BAD2 = mac(0xba, 2);
const GOOD = mac(0x60, 1);
const LIMIT = 64;

/** An air where `silent` stations never answer (frames from them are lost). */
function air(core: NonNullable<ConstructorParameters<typeof Air>[0]>['core'] = {}): { air: Air; silent: Set<string> } {
  const silent = new Set<string>();
  const a = new Air({ core: { maxHandshakesInFlight: LIMIT, admission: 'fixed', ...core } });
  a.intercept = (f) => (f.dir === 'up' && silent.has(macKey(f.sta)) ? 'drop' : 'deliver');
  return { air: a, silent };
}

/** `n` stations on `bssid` that associate now and never answer. */
function stalled(a: { air: Air; silent: Set<string> }, bssid: Buffer, n: number, prefix: number): Buffer[] {
  const stas = Array.from({ length: n }, (_v, i) => mac(prefix, i + 1));
  for (const s of stas) {
    a.silent.add(macKey(s));
    a.air.addStation({ mac: s }, bssid);
    a.air.associate(s);
  }
  return stas;
}

/** Healthy stations on `bssid`: associate them all now; returns them. */
function healthy(a: Air, bssid: Buffer, n: number, prefix: number): Buffer[] {
  const stas = Array.from({ length: n }, (_v, i) => mac(prefix, i + 1));
  for (const s of stas) a.addStation({ mac: s }, bssid);
  for (const s of stas) a.associate(s);
  return stas;
}

void describe('handshake admission shared out per agent and per BSS', () => {
  void it('a stalled agent holds at most the window less the reserve; another agent gets slots at once and joins', () => {
    const a = air();
    a.air.addBss({ bssid: BAD, agentId: 'ap-bad' });
    a.air.addBss({ bssid: GOOD, agentId: 'ap-good' });
    stalled(a, BAD, 1100, 0x70);
    const reserve = admissionReserve(LIMIT);
    assert.equal(a.air.core.handshakeLoad().inFlight, LIMIT - reserve, 'alone, the stalled agent used capacity nobody else wanted, less the reserve');
    const t0 = a.air.now;
    const good = healthy(a.air, GOOD, reserve * 2, 0x61);
    // The reserve's worth start at once; the rest get the next slots freed (ahead of the
    // stalled agent's 1,000 waiting stations, which are past their share).
    assert.equal(good.filter((s) => a.air.transmissions(s, 'msg1/4').length > 0).length, reserve);
    a.air.run({ until: t0 + 3000 });
    for (const s of good) assert.equal(a.air.core.station(s)?.phase, 'authorized', macKey(s));
    const joinMs = Math.max(...good.map((s) => a.air.transmissions(s, 'msg1/4')[0].t - t0));
    assert.ok(joinMs <= 1000, `the last healthy station got msg 1/4 ${joinMs} ms after associating (one handshake timeout of the stalled ones at most)`);
  });

  void it("an agent's stream ends: its handshakes give their slots back at once; another agent's waiting stations start", () => {
    const a = air();
    a.air.addBss({ bssid: BAD, agentId: 'ap-bad' });
    a.air.addBss({ bssid: GOOD, agentId: 'ap-good' });
    stalled(a, BAD, 1100, 0x70);
    const good = healthy(a.air, GOOD, 40, 0x61);
    const waitingBefore = good.filter((s) => a.air.transmissions(s, 'msg1/4').length === 0).length;
    assert.ok(waitingBefore > 0, 'some healthy stations wait for a slot');
    a.air.operator('detach ap-bad', (core, now) => core.detachBss(BAD, now));
    assert.equal(a.air.core.handshakeLoad().waiting, 0, 'nobody waits once the stalled agent is away');
    assert.ok(good.every((s) => a.air.transmissions(s, 'msg1/4').length > 0), 'every healthy station got its msg 1/4 when the agent left');
    a.air.run({ until: a.air.now + 500 });
    for (const s of good) assert.equal(a.air.core.station(s)?.phase, 'authorized', macKey(s));
    assert.equal(a.air.core.handshakeLoad().inFlight, 0, 'the away agent holds no slot');
  });

  void it("one BSS flooded with new MACs does not starve its agent's other BSS", () => {
    const a = air();
    a.air.addBss({ bssid: BAD, agentId: 'ap-1' });
    a.air.addBss({ bssid: BAD2, agentId: 'ap-1' });
    stalled(a, BAD, 500, 0x70);
    const t0 = a.air.now;
    const good = healthy(a.air, BAD2, 20, 0x61);
    a.air.run({ until: t0 + 3000 });
    for (const s of good) assert.equal(a.air.core.station(s)?.phase, 'authorized', macKey(s));
    assert.ok(Math.max(...good.map((s) => a.air.transmissions(s, 'msg1/4')[0].t - t0)) <= 1000);
  });

  void it('several busy agents share the window evenly; every station of each joins', () => {
    const a = air();
    const bsses = [mac(0xc0, 1), mac(0xc0, 2), mac(0xc0, 3)];
    bsses.forEach((b, i) => a.air.addBss({ bssid: b, agentId: `ap-${i + 1}` }));
    const groups = bsses.map((b, i) => healthy(a.air, b, 200, 0x80 + i));
    // Agent 1 came first and took what was free (less the reserve); the others have the
    // reserve and every slot freed goes to the agent holding fewest.
    a.air.run();
    for (const g of groups) for (const s of g) assert.equal(a.air.core.station(s)?.phase, 'authorized');
    assert.deepEqual(a.air.core.handshakeLoad(), { inFlight: 0, waiting: 0 });
  });
});

void describe('per-BSS cap on stations not yet authorized', () => {
  void it('past limits.max_pending_stations_per_bss an association is refused (reason 5, pending_limit); authorized stations free room', async () => {
    const a = air({ maxPendingPerBss: 3 });
    a.air.addBss({ bssid: BAD, agentId: 'ap-1' });
    a.air.addBss({ bssid: GOOD, agentId: 'ap-1' });
    const mute = stalled(a, BAD, 4, 0x70);
    assert.deepEqual(a.air.station(mute[3]).disconnects, [Reason.AP_FULL], 'the fourth is refused');
    assert.equal(a.air.core.station(mute[3]), undefined);
    assert.equal(await a.air.metric('airlock_frames_dropped_total{reason="pending_limit"}'), 1);
    // Another BSS of the same agent is not affected, and authorized stations do not count.
    const good = Array.from({ length: 6 }, (_v, i) => mac(0x61, i + 1));
    for (const s of good) {
      a.air.addStation({ mac: s }, GOOD);
      a.air.associate(s);
      a.air.run({ until: a.air.now + 20 });
    }
    assert.equal(good.filter((s) => a.air.core.station(s)?.phase === 'authorized').length, 6);
    // Once the mute ones time out, the BSS takes new stations again.
    a.air.run();
    const late = healthy(a.air, BAD, 1, 0x62);
    a.air.run();
    assert.equal(a.air.core.station(late[0])?.phase, 'authorized');
  });
});

void describe('backoff for stations that fail again and again', () => {
  void it('after 3 failed handshakes in a row a station is refused for 2 s, then 4 s; a success forgets it; another BSS is not affected', async () => {
    const a = air();
    a.air.addBss({ bssid: BAD, agentId: 'ap-1', passphrases: ['correct horse battery staple'] });
    a.air.addBss({ bssid: GOOD, agentId: 'ap-1', passphrases: ['correct horse battery staple'] });
    const sta = mac(0x70, 1);
    a.air.addStation({ mac: sta, passphrase: 'wrong horse battery staple' }, BAD);
    const attempt = (): void => {
      a.air.associate(sta);
      a.air.run();
    };
    for (let i = 0; i < 3; i++) attempt();
    assert.equal(await a.air.metric('airlock_handshakes_total{result="mic_failure"}'), 3);
    const disconnectsBefore = a.air.station(sta).disconnects.length;
    a.air.associate(sta);
    assert.deepEqual(a.air.station(sta).disconnects.slice(disconnectsBefore), [Reason.UNSPECIFIED], 'refused at once');
    assert.equal(a.air.transmissions(sta, 'msg1/4').length, 3 * 4, 'no handshake for the refused association (4 msg 1/4 per failed one)');
    assert.equal(await a.air.metric('airlock_frames_dropped_total{reason="mac_backoff"}'), 1);
    // The same station on another BSS: not refused (the table is per station and BSS).
    a.air.associate(sta, { bssid: GOOD });
    assert.ok(a.air.core.station(sta) !== undefined, 'accepted on the other BSS');
    a.air.leave(sta);
    // 2 s later it may try again; one more failure doubles the period.
    a.air.runFor(2000);
    attempt();
    assert.equal(await a.air.metric('airlock_handshakes_total{result="mic_failure"}'), 4);
    a.air.runFor(2500);
    a.air.associate(sta);
    assert.equal(await a.air.metric('airlock_frames_dropped_total{reason="mac_backoff"}'), 2, 'still refused 2.5 s later (4 s now)');
    a.air.runFor(4000);
    // Now with the right passphrase: it joins, and the table forgets it.
    a.air.station(sta).spec.passphrase = 'correct horse battery staple';
    attempt();
    assert.equal(a.air.core.station(sta)?.phase, 'authorized');
    a.air.leave(sta);
    a.air.associate(sta);
    a.air.run();
    assert.equal(a.air.core.station(sta)?.phase, 'authorized', 'not refused after the success');
    assert.equal(await a.air.metric('airlock_frames_dropped_total{reason="mac_backoff"}'), 2);
  });
});
