// The RADIUS client over RadSec (RFC 6614) against scripted TLS responders on 127.0.0.1:
// real node:tls connections with certificates from the project's PKI (@airlock/pki),
// records split and coalesced on the wire, a bad Length, dropped connections, failover
// between RadSec and UDP servers and back, the watchdog, certificate checks.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { afterEach, before, describe, it } from 'node:test';

import { createCa, issueCertificate, issueIntermediateCa, type Pem } from '@airlock/pki';

import type { RadiusAttribute } from '../codec/index.js';
import { RadiusClient, RadiusTimeoutError, type RadiusClientOptions, type RadiusResultReport, type RadsecServer, type RadsecTlsOptions } from './index.js';
import { FakeRadiusServer } from './testing/fake-radius-server.js';
import { FakeRadsecServer, type RadsecRequest, type RadsecServerTls } from './testing/fake-radsec-server.js';

// RFC 2865 §3 / RFC 2866 §3 / RFC 5997 codes and attribute types.
const ACCESS_REQUEST = 1;
const ACCESS_ACCEPT = 2;
const ACCESS_REJECT = 3;
const ACCOUNTING_REQUEST = 4;
const ACCOUNTING_RESPONSE = 5;
const STATUS_SERVER = 12;
const USER_NAME = 1;
const ACCT_STATUS_TYPE = 40;

const userName = (s: string): RadiusAttribute => ({ type: USER_NAME, value: Buffer.from(s) });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const until = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > until) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Certificates: a root, a server certificate for "radius-server", a client certificate; and a stranger CA. */
interface Certs {
  root: Pem;
  server: RadsecServerTls;
  client: { cert: string; key: string };
  otherRoot: Pem;
}

let certs: Certs;

