/**
 * The Dynamic Authorization Server (RFC 5176, packages/radius/src/das) against the real
 * `radclient` of FreeRADIUS 3.2 (Debian freeradius-utils), the tool operators and policy
 * servers' test scripts use to send Disconnect-Request and CoA-Request. A DasListener on
 * 127.0.0.1 has a small owner here playing the authenticator service: a table of stations,
 * answered asynchronously as the service does after acting on a station.
 *
 * radclient signs the requests (`Message-Authenticator = 0x00` asks it to compute one, RFC
 * 5176 §3.4) and verifies our responses' Response Authenticators; it prints what it got:
 * - Disconnect-ACK / CoA-ACK for a known station, and the owner saw the request once, with
 *   the station's MAC, the new Session-Timeout and VLAN, or a Cisco reauthentication;
 * - Disconnect-NAK Session-Context-Not-Found (503) for an unknown station (the owner's NAK);
 * - NAKs the server makes without the owner: Unsupported-Attribute (401) for a Filter-Id,
 *   NAS-Identification-Mismatch (403) for another NAS-Identifier;
 * - CoA-NAK Request-Initiated (507) with Service-Type Authorize-Only and the State echoed
 *   for an Authorize Only CoA-Request (RFC 5176 §3.2);
 * - a retransmission while the owner is still acting is not acted on twice;
 * - no answer at all (radclient: "No reply") for a request without Message-Authenticator,
 *   from a client that is not on the allowlist, with a stale Event-Timestamp, or signed
 *   with another secret - each counted under its drop reason.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { DasListener, ErrorCause, encodeMacText, type DasRequest } from '@airlock/radius';
import { RADCLIENT, nowSec, radclient as radclientWith, signed, type Reply } from '../support/radclient.js';
const SECRET = 'das e2e secret';
const NAS_ID = 'airlock-e2e';

/** radclient with this test's secret unless told otherwise. */
const radclient = (port: number, command: 'disconnect' | 'coa', lines: string[], o: { secret?: string; timeoutSec?: number; retries?: number } = {}): Promise<Reply> => radclientWith(port, command, lines, { ...o, secret: o.secret ?? SECRET });

/** The owner: the authenticator service's part, on a table of stations. */
interface Station {
  vlan?: number;
  sessionTimeout?: number;
  reauthenticated: number;
  disconnected: number;
}

