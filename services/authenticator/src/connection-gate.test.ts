import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import pino from 'pino';
import { Registry } from 'prom-client';
import { defaultConfig } from './config.js';
import { AgentLinkGate, agentLinkLimits, connectionSource, ConnectionTable, listenAgentLink, openFileLimit, type ConnectionLimits } from './connection-gate.js';
import { connectionMetrics, parsePrometheusText } from './metrics.js';

const LIMITS: ConnectionLimits = { maxConnections: 4, maxPending: 3, maxPendingPerSource: 2, handshakeTimeoutMs: 1000 };

// ---------------------------------------------------------------------------------------
// ConnectionTable on virtual time.

type Step = { admit: [key: string, source: string, now: number]; expect: string | undefined } | { established: string; expect: boolean } | { closed: string } | { expired: number; expect: string[] };

const TABLE_CASES: { desc: string; steps: Step[]; open: number; pending: number }[] = [
  {
    desc: 'per-source cap first: a third from one source is refused while the total has room',
    steps: [
      { admit: ['a1', 'A', 0], expect: undefined },
      { admit: ['a2', 'A', 0], expect: undefined },
      { admit: ['a3', 'A', 0], expect: 'source_pending' },
      { admit: ['b1', 'B', 0], expect: undefined },
    ],
    open: 3,
    pending: 3,
  },
  {
    desc: 'total pending cap: three sources under their own caps fill it',
    steps: [
      { admit: ['a1', 'A', 0], expect: undefined },
      { admit: ['b1', 'B', 0], expect: undefined },
      { admit: ['c1', 'C', 0], expect: undefined },
      { admit: ['d1', 'D', 0], expect: 'pending' },
    ],
    open: 3,
    pending: 3,
  },
  {
    desc: 'established connections leave the handshake caps and keep counting towards the connection cap',
    steps: [
      { admit: ['a1', 'A', 0], expect: undefined },
      { admit: ['a2', 'A', 0], expect: undefined },
      { established: 'a1', expect: true },
      { established: 'a2', expect: true },
      { admit: ['a3', 'A', 0], expect: undefined },
      { admit: ['a4', 'A', 0], expect: undefined },
      { admit: ['b1', 'B', 0], expect: 'connections' },
    ],
    open: 4,
    pending: 2,
  },
  {
    desc: 'a closed connection frees its place',
    steps: [
      { admit: ['a1', 'A', 0], expect: undefined },
      { admit: ['a2', 'A', 0], expect: undefined },
      { closed: 'a1' },
      { admit: ['a3', 'A', 0], expect: undefined },
      { closed: 'unknown' },
    ],
    open: 2,
    pending: 2,
  },
  {
    desc: 'deadlines expire oldest first, at accept + timeout, and an expired one cannot be established',
    steps: [
      { admit: ['a1', 'A', 0], expect: undefined },
      { admit: ['b1', 'B', 400], expect: undefined },
      { expired: 999, expect: [] },
      { expired: 1000, expect: ['a1'] },
      { established: 'a1', expect: false },
      { expired: 1400, expect: ['b1'] },
      { expired: 5000, expect: [] },
    ],
    open: 2,
    pending: 0,
  },
  {
    desc: 'an expired connection stops counting against its source but stays held until closed',
    steps: [
      { admit: ['a1', 'A', 0], expect: undefined },
      { admit: ['a2', 'A', 0], expect: undefined },
      { expired: 1000, expect: ['a1', 'a2'] },
      { admit: ['a3', 'A', 1000], expect: undefined },
      { admit: ['a4', 'A', 1000], expect: undefined },
      { admit: ['a5', 'A', 1000], expect: 'connections' },
      { closed: 'a1' },
      { admit: ['a5', 'A', 1000], expect: 'source_pending' },
    ],
    open: 3,
    pending: 2,
  },
];