before(() => {
  const root = createCa({ commonName: 'radsec test root' });
  const serverCa = issueIntermediateCa(root, { commonName: 'radsec test server CA' });
  const clientCa = issueIntermediateCa(root, { commonName: 'radsec test client CA' });
  const server = issueCertificate(serverCa, { commonName: 'radius-server', usage: 'server', dnsNames: ['radius-server'], uris: ['urn:airlock:radius:radius-server'] });
  const client = issueCertificate(clientCa, { commonName: 'authenticator', usage: 'client' });
  certs = {
    root,
    server: { cert: `${server.cert}${serverCa.cert}`, key: server.key, ca: root.cert },
    client: { cert: `${client.cert}${clientCa.cert}`, key: client.key },
    otherRoot: createCa({ commonName: 'someone else' }),
  };
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tlsOptions(o: Partial<RadsecTlsOptions> = {}): RadsecTlsOptions {
  return { ca: certs.root.cert, cert: certs.client.cert, key: certs.client.key, serverName: 'radius-server', ...o };
}

function radsecEntry(name: string, f: FakeRadsecServer, o: Partial<RadsecTlsOptions> = {}): RadsecServer {
  return { transport: 'tls', name, host: '127.0.0.1', port: f.port, tls: tlsOptions(o) };
}

async function radsec(o: { handler?: (req: RadsecRequest, f: FakeRadsecServer) => void; secret?: Buffer } = {}): Promise<FakeRadsecServer> {
  const f = await FakeRadsecServer.start(certs.server, o);
  cleanups.push(() => f.stop());
  return f;
}

interface Run {
  c: RadiusClient;
  results: RadiusResultReport[];
  errors: string[];
  connections: [string, number, boolean, string][];
}

async function client(opts: RadiusClientOptions): Promise<Run> {
  const run: Run = { c: undefined as unknown as RadiusClient, results: [], errors: [], connections: [] };
  run.c = new RadiusClient({
    ...opts,
    onResult: (r) => run.results.push(r),
    onSocketError: (err, server) => run.errors.push(`${server}: ${err.message}`),
    onConnection: (server, socket, open, detail) => run.connections.push([server, socket, open, detail]),
  });
  await run.c.start();
  cleanups.push(() => run.c.close());
  return run;
}

/** Answers every Access-Request and Status-Server with Access-Accept, every Accounting-Request with Accounting-Response. */
function answerAll(req: RadsecRequest, f: FakeRadsecServer): void {
  f.reply(req, req.packet.code === ACCOUNTING_REQUEST ? ACCOUNTING_RESPONSE : ACCESS_ACCEPT);
}

describe('RadiusClient over RadSec', () => {
  it('Access-Request and Accounting-Request on one TLS connection, signed with "radsec", Message-Authenticator verified', async () => {
    const f = await radsec({ handler: answerAll });
    const { c, results } = await client({ servers: [radsecEntry('radsec', f)] });
    const accept = await c.accessRequest([userName('alice')]);
    assert.equal(accept.code, ACCESS_ACCEPT);
    assert.equal(accept.server, 'radsec');
    const acct = await c.accountingRequest([userName('alice'), { type: ACCT_STATUS_TYPE, value: Buffer.from([0, 0, 0, 1]) }]);
    assert.equal(acct.server, 'radsec');
    assert.ok(f.received.every((r) => r.verified), 'requests signed with the "radsec" secret');
    assert.equal(f.requests(ACCESS_REQUEST)[0].packet.attributes[0]?.type, 80, 'Message-Authenticator first (BlastRADIUS)');
    assert.equal(f.sockets.length, 1, 'one connection for authentication and accounting');
    assert.deepEqual(results.map((r) => r.code), [ACCESS_ACCEPT, ACCOUNTING_RESPONSE]);
  });

  it('connection reuse: 200 requests at once, one connection, every answer matched', async () => {
    const f = await radsec({ handler: answerAll });
    const { c } = await client({ servers: [radsecEntry('radsec', f)] });
    const answers = await Promise.all(Array.from({ length: 200 }, (_v, i) => c.accessRequest([userName(`u${i}`)])));
    assert.equal(answers.length, 200);
    assert.equal(f.sockets.length, 1);
    assert.deepEqual(c.serverStates()[0].connections, { open: 1, opened: 1 });
  });

  it('one RADIUS packet per TLS record, also in a burst (FreeRADIUS 3.2.1 drops a connection whose record holds two)', async () => {
    const f = await radsec({ handler: answerAll });
    const { c } = await client({ servers: [radsecEntry('radsec', f)] });
    await c.accessRequest([userName('first')]);
    const before = f.reads.length;
    await Promise.all(Array.from({ length: 50 }, (_v, i) => c.accessRequest([userName(`u${i}`)])));
    const reads = f.reads.slice(before);
    assert.equal(reads.length, 50, 'one read (one record) per request');
    assert.deepEqual(reads, f.requests(ACCESS_REQUEST).slice(1).map((r) => r.raw.length));
  });

  it('answers coalesced into one write, and answers cut into pieces, are framed by their Length', async () => {
    const pending: RadsecRequest[] = [];
    const f = await radsec({ handler: (req) => pending.push(req) });
    const { c } = await client({ servers: [radsecEntry('radsec', f)] });
    const all = Promise.all(Array.from({ length: 5 }, (_v, i) => c.accessRequest([userName(`u${i}`)])));
    await waitFor(() => pending.length === 5, 'five requests');
    const bytes = Buffer.concat(pending.map((r) => f.sign(r, ACCESS_ACCEPT)));
    // Three answers and a half in one write, the rest one octet at a time.
    const cut = f.sign(pending[0], ACCESS_ACCEPT).length * 3 + 7;
    f.write(0, bytes.subarray(0, cut));
    for (const octet of bytes.subarray(cut)) {
      f.write(0, Buffer.from([octet]));
      await sleep(0);
    }
    const answers = await all;
    assert.deepEqual(answers.map((a) => a.code), [2, 2, 2, 2, 2]);
  });

  it('a record Length over 4096: the connection is dropped and counted; the request is written again on a new connection', async () => {
    let first = true;
    const f = await radsec({
      handler: (req, srv) => {
        if (req.packet.code !== ACCESS_REQUEST) return;
        if (first) {
          first = false;
          srv.write(req.connection, Buffer.from([2, req.packet.identifier, 0x13, 0x88])); // Length 5000
        } else srv.reply(req, ACCESS_ACCEPT);
      },
    });
    const { c, results, connections } = await client({ servers: [radsecEntry('radsec', f)] });
    await waitFor(() => f.sockets.length === 1, 'the first connection');
    const answer = await c.accessRequest([userName('alice')]);
    assert.equal(answer.code, ACCESS_ACCEPT);
    assert.deepEqual(results.filter((r) => r.code === 'invalid').map((r) => r.reason), ['record-too-long']);
    assert.equal(f.sockets.length, 2, 'answered on a second connection');
    const [onFirst, onSecond] = f.requests(ACCESS_REQUEST);
    assert.deepEqual([onFirst.connection, onSecond.connection], [0, 1]);
    assert.deepEqual(onSecond.raw, onFirst.raw, 'same Identifier, Request Authenticator and bytes on the new connection');
    assert.ok(connections.some(([, , open, detail]) => !open && detail.includes('5000')));
  });

  it('no retransmission on a connection: a silent server sees each request once, then the request times out after the budget', async () => {
    const f = await radsec();
    const { c } = await client({ servers: [radsecEntry('radsec', f)], timeoutMs: 100, maxRetransmits: 2 });
    const t0 = performance.now();
    await assert.rejects(c.accessRequest([userName('alice')]), RadiusTimeoutError);
    const waited = performance.now() - t0;
    assert.ok(waited >= 690, `waited the whole budget (100 + 200 + 400 ms), not ${waited.toFixed(0)} ms`);
    assert.equal(f.requests(ACCESS_REQUEST).length, 1, 'written once');
  });

  it('the server drops the connection with a request outstanding: reconnect, written again, answered', async () => {
    let drops = 0;
    const f = await radsec({
      handler: (req, srv) => {
        if (req.packet.code === ACCESS_REQUEST && drops === 0 && req.packet.attributes.some((a) => a.type === USER_NAME && a.value.toString() === 'alice')) {
          drops++;
          srv.drop(req.connection);
          return;
        }
        answerAll(req, srv);
      },
    });
    const { c } = await client({ servers: [radsecEntry('radsec', f)] });
    await c.accessRequest([userName('warmup')]);
    const answer = await c.accessRequest([userName('alice')]);
    assert.equal(answer.code, ACCESS_ACCEPT);
    assert.equal(f.sockets.length, 2);
    assert.deepEqual(c.serverStates()[0].connections, { open: 1, opened: 2 });
  });

  it('failover RadSec -> UDP when the RadSec server stops, and back once it listens again (Status-Server over TLS)', async () => {
    const f = await radsec({ handler: answerAll });
    const udp = await FakeRadiusServer.start(Buffer.from('udp secret'), (req, srv) => srv.reply(req, req.packet.code === ACCOUNTING_REQUEST ? ACCOUNTING_RESPONSE : ACCESS_ACCEPT));
    cleanups.push(() => udp.close());
    const states: [string, boolean][] = [];
    const { c } = await client({
      servers: [radsecEntry('radsec', f), { name: 'udp', host: '127.0.0.1', authPort: udp.port, acctPort: udp.port, secret: udp.secret }],
      timeoutMs: 200,
      maxRetransmits: 1,
      probeIntervalMs: 200,
      reconnectMinMs: 100,
      reconnectMaxMs: 200,
      onServerState: (server, alive) => states.push([server, alive]),
    });
    assert.equal((await c.accessRequest([userName('a1')])).server, 'radsec');
    await f.stop();
    const during = await c.accessRequest([userName('a2')]);
    assert.equal(during.server, 'udp');
    assert.deepEqual(states, [['radsec', false]]);
    assert.equal((await c.accountingRequest([userName('a3')])).server, 'udp', 'accounting too');
    await f.restart();
    await waitFor(() => c.serverStates()[0].alive, 'the RadSec server back (a probe answered)');
    assert.ok(f.requests(STATUS_SERVER).length >= 1, 'probed with Status-Server over TLS');
    assert.equal((await c.accessRequest([userName('a4')])).server, 'radsec');
    assert.deepEqual(states, [['radsec', false], ['radsec', true]]);
  });

  it('failover UDP -> RadSec: the silent UDP primary, then the RadSec secondary answers', async () => {
    const f = await radsec({ handler: answerAll });
    const udp = await FakeRadiusServer.start(Buffer.from('udp secret'));
    cleanups.push(() => udp.close());
    const { c } = await client({ servers: [{ name: 'udp', host: '127.0.0.1', authPort: udp.port, acctPort: udp.port, secret: udp.secret }, radsecEntry('radsec', f)], timeoutMs: 100, maxRetransmits: 1 });
    const answer = await c.accessRequest([userName('alice')]);
    assert.equal(answer.server, 'radsec');
    assert.equal(udp.requests(ACCESS_REQUEST).length, 2, 'UDP: sent and retransmitted once');
  });

  it('the watchdog: an idle connection carries a Status-Server', async () => {
    const f = await radsec({ handler: answerAll });
    const { c } = await client({ servers: [radsecEntry('radsec', f)], watchdogIdleMs: 150 });
    await waitFor(() => f.requests(STATUS_SERVER).length >= 2, 'two watchdogs');
    assert.equal(f.sockets.length, 1, 'answered watchdogs keep the one connection');
    assert.ok(c.serverStates()[0].alive);
  });

  it('a watchdog unanswered: the connection is closed and a new one opened', async () => {
    const f = await radsec({ handler: (req, srv) => { if (req.packet.code !== STATUS_SERVER) answerAll(req, srv); } });
    await client({ servers: [radsecEntry('radsec', f)], watchdogIdleMs: 100, timeoutMs: 50, maxRetransmits: 0, reconnectMinMs: 50 });
    await waitFor(() => f.sockets.length >= 2, 'a second connection');
    await waitFor(() => f.sockets[0].destroyed, 'the first one closed');
  });
});

describe('RadiusClient over RadSec: TLS checks (RFC 6614 §2.3)', () => {
  const cases: { desc: string; tls: Partial<RadsecTlsOptions>; error: RegExp }[] = [
    { desc: 'a server certificate for another name', tls: { serverName: 'other-server' }, error: /other-server/ },
    { desc: 'a server certificate from a CA not configured', tls: { ca: '' }, error: /certificate/ },
    { desc: 'a server certificate refused by the role check', tls: { checkServerCertificate: (x: X509Certificate) => (x.subjectAltName?.includes('urn:airlock:agent:') ? undefined : 'not an agent') }, error: /not an agent/ },
  ];
  for (const tc of cases) {
    it(`${tc.desc}: no connection, the error reported, the request fails over or times out`, async () => {
      const f = await radsec({ handler: answerAll });
      const tlsOpts = tc.tls.ca === '' ? { ...tc.tls, ca: certs.otherRoot.cert } : tc.tls;
      const { c, errors } = await client({ servers: [radsecEntry('radsec', f, tlsOpts)], timeoutMs: 50, maxRetransmits: 0, reconnectMinMs: 20 });
      await assert.rejects(c.accessRequest([userName('alice')]), RadiusTimeoutError);
      assert.equal(f.received.length, 0, 'nothing reached the server');
      assert.ok(errors.some((e) => tc.error.test(e)), `errors: ${errors.join(' | ')}`);
      assert.equal(c.serverStates()[0].alive, false);
    });
  }

  it('the role check accepts the right certificate (a radius mark)', async () => {
    const f = await radsec({ handler: answerAll });
    const { c } = await client({ servers: [radsecEntry('radsec', f, { checkServerCertificate: (x) => (x.subjectAltName?.includes('URI:urn:airlock:radius:') ? undefined : 'not a RADIUS server') })] });
    assert.equal((await c.accessRequest([userName('alice')])).code, ACCESS_ACCEPT);
  });

  it('constructor refuses RadSec entries without a CA, a client certificate, or with an old TLS version', () => {
    const base = { transport: 'tls' as const, name: 'r', host: '127.0.0.1' };
    assert.throws(() => new RadiusClient({ servers: [{ ...base, tls: { ...tlsOptions(), ca: '' } }] }), /CA certificate/);
    assert.throws(() => new RadiusClient({ servers: [{ ...base, tls: { ...tlsOptions(), cert: '' } }] }), /client certificate/);
    assert.throws(() => new RadiusClient({ servers: [{ ...base, tls: { ...tlsOptions(), minVersion: 'TLSv1.1' as 'TLSv1.2' } }] }), /TLSv1.2/);
  });

  it('an Access-Reject over TLS is a verdict, as over UDP', async () => {
    const f = await radsec({ handler: (req, srv) => srv.reply(req, ACCESS_REJECT) });
    const { c } = await client({ servers: [radsecEntry('radsec', f)] });
    assert.equal((await c.accessRequest([userName('alice')])).code, ACCESS_REJECT);
  });
});
