/**
 * RadSec (RFC 6614, RADIUS over TLS) end to end: the RADIUS client of packages/radius
 * against a real FreeRADIUS 3.2 RadSec listener (test/support/freeradius.ts, option
 * `radsec`: auth+acct over TLS, require_client_cert, client certificates from the
 * authenticator CA only), with certificates of the project's PKI (the FreeRADIUS server
 * certificate of the radius role; the authenticator's RadSec client certificate).
 *
 * - Access-Request with PAP: Access-Accept with the user's reply attributes, Access-Reject
 *   for a wrong password; Message-Authenticator required on both, as over UDP;
 * - Accounting-Request Start and Stop, answered and written to the detail file;
 * - Status-Server over TLS (the connection watchdog), answered;
 * - one TLS connection for many requests: the client says so, and so does the server's
 *   socket table (ss);
 * - the RadSec server stopped (SIGKILL): requests fail over to a second FreeRADIUS over
 *   UDP; started again: a Status-Server probe over a new connection finds it, and requests
 *   go back to RadSec;
 * - a client certificate of another role (an agent's) is refused by the listener.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { serverRoleProblem } from '@airlock/pki/roles';
import { RadiusClient, RadiusTimeoutError, type RadiusClientOptions, type RadiusResultReport, type RadiusServer, type RadsecTlsOptions } from '@airlock/radius';
import { startFreeRadius, type FreeRadius, type FreeRadiusOptions } from '../support/freeradius.js';
import { radsecClientCertificate, testPki } from '../support/test-pki.js';

const UDP_SECRET = 'radsec e2e udp secret';
const ALICE = { name: 'alice', password: 'alice radsec password' };
const BOB = { name: 'bob', password: 'bob radsec password' };

// RFC 2865 §3 / RFC 2866 §3 codes and attribute types.
const ACCESS_ACCEPT = 2;
const ACCESS_REJECT = 3;
const A_USER_NAME = 1;
const A_SESSION_TIMEOUT = 27;
const A_ACCT_STATUS_TYPE = 40;
const A_ACCT_SESSION_ID = 44;
const A_ACCT_SESSION_TIME = 46;
const ACCT_START = 1;
const ACCT_STOP = 2;

const text = (type: number, s: string): { type: number; value: Buffer } => ({ type, value: Buffer.from(s) });
function u32(type: number, n: number): { type: number; value: Buffer } {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(n);
  return { type, value };
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Established TCP connections whose local port is `port` (the server's side), from ss. */
function establishedTo(port: number): number {
  const out = execFileSync('ss', ['-Htn', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

void describe('RadSec (RFC 6614) against a real FreeRADIUS 3.2', () => {
  let radsecFr: FreeRadius;
  let udpFr: FreeRadius;
  let tls: RadsecTlsOptions;
  const clients: RadiusClient[] = [];

  const users: FreeRadiusOptions['users'] = [
    { name: ALICE.name, password: ALICE.password, reply: { 'Session-Timeout': '3600', 'Reply-Message': 'hello over RadSec' } },
    { name: BOB.name, password: BOB.password },
  ];

  before(async () => {
    const pki = testPki();
    const client = radsecClientCertificate();
    const serverPki = { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key };
    [radsecFr, udpFr] = await Promise.all([
      startFreeRadius({ secret: 'unused udp secret of the radsec instance', users, pki: serverPki, radsec: { clientCa: pki.issuers.authenticator.cert } }),
      startFreeRadius({ secret: UDP_SECRET, users, pki: serverPki }),
    ]);
    tls = {
      ca: readFileSync(pki.ca.cert),
      cert: readFileSync(client.cert),
      key: readFileSync(client.key),
      serverName: 'radius-server',
      // DESIGN.md "Roles": the server must be a RADIUS server's certificate, not just any of the root.
      checkServerCertificate: (x) => serverRoleProblem(x.raw, 'radius'),
    };
  });

  after(async () => {
    for (const c of clients) await c.close();
    await Promise.all([radsecFr?.stop(), udpFr?.stop()]);
  });

  const radsecServer = (): RadiusServer => ({ transport: 'tls', name: 'radsec', host: '127.0.0.1', port: radsecFr.radsecPort!, tls });
  const udpServer = (): RadiusServer => ({ name: 'udp', host: '127.0.0.1', authPort: udpFr.authPort, acctPort: udpFr.acctPort, secret: Buffer.from(UDP_SECRET) });

  async function client(servers: RadiusServer[], opts: Partial<RadiusClientOptions> = {}): Promise<{ c: RadiusClient; reports: RadiusResultReport[]; errors: string[] }> {
    const reports: RadiusResultReport[] = [];
    const errors: string[] = [];
    const c = new RadiusClient({ servers, onResult: (r) => reports.push(r), onSocketError: (e, s) => errors.push(`${s}: ${e.message}`), ...opts });
    clients.push(c);
    await c.start();
    return { c, reports, errors };
  }

  it('Access-Request (PAP): Access-Accept with the reply attributes, Access-Reject for a wrong password', async () => {
    const { c } = await client([radsecServer()]);
    const accept = await c.accessRequest([text(A_USER_NAME, ALICE.name)], { userPassword: Buffer.from(ALICE.password) });
    assert.equal(accept.code, ACCESS_ACCEPT, radsecFr.log().slice(-3000));
    assert.equal(accept.server, 'radsec');
    assert.equal(accept.attributes.find((a) => a.type === A_SESSION_TIMEOUT)?.value.readUInt32BE(0), 3600);
    const reject = await c.accessRequest([text(A_USER_NAME, BOB.name)], { userPassword: Buffer.from('not bob password') });
    assert.equal(reject.code, ACCESS_REJECT);
  });

  it('Accounting-Request Start and Stop over TLS: answered, and in the detail file', async () => {
    const { c } = await client([radsecServer()]);
    const session = `radsec-${process.pid}-${Date.now()}`;
    const start = await c.accountingRequest([text(A_USER_NAME, ALICE.name), u32(A_ACCT_STATUS_TYPE, ACCT_START), text(A_ACCT_SESSION_ID, session)]);
    assert.equal(start.server, 'radsec');
    const stop = await c.accountingRequest([text(A_USER_NAME, ALICE.name), u32(A_ACCT_STATUS_TYPE, ACCT_STOP), text(A_ACCT_SESSION_ID, session), u32(A_ACCT_SESSION_TIME, 42)]);
    assert.equal(stop.server, 'radsec');
    let detail = '';
    await waitFor(() => {
      detail = readFileSync(radsecFr.detailFile(), 'utf8');
      return detail.split(`Acct-Session-Id = "${session}"`).length === 3;
    }, 'both records in the detail file');
    const records = detail.split(/\n\n+/).filter((r) => r.includes(session));
    assert.equal(records.length, 2);
    assert.match(records[0], /Acct-Status-Type = Start/);
    assert.match(records[1], /Acct-Status-Type = Stop/);
    assert.match(records[1], /Acct-Session-Time = 42/);
  });

  it('Status-Server over TLS: the watchdog of an idle connection is answered', async () => {
    const { c, reports } = await client([radsecServer()], { watchdogIdleMs: 300 });
    await waitFor(() => reports.filter((r) => r.kind === 'status' && r.code === ACCESS_ACCEPT).length >= 2, 'two answered watchdogs');
    const st = c.serverStates()[0];
    assert.equal(st.alive, true);
    assert.deepEqual(st.connections, { open: 1, opened: 1 }, 'the answered watchdogs keep the one connection');
  });

  it('one TLS connection carries many requests: the client and the server\'s socket table agree', async () => {
    for (const old of clients.splice(0)) await old.close();
    await waitFor(() => establishedTo(radsecFr.radsecPort!) === 0, 'the earlier clients\' connections gone', 5000);
    const { c } = await client([radsecServer()], { watchdogIdleMs: 60_000 });
    const answers = await Promise.all([
      ...Array.from({ length: 60 }, () => c.accessRequest([text(A_USER_NAME, ALICE.name)], { userPassword: Buffer.from(ALICE.password) })),
      ...Array.from({ length: 40 }, (_v, i) => c.accountingRequest([text(A_USER_NAME, ALICE.name), u32(A_ACCT_STATUS_TYPE, ACCT_START), text(A_ACCT_SESSION_ID, `reuse-${i}`)])),
    ]);
    assert.equal(answers.length, 100);
    assert.ok(answers.every((a) => a.server === 'radsec'));
    for (let i = 0; i < 20; i++) await c.accessRequest([text(A_USER_NAME, ALICE.name)], { userPassword: Buffer.from(ALICE.password) });
    assert.deepEqual(c.serverStates()[0].connections, { open: 1, opened: 1 });
    assert.equal(c.serverStates()[0].sockets, 1, 'one Identifier space');
    assert.equal(establishedTo(radsecFr.radsecPort!), 1, 'FreeRADIUS holds one connection');
    assert.doesNotMatch(radsecFr.log(), /Received bad packet/, 'one RADIUS packet per TLS record (FreeRADIUS 3.2.1 drops a connection otherwise)');
    await c.close();
    await waitFor(() => establishedTo(radsecFr.radsecPort!) === 0, 'no connection left after close()', 5000);
  });

  it('failover from a stopped RadSec server to a UDP server, and back to RadSec once it runs again', async () => {
    const states: [string, boolean][] = [];
    const { c, errors } = await client([radsecServer(), udpServer()], {
      timeoutMs: 300,
      maxRetransmits: 1,
      deadAfterMs: 1000,
      probeIntervalMs: 300,
      reconnectMinMs: 200,
      reconnectMaxMs: 600,
      onServerState: (s, alive) => states.push([s, alive]),
    });
    const login = (): Promise<{ server: string; code: number }> => c.accessRequest([text(A_USER_NAME, ALICE.name)], { userPassword: Buffer.from(ALICE.password) });
    assert.deepEqual(await login().then((a) => [a.server, a.code]), ['radsec', ACCESS_ACCEPT]);

    radsecFr.kill();
    await waitFor(() => !c.serverStates()[0].alive, 'the RadSec server marked dead');
    for (let i = 0; i < 3; i++) assert.deepEqual(await login().then((a) => [a.server, a.code]), ['udp', ACCESS_ACCEPT]);
    const acct = await c.accountingRequest([text(A_USER_NAME, ALICE.name), u32(A_ACCT_STATUS_TYPE, ACCT_START), text(A_ACCT_SESSION_ID, 'during-the-outage')]);
    assert.equal(acct.server, 'udp');
    // ECONNREFUSED, or a reset when the attempt met the dying process: reported either way.
    assert.ok(errors.some((e) => e.startsWith('radsec: ')), `errors: ${errors.join(' | ')}`);

    await radsecFr.restart();
    await waitFor(() => c.serverStates()[0].alive, 'the RadSec server back (a Status-Server probe answered)');
    assert.deepEqual(await login().then((a) => [a.server, a.code]), ['radsec', ACCESS_ACCEPT]);
    assert.deepEqual(states, [['radsec', false], ['radsec', true]]);
    assert.equal(c.serverStates()[1].alive, true);
  });

  it('a client certificate of another role (an agent\'s) is refused by the listener', async () => {
    const pki = testPki();
    const agent = pki.agents['ap-1'];
    assert.ok(agent !== undefined);
    const stranger: RadiusServer = { ...radsecServer(), name: 'radsec-as-agent', tls: { ...tls, cert: readFileSync(agent.cert), key: readFileSync(agent.key) } } as RadiusServer;
    const { c } = await client([stranger], { timeoutMs: 300, maxRetransmits: 0, reconnectMinMs: 100 });
    await assert.rejects(c.accessRequest([text(A_USER_NAME, ALICE.name)], { userPassword: Buffer.from(ALICE.password) }), RadiusTimeoutError);
    assert.equal(c.serverStates()[0].alive, false);
    assert.match(radsecFr.log(), /Certificate issuer \(\/O=airlock\/CN=airlock development agent CA\) does not match/, 'refused by check_cert_issuer');
  });
});