for (const c of TABLE_CASES) {
  void test(`ConnectionTable: ${c.desc}`, () => {
    const t = new ConnectionTable<string>(LIMITS);
    for (const s of c.steps) {
      if ('admit' in s) assert.equal(t.admit(...s.admit), s.expect, `admit ${s.admit.join(' ')}`);
      else if ('established' in s) assert.equal(t.established(s.established), s.expect, `established ${s.established}`);
      else if ('closed' in s) t.closed(s.closed);
      else assert.deepEqual(t.expired(s.expired), s.expect, `expired at ${s.expired}`);
    }
    assert.equal(t.open, c.open, 'open');
    assert.equal(t.pending, c.pending, 'pending');
  });
}

void test('ConnectionTable: nextDeadline is the oldest pending one, none without a finite timeout', () => {
  const t = new ConnectionTable<number>(LIMITS);
  assert.equal(t.nextDeadline(), undefined);
  t.admit(1, 'A', 10);
  t.admit(2, 'B', 20);
  assert.equal(t.nextDeadline(), 1010);
  t.established(1);
  assert.equal(t.nextDeadline(), 1020);
  const forever = new ConnectionTable<number>({ ...LIMITS, handshakeTimeoutMs: Infinity });
  forever.admit(1, 'A', 0);
  assert.equal(forever.nextDeadline(), undefined);
  assert.deepEqual(forever.expired(1e12), []);
});

void test('ConnectionTable: admitting a key twice is a programmer error', () => {
  const t = new ConnectionTable<string>(LIMITS);
  t.admit('a', 'A', 0);
  assert.throws(() => t.admit('a', 'A', 0), /already held/);
});

const SOURCES: { desc: string; address: string | undefined; source: string }[] = [
  { desc: 'IPv4', address: '192.0.2.7', source: '192.0.2.7' },
  { desc: 'IPv4-mapped IPv6', address: '::ffff:192.0.2.7', source: '192.0.2.7' },
  { desc: 'IPv6: its /64', address: '2001:db8:1:2:aaaa:bbbb:cccc:dddd', source: '2001:db8:1:2::/64' },
  { desc: 'IPv6 with :: in the interface part', address: '2001:db8:1:2::5', source: '2001:db8:1:2::/64' },
  { desc: 'IPv6 with :: in the prefix', address: '2001:db8::1', source: '2001:db8:0:0::/64' },
  { desc: 'IPv6 leading zeros', address: '2001:0db8:0001:0002::1', source: '2001:db8:1:2::/64' },
  { desc: 'IPv6 loopback', address: '::1', source: '0:0:0:0::/64' },
  { desc: 'IPv6 with a zone', address: 'fe80::1%eth0', source: 'fe80:0:0:0::/64' },
  { desc: 'IPv6 with an embedded IPv4 tail', address: '64:ff9b::192.0.2.7', source: '64:ff9b:0:0::/64' },
  { desc: 'unknown (a socket already closed)', address: undefined, source: 'unknown' },
];

for (const c of SOURCES) {
  void test(`connectionSource: ${c.desc}`, () => {
    assert.equal(connectionSource(c.address), c.source);
  });
}

