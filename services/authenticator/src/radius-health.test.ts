import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RadiusServerState } from '@airlock/radius';
import { ALIVE_MESSAGE, DEAD_MESSAGE, RadiusHealth, radiusDegradation } from './radius-health.js';

const SERVERS = [
  { name: 'rad-a', host: '10.0.0.1', authPort: 1812 },
  { name: 'rad-b', host: 'fd00::2', authPort: 11812 },
];

/** The client's state of one server (RadiusClient.serverStates()), alive since 0 unless told. */
function state(name: string, s: Partial<RadiusServerState> = {}): RadiusServerState {
  return { name, alive: true, sinceMs: 0, inFlight: 0, sockets: 1, timeouts: 0, unansweredWhileDead: { requests: 0, probes: 0 }, ...s };
}

/** The client's clock is 1000 ms behind the wall clock here. */
const wall = (ms: number): number => ms + 1000;

void test("the snapshot is the client's state with the address, on the wall clock; unknown servers are ignored", () => {
  const h = new RadiusHealth(SERVERS);
  h.onResult({ server: 'not-configured', code: 'timeout', kind: 'access' }, 2000);
  assert.equal(h.onState('not-configured', false, 0, [state('rad-a'), state('rad-b')]), undefined);
  assert.deepEqual(h.snapshot([state('rad-a', { inFlight: 3, lastRttMs: 16, srttMs: 9, timeouts: 2 }), state('rad-b', { alive: false, sinceMs: 50 })], wall), [
    { name: 'rad-a', address: '10.0.0.1:1812', alive: true, sinceUnixMs: 1000, lastRttMs: 16, srttMs: 9, timeouts: 2, inFlight: 3 },
    { name: 'rad-b', address: '[fd00::2]:11812', alive: false, sinceUnixMs: 1050, timeouts: 0, inFlight: 0 },
  ]);
});

void test('a server marked dead: one warn line with the last error; alive again: one info line with what went unanswered meanwhile', () => {
  const h = new RadiusHealth(SERVERS);
  h.onResult({ server: 'rad-a', code: 'timeout', kind: 'access' }, 100);
  const dead = h.onState('rad-a', false, 100, [state('rad-a', { alive: false, sinceMs: 100 }), state('rad-b')]);
  assert.deepEqual(dead, { level: 'warn', msg: DEAD_MESSAGE, fields: { server: 'rad-a', address: '10.0.0.1:1812', lastError: 'no answer to an Access-Request (every retransmission)', aliveServers: 1, servers: 2 } });
  h.onResult({ server: 'rad-a', code: 'timeout', kind: 'status' }, 500);
  assert.equal(h.snapshot([state('rad-a', { alive: false })], wall)[0].lastError, 'Status-Server probe not answered');
  const back = h.onState('rad-a', true, 10_000, [state('rad-a', { sinceMs: 10_100, unansweredWhileDead: { requests: 200, probes: 1 } }), state('rad-b')]);
  assert.deepEqual(back, { level: 'info', msg: ALIVE_MESSAGE, fields: { server: 'rad-a', address: '10.0.0.1:1812', deadForS: 10, unansweredRequests: 200, unansweredProbes: 1, aliveServers: 2, servers: 2 } });
});

void test('last error: dropped responses in words (a wrong secret says so), socket errors; late duplicates are not errors', () => {
  const cases: { desc: string; feed: (h: RadiusHealth) => void; want: string | undefined }[] = [
    { desc: 'bad response authenticator', feed: (h) => h.onResult({ server: 'rad-a', code: 'invalid', reason: 'bad-response-authenticator', kind: 'access', source: { address: '10.0.0.1', port: 1812 } }, 5), want: 'response dropped: bad-response-authenticator (is the shared secret the same on both sides?) from 10.0.0.1:1812' },
    { desc: 'unsigned answer', feed: (h) => h.onResult({ server: 'rad-a', code: 'invalid', reason: 'missing-message-authenticator', kind: 'access' }, 5), want: 'response dropped: missing-message-authenticator (the server does not sign its answers: BlastRADIUS, FreeRADIUS >= 3.2.5 or require_message_authenticator)' },
    { desc: 'unknown id (a late duplicate)', feed: (h) => h.onResult({ server: 'rad-a', code: 'invalid', reason: 'unknown-id', source: { address: '10.0.0.1', port: 1812 } }, 5), want: undefined },
    { desc: 'an answer is not an error', feed: (h) => h.onResult({ server: 'rad-a', code: 2, rttMs: 3, kind: 'access' }, 5), want: undefined },
    { desc: 'socket error', feed: (h) => h.onSocketError('rad-a', Object.assign(new Error('send EHOSTUNREACH 10.0.0.1:1812'), { code: 'EHOSTUNREACH' }), 5), want: 'socket: EHOSTUNREACH' },
    { desc: 'socket error without a code, very long', feed: (h) => h.onSocketError('rad-a', new Error('x'.repeat(1000)), 5), want: `socket: ${'x'.repeat(192)}…(+808 bytes)` },
  ];
  for (const c of cases) {
    const h = new RadiusHealth(SERVERS);
    c.feed(h);
    const a = h.snapshot([state('rad-a')], wall)[0];
    assert.equal(a.lastError, c.want, c.desc);
    assert.equal(a.lastErrorUnixMs, c.want === undefined ? undefined : 5, c.desc);
  }
});

void test('degradation: none while all are alive; no failover when some are dead; 802.1X down when none answers', () => {
  const h = new RadiusHealth(SERVERS);
  assert.deepEqual(radiusDegradation(h.snapshot([state('rad-a'), state('rad-b')], wall), true), []);
  h.onResult({ server: 'rad-a', code: 'timeout', kind: 'access' }, 10);
  const some = radiusDegradation(h.snapshot([state('rad-a', { alive: false, sinceMs: 10 }), state('rad-b')], (ms) => ms), true);
  assert.equal(some.length, 1);
  assert.equal(some[0].component, 'radius');
  assert.equal(some[0].reason, '1 of 2 RADIUS servers dead');
  assert.deepEqual(some[0].servers.map((s) => [s.name, s.state, s.sinceUnixMs]), [['rad-a', 'dead', 10]]);
  const bothDead = h.snapshot([state('rad-a', { alive: false, sinceMs: 10 }), state('rad-b', { alive: false, sinceMs: 20 })], (ms) => ms);
  const none = radiusDegradation(bothDead, true);
  assert.deepEqual(none.map((d) => [d.component, d.reason, d.impact]), [['802.1x', 'no RADIUS server answers (2 of 2 dead)', '802.1X authentications fail; PSK joins and PMKSA-cached roams still work']]);
  assert.deepEqual(none[0].servers, [
    { name: 'rad-a', address: '10.0.0.1:1812', state: 'dead', sinceUnixMs: 10, lastError: 'no answer to an Access-Request (every retransmission)' },
    { name: 'rad-b', address: '[fd00::2]:11812', state: 'dead', sinceUnixMs: 20 },
  ]);
  assert.equal(radiusDegradation(bothDead, false)[0].impact, 'accounting records are lost; joins are not affected', 'no 802.1X network: only accounting');
  assert.deepEqual(radiusDegradation([], true), [], 'no server configured');
});