void describe('DAS (RFC 5176) against FreeRADIUS radclient', () => {
  let das: DasListener;
  let outsider: DasListener;
  let port: number;
  let outsiderPort: number;
  const stations = new Map<string, Station>();
  const seen: DasRequest[] = [];
  /** MACs whose answer the owner delays (ms): a retransmission arrives meanwhile. */
  const slow = new Map<string, number>();

  before(async () => {
    assert.ok(existsSync(RADCLIENT), `${RADCLIENT} is missing: install Debian's freeradius-utils (npm test's pretest does)`);
    for (const mac of ['02-00-00-00-01-00', '02-00-00-00-02-00', '02-00-00-00-03-00', '02-00-00-00-04-00']) stations.set(mac, { reauthenticated: 0, disconnected: 0 });
    slow.set('02-00-00-00-03-00', 1500);
    das = new DasListener({
      address: '127.0.0.1',
      port: 0,
      clients: [{ name: 'radclient', address: '127.0.0.1', secret: Buffer.from(SECRET) }],
      nas: { identifiers: [NAS_ID], addresses: ['127.0.0.1'] },
      answerTimeoutMs: 2500,
      onRequest: (r) => {
        seen.push(r);
        const mac = r.session.station === undefined ? '' : encodeMacText(r.session.station).toString('latin1');
        setTimeout(() => {
          const st = stations.get(mac);
          if (st === undefined) {
            das.nak(r.handle, ErrorCause.SessionContextNotFound);
            return;
          }
          if (r.kind === 'disconnect') st.disconnected++;
          else {
            const c = r.changes ?? {};
            if (c.vlan !== undefined) st.vlan = c.vlan;
            if (c.sessionTimeout !== undefined) st.sessionTimeout = c.sessionTimeout;
            if (c.reauthenticate !== undefined) st.reauthenticated++;
          }
          das.ack(r.handle);
        }, slow.get(mac) ?? 5);
      },
    });
    port = (await das.start()).port;
    // A second server whose only client is another address: radclient (from 127.0.0.1) is an outsider there.
    outsider = new DasListener({
      address: '127.0.0.1',
      port: 0,
      clients: [{ name: 'elsewhere', address: '127.0.0.2', secret: Buffer.from(SECRET) }],
      nas: { identifiers: [NAS_ID] },
      onRequest: (r) => seen.push(r),
    });
    outsiderPort = (await outsider.start()).port;
  });

  after(async () => {
    await das.close();
    await outsider.close();
  });

  void it('Disconnect-Request for a known station: Disconnect-ACK, the station disconnected once', async () => {
    const r = await radclient(port, 'disconnect', signed(['User-Name = "alice"', 'Calling-Station-Id = "02-00-00-00-01-00"', `NAS-Identifier = "${NAS_ID}"`, 'NAS-IP-Address = 127.0.0.1']));
    assert.equal(r.code, 'Disconnect-ACK', r.out);
    assert.equal(r.exit, 0);
    assert.ok(r.attrs.has('Message-Authenticator'), 'the ACK carries a Message-Authenticator');
    assert.equal(stations.get('02-00-00-00-01-00')?.disconnected, 1);
    const req = seen.at(-1);
    assert.equal(req?.kind, 'disconnect');
    assert.equal(req?.session.userName, 'alice');
    assert.deepEqual(req?.nas, { identifier: NAS_ID, ipv4: '127.0.0.1' });
  });

  void it('CoA-Request with Session-Timeout and a tagged VLAN (colon MAC form): CoA-ACK, both applied', async () => {
    const r = await radclient(port, 'coa', signed(['Calling-Station-Id = "02:00:00:00:02:00"', 'Session-Timeout = 600', 'Tunnel-Type:1 = VLAN', 'Tunnel-Medium-Type:1 = IEEE-802', 'Tunnel-Private-Group-Id:1 = "42"']));
    assert.equal(r.code, 'CoA-ACK', r.out);
    const st = stations.get('02-00-00-00-02-00');
    assert.equal(st?.vlan, 42);
    assert.equal(st?.sessionTimeout, 600);
  });

  void it('CoA-Request with Cisco-AVPair subscriber:command=reauthenticate (bare MAC form): CoA-ACK, one reauthentication', async () => {
    const r = await radclient(port, 'coa', signed(['Calling-Station-Id = "020000000400"', 'Cisco-AVPair = "subscriber:command=reauthenticate"', 'Cisco-AVPair = "subscriber:reauthenticate-type=last"']));
    assert.equal(r.code, 'CoA-ACK', r.out);
    assert.equal(stations.get('02-00-00-00-04-00')?.reauthenticated, 1);
    assert.deepEqual(seen.at(-1)?.changes?.reauthenticate, { signal: 'cisco', type: 'last' });
  });

  void it('Disconnect-Request for an unknown station: Disconnect-NAK Session-Context-Not-Found (503) from the owner', async () => {
    const r = await radclient(port, 'disconnect', signed(['Calling-Station-Id = "02-00-00-00-99-99"']));
    assert.equal(r.code, 'Disconnect-NAK', r.out);
    assert.deepEqual(r.attrs.get('Error-Cause'), ['Session-Context-Not-Found']);
  });

  void it('CoA-Request with a Filter-Id: CoA-NAK Unsupported-Attribute (401); the owner never sees it', async () => {
    const before = seen.length;
    const r = await radclient(port, 'coa', signed(['Calling-Station-Id = "02-00-00-00-01-00"', 'Filter-Id = "guest"']));
    assert.equal(r.code, 'CoA-NAK', r.out);
    assert.deepEqual(r.attrs.get('Error-Cause'), ['Unsupported-Attribute']);
    assert.equal(seen.length, before);
  });

  void it('Disconnect-Request naming another NAS: Disconnect-NAK NAS-Identification-Mismatch (403)', async () => {
    const r = await radclient(port, 'disconnect', signed(['Calling-Station-Id = "02-00-00-00-01-00"', 'NAS-Identifier = "someone-else"']));
    assert.equal(r.code, 'Disconnect-NAK', r.out);
    assert.deepEqual(r.attrs.get('Error-Cause'), ['NAS-Identification-Mismatch']);
  });

  void it('Authorize Only with a State (RFC 5176 §3.2): CoA-NAK Request-Initiated (507), Service-Type Authorize-Only, the State echoed', async () => {
    const r = await radclient(port, 'coa', signed(['Calling-Station-Id = "02-00-00-00-01-00"', 'Service-Type = Authorize-Only', 'State = 0x6169726c6f636b']));
    assert.equal(r.code, 'CoA-NAK', r.out);
    assert.deepEqual(r.attrs.get('Error-Cause'), ['Request-Initiated']);
    assert.deepEqual(r.attrs.get('Service-Type'), ['Authorize-Only']);
    assert.deepEqual(r.attrs.get('State'), ['0x6169726c6f636b']);
    assert.equal(stations.get('02-00-00-00-01-00')?.reauthenticated, 1);
  });

  void it('radclient retransmits while the owner is still acting: one action, one ACK', async () => {
    const dropsBefore = das.stats().total.dropped['duplicate-in-progress'];
    // The owner answers after 1.5 s; radclient retries every 0.6 s (up to 3.6 s) with the same Identifier and authenticator.
    const r = await radclient(port, 'disconnect', signed(['Calling-Station-Id = "02-00-00-00-03-00"']), { timeoutSec: 0.6, retries: 6 });
    assert.equal(r.code, 'Disconnect-ACK', r.out);
    assert.equal(stations.get('02-00-00-00-03-00')?.disconnected, 1);
    assert.ok(das.stats().total.dropped['duplicate-in-progress'] > dropsBefore, 'the retransmissions were recognised');
  });

  void it('no answer: without Message-Authenticator, from an outsider, with a stale Event-Timestamp, with another secret - each counted', async () => {
    const before = das.stats().total.dropped;
    const quiet = { timeoutSec: 1, retries: 1 };
    const replies = await Promise.all([
      radclient(port, 'disconnect', ['Calling-Station-Id = "02-00-00-00-01-00"', `Event-Timestamp = ${nowSec()}`], quiet),
      radclient(outsiderPort, 'disconnect', signed(['Calling-Station-Id = "02-00-00-00-01-00"']), quiet),
      radclient(port, 'disconnect', signed(['Calling-Station-Id = "02-00-00-00-01-00"'], nowSec() - 3600), quiet),
      radclient(port, 'coa', signed(['Calling-Station-Id = "02-00-00-00-01-00"', 'Session-Timeout = 60']), { ...quiet, secret: 'not the secret' }),
    ]);
    for (const r of replies) {
      assert.equal(r.code, undefined, r.out);
      assert.match(r.out, /No reply/);
      assert.notEqual(r.exit, 0);
    }
    const after = das.stats().total.dropped;
    assert.equal(after['missing-message-authenticator'] - before['missing-message-authenticator'], 1);
    assert.equal(after['stale-event-timestamp'] - before['stale-event-timestamp'], 1);
    assert.equal(after['bad-request-authenticator'] - before['bad-request-authenticator'], 1);
    assert.equal(outsider.stats().total.dropped['unknown-client'], 1);
    assert.equal(stations.get('02-00-00-00-01-00')?.disconnected, 1, 'none of them acted');
  });

  void it('counters: ACKs and NAKs by Error-Cause, what the service exports', () => {
    const s = das.stats();
    assert.deepEqual(s.total.acks, { disconnect: 2, coa: 2 });
    assert.deepEqual(s.total.naks, { disconnect: { 403: 1, 503: 1 }, coa: { 401: 1, 507: 1 } });
    assert.equal(s.clients.radclient.requests.disconnect + s.clients.radclient.requests.coa, 8);
    assert.equal(s.pending, 0);
  });
});
