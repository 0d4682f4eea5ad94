import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALIVE_MESSAGE, DEAD_MESSAGE, RadiusHealth, radiusDegradation } from './radius-health.js';

const SERVERS = [
  { name: 'rad-a', host: '10.0.0.1', authPort: 1812 },
  { name: 'rad-b', host: 'fd00::2', authPort: 11812 },
];

void test('every server starts alive at the start time, with its address; unknown servers are ignored', () => {
  const h = new RadiusHealth(SERVERS, 1000);
  h.onResult({ server: 'not-configured', code: 'timeout', kind: 'access' }, 2000);
  assert.equal(h.onState('not-configured', false, 2000), undefined);
  assert.deepEqual(h.snapshot((n) => (n === 'rad-a' ? 3 : 0)), [
    { name: 'rad-a', address: '10.0.0.1:1812', alive: true, sinceUnixMs: 1000, timeouts: 0, inFlight: 3 },
    { name: 'rad-b', address: '[fd00::2]:11812', alive: true, sinceUnixMs: 1000, timeouts: 0, inFlight: 0 },
  ]);
});

void test('RTT: the last one, and smoothed with gain 1/8 (RFC 6298 SRTT)', () => {
  const h = new RadiusHealth(SERVERS, 0);
  h.onResult({ server: 'rad-a', code: 2, rttMs: 8, kind: 'access' }, 1);
  assert.equal(h.snapshot()[0].srttMs, 8, 'the first sample sets it');
  h.onResult({ server: 'rad-a', code: 11, rttMs: 16, kind: 'access' }, 2);
  const a = h.snapshot()[0];
  assert.equal(a.lastRttMs, 16);
  assert.equal(a.srttMs, 9);
});

void test('many unanswered requests to a dead server: one warn line at the change, one info line when back, counts in between', () => {
  const h = new RadiusHealth(SERVERS, 0);
  h.onResult({ server: 'rad-a', code: 'timeout', kind: 'access' }, 100);
  const dead = h.onState('rad-a', false, 100);
  assert.deepEqual(dead, { level: 'warn', msg: DEAD_MESSAGE, fields: { server: 'rad-a', address: '10.0.0.1:1812', lastError: 'no answer to an Access-Request (every retransmission)', aliveServers: 1, servers: 2 } });
  const lines = [];
  for (let i = 0; i < 200; i++) {
    h.onResult({ server: 'rad-a', code: 'timeout', kind: i % 2 === 0 ? 'access' : 'accounting' }, 200 + i);
    const l = h.onState('rad-a', false, 200 + i); // the client says dead again: no line
    if (l !== undefined) lines.push(l);
  }
  h.onResult({ server: 'rad-a', code: 'timeout', kind: 'status' }, 500);
  assert.deepEqual(lines, []);
  assert.equal(h.snapshot()[0].timeouts, 201);
  assert.equal(h.snapshot()[0].lastError, 'Status-Server probe not answered');
  const back = h.onState('rad-a', true, 10_100);
  assert.deepEqual(back, { level: 'info', msg: ALIVE_MESSAGE, fields: { server: 'rad-a', address: '10.0.0.1:1812', deadForS: 10, unansweredRequests: 200, unansweredProbes: 1, aliveServers: 2, servers: 2 } });
  assert.equal(h.onState('rad-a', true, 10_200), undefined, 'alive again: no second line');
  assert.equal(h.snapshot()[0].sinceUnixMs, 10_100);
});

void test('last error: dropped responses in words (a wrong secret says so), socket errors; late duplicates are not errors', () => {
  const cases: { desc: string; feed: (h: RadiusHealth) => void; want: string | undefined }[] = [
    { desc: 'bad response authenticator', feed: (h) => h.onResult({ server: 'rad-a', code: 'invalid', reason: 'bad-response-authenticator', kind: 'access', source: { address: '10.0.0.1', port: 1812 } }, 5), want: 'response dropped: bad-response-authenticator (is the shared secret the same on both sides?) from 10.0.0.1:1812' },
    { desc: 'unsigned answer', feed: (h) => h.onResult({ server: 'rad-a', code: 'invalid', reason: 'missing-message-authenticator', kind: 'access' }, 5), want: 'response dropped: missing-message-authenticator (the server does not sign its answers: BlastRADIUS, FreeRADIUS >= 3.2.5 or require_message_authenticator)' },
    { desc: 'unknown id (a late duplicate)', feed: (h) => h.onResult({ server: 'rad-a', code: 'invalid', reason: 'unknown-id', source: { address: '10.0.0.1', port: 1812 } }, 5), want: undefined },
    { desc: 'socket error', feed: (h) => h.onSocketError('rad-a', Object.assign(new Error('send EHOSTUNREACH 10.0.0.1:1812'), { code: 'EHOSTUNREACH' }), 5), want: 'socket: EHOSTUNREACH' },
    { desc: 'socket error without a code, very long', feed: (h) => h.onSocketError('rad-a', new Error('x'.repeat(1000)), 5), want: `socket: ${'x'.repeat(192)}…(+808 bytes)` },
  ];
  for (const c of cases) {
    const h = new RadiusHealth(SERVERS, 0);
    c.feed(h);
    const a = h.snapshot()[0];
    assert.equal(a.lastError, c.want, c.desc);
    assert.equal(a.lastErrorUnixMs, c.want === undefined ? undefined : 5, c.desc);
  }
});

void test('degradation: none while all are alive; no failover when some are dead; 802.1X down when none answers', () => {
  const h = new RadiusHealth(SERVERS, 0);
  assert.deepEqual(radiusDegradation(h.snapshot(), true), []);
  h.onResult({ server: 'rad-a', code: 'timeout', kind: 'access' }, 10);
  h.onState('rad-a', false, 10);
  const some = radiusDegradation(h.snapshot(), true);
  assert.equal(some.length, 1);
  assert.equal(some[0].component, 'radius');
  assert.equal(some[0].reason, '1 of 2 RADIUS servers dead');
  assert.deepEqual(some[0].servers.map((s) => [s.name, s.state, s.sinceUnixMs]), [['rad-a', 'dead', 10]]);
  h.onState('rad-b', false, 20);
  const none = radiusDegradation(h.snapshot(), true);
  assert.deepEqual(none.map((d) => [d.component, d.reason, d.impact]), [['802.1x', 'no RADIUS server answers (2 of 2 dead)', '802.1X authentications fail; PSK joins and PMKSA-cached roams still work']]);
  assert.deepEqual(none[0].servers, [
    { name: 'rad-a', address: '10.0.0.1:1812', state: 'dead', sinceUnixMs: 10, lastError: 'no answer to an Access-Request (every retransmission)' },
    { name: 'rad-b', address: '[fd00::2]:11812', state: 'dead', sinceUnixMs: 20 },
  ]);
  assert.equal(radiusDegradation(h.snapshot(), false)[0].impact, 'accounting records are lost; joins are not affected', 'no 802.1X network: only accounting');
  assert.deepEqual(radiusDegradation([], true), [], 'no server configured');
});