void test('agentLinkLimits: the connection cap is the open-file limit less fd_headroom unless configured', () => {
  const c = defaultConfig([]);
  assert.equal(agentLinkLimits(c, 1024).maxConnections, 1024 - 256);
  assert.equal(agentLinkLimits(c, Infinity).maxConnections, 1_048_576);
  assert.equal(agentLinkLimits(c, undefined).maxConnections, 1024 - 256, 'an unknown limit is taken as 1024');
  assert.throws(() => agentLinkLimits(c, 200), /grpc\.fd_headroom \(256\) leaves no AgentLink connection under this process's open-file limit \(200\)/);
  c.grpc.maxConnections = 5000;
  const l = agentLinkLimits(c, 1024);
  assert.equal(l.maxConnections, 5000);
  assert.equal(l.configured, true);
  assert.equal(l.handshakeTimeoutMs, 10_000);
  assert.equal(l.maxPending, 1024);
  assert.equal(l.maxPendingPerSource, 64);
});

void test('openFileLimit reads this process limit', () => {
  const n = openFileLimit();
  assert.ok(n !== undefined && n > 0, String(n));
});

// ---------------------------------------------------------------------------------------
// AgentLinkGate in plaintext, on loopback: the HTTP/2 preface is the handshake.

async function plaintextGate(limits: ConnectionLimits): Promise<{ port: number; metrics: () => Promise<Map<string, number>>; close: () => void }> {
  const server = new grpc.Server();
  new HealthImplementation({ '': 'SERVING' }).addToServer(server);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const registry = new Registry();
  const gate = new AgentLinkGate({ limits, credentials: grpc.ServerCredentials.createInsecure(), deliver: (c) => injector.injectConnection(c), metrics: connectionMetrics(registry), logger: pino({ level: 'silent' }) });
  const listener = await listenAgentLink({ host: '127.0.0.1', port: 0 }, gate, pino({ level: 'silent' }));
  return {
    port: (listener.address() as { port: number }).port,
    metrics: async () => parsePrometheusText(await registry.metrics()),
    close: () => {
      listener.close();
      gate.close();
      server.forceShutdown();
    },
  };
}

/** Resolves with the ms from connect to the server closing `socket`. */
function closedAfter(socket: Socket): Promise<number> {
  const t0 = performance.now();
  socket.on('error', () => undefined);
  socket.resume();
  return new Promise((resolve) => socket.once('close', () => resolve(performance.now() - t0)));
}

void test('AgentLinkGate (plaintext): a gRPC client is served; an idle connection is closed at the deadline, one that does not speak HTTP/2 at once', async () => {
  const g = await plaintextGate({ ...LIMITS, maxPendingPerSource: 10, maxPending: 10, handshakeTimeoutMs: 300 });
  try {
    const idle = closedAfter(connect(g.port, '127.0.0.1'));
    const http1 = connect(g.port, '127.0.0.1');
    const wrong = closedAfter(http1);
    http1.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    const client = new grpc.Client(`127.0.0.1:${g.port}`, grpc.credentials.createInsecure());
    const answer = await new Promise<Buffer>((resolve, reject) => {
      client.makeUnaryRequest('/grpc.health.v1.Health/Check', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (err, res) => (err !== null || res === undefined ? reject(err ?? new Error('no answer')) : resolve(res)));
    });
    assert.deepEqual([...answer], [0x08, 0x01], 'SERVING');
    assert.ok((await wrong) < 250, 'not HTTP/2: closed without waiting for the deadline');
    const idleMs = await idle;
    assert.ok(idleMs >= 290 && idleMs < 1000, `idle connection closed after ${idleMs} ms`);
    client.close();
    const m = await g.metrics();
    assert.equal(m.get('airlock_connection_handshake_failures_total{reason="timeout"}'), 1);
    assert.equal(m.get('airlock_connection_handshake_failures_total{reason="preface"}'), 1);
  } finally {
    g.close();
  }
});

void test('AgentLinkGate: past a cap a connection is closed at accept and counted', async () => {
  const g = await plaintextGate({ ...LIMITS, handshakeTimeoutMs: 5000 });
  const sockets: Socket[] = [];
  try {
    const closes = Array.from({ length: 4 }, () => {
      const s = connect(g.port, '127.0.0.1');
      sockets.push(s);
      return closedAfter(s);
    });
    // Two are held (the per-source cap), two are closed at once.
    const first = await Promise.race(closes);
    assert.ok(first < 1000);
    await new Promise((r) => setTimeout(r, 100));
    const m = await g.metrics();
    assert.equal(m.get('airlock_connections_refused_total{listener="agentlink",reason="source_pending"}'), 2);
    assert.equal(m.get('airlock_connections_pending'), 2);
    assert.equal(m.get('airlock_connections_open'), 2);
    assert.equal(m.get('airlock_connections_limit'), LIMITS.maxConnections);
  } finally {
    for (const s of sockets) s.destroy();
    g.close();
  }
});
