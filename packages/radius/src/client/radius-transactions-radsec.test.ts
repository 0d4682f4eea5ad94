// The RADIUS client's transactions with RadSec servers (RFC 6614, RFC 6613's stream rules)
// on virtual time: connections opened, lost and watched by the transactions, no sockets.
// The driver is played here: connect commands are answered with connectionOpened() or
// connectionClosed(), records with the codec's buildResponse.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { buildResponse, decodeRadius, type RadiusAttribute, type RadiusPacket } from '../codec/index.js';
import { serverConfigOf } from './radius-client.js';
import {
  RadiusTransactions,
  timeoutBudget,
  type ConnectionCommand,
  type OutgoingDatagram,
  type RadiusOutcome,
  type RadiusResultReport,
  type RadiusServerConfig,
  type TransactionOptions,
} from './radius-transactions.js';

// RFC 2865 §3 / RFC 2866 §3 / RFC 5997 codes and attribute types, spelled out here.
const ACCESS_REQUEST = 1;
const ACCESS_ACCEPT = 2;
const ACCESS_REJECT = 3;
const ACCOUNTING_REQUEST = 4;
const ACCOUNTING_RESPONSE = 5;
const STATUS_SERVER = 12;
const USER_NAME = 1;

const RADSEC = Buffer.from('radsec');
const UDP_SECRET = Buffer.from('udp-secret');
const ADDRESS = '192.0.2.10';
const TLS_PORT = 2083;

const userName = (s: string): RadiusAttribute => ({ type: USER_NAME, value: Buffer.from(s) });

function counterRandom(): (n: number) => Buffer {
  let c = 0;
  return (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = (c++ * 37 + 11) & 0xff;
    return b;
  };
}

function tlsServer(name: string): RadiusServerConfig {
  return { name, authPort: TLS_PORT, acctPort: TLS_PORT, secret: RADSEC, transport: 'tls' };
}

function udpServer(name: string): RadiusServerConfig {
  return { name, authPort: 1812, acctPort: 1813, secret: UDP_SECRET };
}

interface Sent {
  d: OutgoingDatagram;
  packet: RadiusPacket;
  at: number;
}

/** The transactions, a scripted driver and a record of what they did, on a virtual clock from 0. */
class Bench {
  readonly t: RadiusTransactions<string>;
  readonly servers: RadiusServerConfig[];
  now = 0;
  readonly sent: Sent[] = [];
  readonly commands: (ConnectionCommand & { at: number })[] = [];
  readonly outcomes = new Map<string, RadiusOutcome>();
  readonly reports: RadiusResultReport[] = [];
  readonly states: [string, boolean][] = [];
  readonly connections: [string, number, boolean][] = [];
  /** How the scripted driver answers a connect command (default: the test does it by hand). */
  onConnect: ((c: ConnectionCommand) => void) | undefined;

  constructor(servers: RadiusServerConfig[], opts: Partial<Omit<TransactionOptions, 'servers'>> = {}) {
    this.servers = servers;
    this.t = new RadiusTransactions<string>({ timeoutMs: 1000, maxRetransmits: 2, deadAfterMs: 60_000, probeIntervalMs: 5000, ...opts, servers, now: 0, random: counterRandom() });
    servers.forEach((_s, i) => this.t.setServerAddress(i, ADDRESS));
  }

  start(): this {
    this.t.openConnections(this.now);
    this.drain();
    return this;
  }

  access(tag: string, attributes: RadiusAttribute[] = [userName(tag)]): void {
    this.t.submit('access', attributes, undefined, tag, this.now);
    this.drain();
  }

  accounting(tag: string): void {
    this.t.submit('accounting', [userName(tag)], undefined, tag, this.now);
    this.drain();
  }

  open(server = 0, socket = 0): void {
    this.t.connectionOpened(server, socket, this.now);
    this.drain();
  }

  lose(server = 0, socket = 0, detail = 'closed by the server', reason?: string): void {
    this.t.connectionClosed(server, socket, this.now, detail, reason);
    this.drain();
  }

  until(to: number): void {
    for (let at = this.t.nextDeadline(); at !== undefined && at <= to; at = this.t.nextDeadline()) {
      this.now = Math.max(this.now, at);
      this.t.tick(this.now);
      this.drain();
    }
    this.now = to;
  }

  answer(s: Sent, code: number, o: { messageAuthenticator?: boolean } = {}): void {
    const secret = this.servers[s.d.server].secret;
    const bytes = buildResponse({
      code,
      identifier: s.packet.identifier,
      requestAuthenticator: s.d.bytes.subarray(4, 20),
      attributes: [],
      secret,
      messageAuthenticator: o.messageAuthenticator ?? code !== ACCOUNTING_RESPONSE,
    });
    this.t.handle(bytes, s.d.server, s.d.socket, { address: ADDRESS, port: s.d.port }, this.now);
    this.drain();
  }

  drain(): void {
    for (;;) {
      let progressed = false;
      for (let d = this.t.pollTransmit(); d !== undefined; d = this.t.pollTransmit()) {
        const p = decodeRadius(d.bytes);
        assert.ok(p.ok, 'every record sent decodes');
        this.sent.push({ d, packet: p.value, at: this.now });
      }
      for (let c = this.t.pollConnection(); c !== undefined; c = this.t.pollConnection()) {
        this.commands.push({ ...c, at: this.now });
        if (c.type === 'connect' && this.onConnect !== undefined) {
          this.onConnect(c);
          progressed = true;
        }
      }
      for (let e = this.t.pollEvent(); e !== undefined; e = this.t.pollEvent()) {
        if (e.type === 'done') {
          assert.ok(!this.outcomes.has(e.tag), `${e.tag} completes once`);
          this.outcomes.set(e.tag, e.outcome);
        } else if (e.type === 'report') this.reports.push(e.report);
        else if (e.type === 'server-state') this.states.push([e.server, e.alive]);
        else this.connections.push([e.server, e.socket, e.open]);
      }
      if (!progressed) return;
    }
  }

  of(user: string): Sent[] {
    return this.sent.filter((s) => s.packet.attributes.find((a) => a.type === USER_NAME)?.value.toString() === user);
  }

  last(user: string): Sent {
    const all = this.of(user);
    assert.ok(all.length > 0, `${user} was sent`);
    return all[all.length - 1];
  }

  statusServers(server = 0): Sent[] {
    return this.sent.filter((s) => s.packet.code === STATUS_SERVER && s.d.server === server);
  }

  connects(server = 0): number[] {
    return this.commands.filter((c) => c.type === 'connect' && c.server === server).map((c) => c.at);
  }

  code(tag: string): number | string | undefined {
    const o = this.outcomes.get(tag);
    return o === undefined ? undefined : o.ok ? o.value.code : o.error.reason;
  }
}

describe('RadSec transactions: connections (RFC 6614)', () => {
  it('openConnections: one connect per RadSec server, none for a UDP server', () => {
    const b = new Bench([tlsServer('radsec'), udpServer('udp')]).start();
    assert.deepEqual(b.commands.map((c) => [c.type, c.server, c.socket]), [['connect', 0, 0]]);
  });

  it('a request waits for its connection and is written once it opens, with the "radsec" secret', () => {
    const b = new Bench([tlsServer('radsec')]).start();
    b.access('alice');
    assert.equal(b.sent.length, 0, 'nothing written before TLS is up');
    b.now = 40;
    b.open();
    assert.equal(b.of('alice').length, 1);
    assert.equal(b.last('alice').packet.code, ACCESS_REQUEST);
    b.now = 50;
    b.answer(b.last('alice'), ACCESS_ACCEPT);
    const o = b.outcomes.get('alice');
    assert.ok(o?.ok);
    assert.equal(o.value.rttMs, 10, 'from the first write, not from the wait for the connection');
    assert.deepEqual(b.t.serverStates()[0].connections, { open: 1, opened: 1 });
  });

  it('many requests, one connection: its Identifier space; the 257th opens a second connection', () => {
    const b = new Bench([tlsServer('radsec')], { maxInFlight: 1000 }).start();
    b.open();
    for (let i = 0; i < 300; i++) b.access(`u${i}`);
    assert.equal(b.sent.filter((s) => s.d.socket === 0).length, 256);
    assert.deepEqual(b.commands.map((c) => [c.type, c.socket]), [['connect', 0], ['connect', 1]], 'one more connection for the 44 beyond 256');
    b.open(0, 1);
    assert.equal(b.sent.filter((s) => s.d.socket === 1).length, 44);
    assert.equal(new Set(b.sent.map((s) => `${s.d.socket}/${s.packet.identifier}`)).size, 300, 'every (connection, Identifier) unique');
    for (const s of [...b.sent]) b.answer(s, ACCESS_ACCEPT);
    assert.equal(b.outcomes.size, 300);
    for (let i = 0; i < 100; i++) b.access(`v${i}`);
    assert.equal(b.commands.length, 2, 'no third connection: the freed Identifiers are used');
  });
});

describe('RadSec transactions: no retransmission on a connection (RFC 6613, RFC 5080 §2.2.1)', () => {
  it('an unanswered request is written once and waits the whole budget (1 + 2 + 4 s), then moves to the UDP server', () => {
    const b = new Bench([tlsServer('radsec'), udpServer('udp')]).start();
    b.open();
    b.access('alice');
    assert.equal(timeoutBudget(2, 1000, 2, 8000), 7000);
    assert.equal(b.t.nextDeadline(), 7000, 'one wait: the budget');
    b.until(6999);
    assert.equal(b.of('alice').length, 1, 'never written again on the same connection');
    b.until(7000);
    const [onTls, onUdp] = b.of('alice');
    assert.deepEqual([onTls.d.server, onUdp.d.server], [0, 1]);
    assert.equal(onUdp.at, 7000);
    assert.deepEqual(b.reports, [{ server: 'radsec', code: 'timeout', kind: 'access' }]);
    assert.deepEqual(b.states, [['radsec', false]]);
    b.answer(onUdp, ACCESS_ACCEPT);
    assert.equal(b.code('alice'), ACCESS_ACCEPT);
    assert.equal(b.commands.filter((c) => c.type === 'close').length, 0, 'a silent server does not close the connection by itself');
  });

  it('the connection closes under a request: written again on the next one, same Identifier and bytes, answered there', () => {
    const b = new Bench([tlsServer('radsec')]).start();
    b.open();
    b.access('warmup');
    b.answer(b.last('warmup'), ACCESS_ACCEPT); // the connection has worked
    b.now = 100;
    b.access('alice');
    const first = b.last('alice');
    b.now = 300;
    b.lose();
    assert.deepEqual(b.commands.map((c) => [c.type, c.at]), [['connect', 0], ['connect', 300]], 'a connection that worked is opened again at once');
    assert.equal(b.of('alice').length, 1, 'nothing written while it is down');
    b.now = 320;
    b.open();
    const again = b.last('alice');
    assert.equal(b.of('alice').length, 2);
    assert.deepEqual(again.d.bytes, first.d.bytes, 'same Identifier, Request Authenticator and bytes on the new connection');
    b.now = 330;
    b.answer(again, ACCESS_ACCEPT);
    const o = b.outcomes.get('alice');
    assert.ok(o?.ok);
    assert.equal(o.value.rttMs, 230, 'from the first transmission to this server');
    assert.deepEqual(b.connections, [['radsec', 0, true], ['radsec', 0, false], ['radsec', 0, true]]);
    assert.deepEqual(b.t.serverStates()[0].connections, { open: 1, opened: 2 });
  });

  it('the budget runs across reconnections: a request written twice still gives up 7 s after its first transmission', () => {
    const b = new Bench([tlsServer('radsec')]).start();
    b.open();
    b.access('warmup');
    b.answer(b.last('warmup'), ACCESS_ACCEPT);
    b.access('alice');
    b.now = 3000;
    b.lose();
    b.open();
    b.until(6999);
    assert.equal(b.of('alice').length, 2);
    assert.equal(b.code('alice'), undefined);
    b.until(7000);
    assert.equal(b.code('alice'), 'timeout');
  });

  it('Message-Authenticator stays required: an Access-Accept without it is dropped over TLS too', () => {
    const b = new Bench([tlsServer('radsec')]).start();
    b.open();
    b.access('alice');
    b.answer(b.last('alice'), ACCESS_ACCEPT, { messageAuthenticator: false });
    assert.equal(b.code('alice'), undefined);
    assert.equal(b.reports.at(-1)?.reason, 'missing-message-authenticator');
    b.answer(b.last('alice'), ACCESS_REJECT);
    assert.equal(b.code('alice'), ACCESS_REJECT);
  });

  it('Accounting-Request over TLS: answered on the connection, same port as authentication', () => {
    const b = new Bench([tlsServer('radsec')]).start();
    b.open();
    b.accounting('acct');
    const s = b.last('acct');
    assert.equal(s.packet.code, ACCOUNTING_REQUEST);
    assert.equal(s.d.socket, 0);
    b.answer(s, ACCOUNTING_RESPONSE);
    assert.equal(b.code('acct'), ACCOUNTING_RESPONSE);
  });
});

describe('RadSec transactions: failover between RadSec and UDP servers', () => {
  it('RadSec primary cannot be reached: marked dead, the waiting request goes to the UDP server at once', () => {
    const b = new Bench([tlsServer('radsec'), udpServer('udp')]).start();
    b.access('alice');
    b.now = 10;
    b.lose(0, 0, 'not established: connect ECONNREFUSED');
    assert.deepEqual(b.states, [['radsec', false]]);
    assert.deepEqual(b.of('alice').map((s) => [s.d.server, s.at]), [[1, 10]]);
    assert.deepEqual(b.reports, [{ server: 'radsec', code: 'timeout', kind: 'access' }]);
    b.answer(b.last('alice'), ACCESS_ACCEPT);
    assert.equal(b.code('alice'), ACCESS_ACCEPT);
    b.access('bob');
    assert.equal(b.last('bob').d.server, 1, 'new requests skip the dead RadSec server');
  });

  it('and back: a probe opens a new connection after the backoff, its Status-Server is answered, new requests return to RadSec', () => {
    const b = new Bench([tlsServer('radsec'), udpServer('udp')], { probeIntervalMs: 2000 }).start();
    b.lose(0, 0, 'not established: connect ECONNREFUSED');
    assert.deepEqual(b.states, [['radsec', false]]);
    b.until(1999);
    assert.deepEqual(b.connects(), [0], 'no attempt before the probe');
    b.until(2000);
    assert.deepEqual(b.connects(), [0, 2000], 'the probe needs a connection');
    b.now = 2010;
    b.open();
    const [probe] = b.statusServers();
    assert.ok(probe !== undefined, 'the Status-Server is written once the connection is up');
    b.now = 2015;
    b.answer(probe, ACCESS_ACCEPT);
    assert.deepEqual(b.states, [['radsec', false], ['radsec', true]]);
    assert.deepEqual(b.reports.at(-1), { server: 'radsec', code: ACCESS_ACCEPT, rttMs: 5, kind: 'status' });
    b.access('carol');
    assert.equal(b.last('carol').d.server, 0, 'back on RadSec');
    assert.equal(b.last('carol').d.socket, 0, 'on the probe\'s connection');
  });

  it('UDP primary silent: the request moves to the RadSec secondary, re-signed with its secret', () => {
    const b = new Bench([udpServer('udp'), tlsServer('radsec')], { maxRetransmits: 1 }).start();
    b.open(1);
    b.access('alice');
    b.until(3000);
    const [u1, u2, t1] = b.of('alice');
    assert.deepEqual([u1.d.server, u2.d.server, t1.d.server], [0, 0, 1]);
    assert.deepEqual(u2.d.bytes, u1.d.bytes, 'UDP retransmits the same datagram');
    b.answer(t1, ACCESS_ACCEPT); // signed with "radsec": verifies only if the request was
    assert.equal(b.code('alice'), ACCESS_ACCEPT);
    assert.deepEqual(b.states, [['udp', false]]);
  });

  it('RadSec connection lost and not coming back: the request moves to UDP when the reconnection fails', () => {
    const b = new Bench([tlsServer('radsec'), udpServer('udp')]).start();
    b.open();
    b.access('warmup');
    b.answer(b.last('warmup'), ACCESS_ACCEPT);
    b.access('alice');
    b.now = 500;
    b.lose(0, 0, 'closed by the server');
    assert.deepEqual(b.connects(), [0, 500]);
    b.now = 501;
    b.lose(0, 0, 'not established: connect ECONNREFUSED');
    assert.deepEqual(b.of('alice').map((s) => s.d.server), [0, 1]);
    assert.deepEqual(b.states, [['radsec', false]]);
  });

  it('only RadSec, and it cannot be reached: the request waits for the next connection within its budget', () => {
    const b = new Bench([tlsServer('radsec')], { reconnectMinMs: 1000 }).start();
    b.access('alice');
    b.lose(0, 0, 'not established: connect ECONNREFUSED');
    assert.equal(b.code('alice'), undefined, 'no other server: it stays');
    b.until(999);
    assert.deepEqual(b.connects(), [0]);
    b.until(1000);
    assert.deepEqual(b.connects(), [0, 1000], 'not before the backoff');
    b.now = 1100;
    b.open();
    b.answer(b.last('alice'), ACCESS_ACCEPT);
    assert.equal(b.code('alice'), ACCESS_ACCEPT);
    assert.deepEqual(b.states, [['radsec', false], ['radsec', true]]);
  });
});

describe('RadSec transactions: reconnection backoff and timeouts', () => {
  it('failed attempts: the next waits reconnectMinMs doubling up to reconnectMaxMs; never at once', () => {
    const b = new Bench([tlsServer('radsec')], { reconnectMinMs: 1000, reconnectMaxMs: 4000, probeIntervalMs: 500 }).start();
    b.onConnect = (c) => {
      b.t.connectionClosed(c.server, c.socket, b.now, 'not established: connect ECONNREFUSED');
    };
    b.lose(0, 0, 'not established: connect ECONNREFUSED');
    b.until(20_000);
    assert.deepEqual(b.connects(), [0, 1000, 3000, 7000, 11_000, 15_000, 19_000]);
    assert.deepEqual(b.t.serverStates()[0].unansweredWhileDead.probes, 6, 'each attempt was a probe');
  });

  it('an attempt not established within connectTimeoutMs is closed and counts as failed', () => {
    const b = new Bench([tlsServer('radsec'), udpServer('udp')], { connectTimeoutMs: 3000 }).start();
    b.access('alice');
    b.until(2999);
    assert.equal(b.of('alice').length, 0);
    b.until(3000);
    assert.deepEqual(b.commands.map((c) => [c.type, c.at]), [['connect', 0], ['close', 3000]]);
    assert.deepEqual(b.states, [['radsec', false]]);
    assert.equal(b.last('alice').d.server, 1);
  });

  it('a connection that opens and closes before any answer (a refused client certificate) backs off', () => {
    const b = new Bench([tlsServer('radsec')], { reconnectMinMs: 1000 }).start();
    b.onConnect = (c) => {
      b.t.connectionOpened(c.server, c.socket, b.now);
      b.t.connectionClosed(c.server, c.socket, b.now, 'closed: tlsv13 alert certificate required');
    };
    b.open();
    b.lose();
    b.until(3500);
    assert.deepEqual(b.connects(), [0, 1000, 3000]);
  });

  it('a framing error the driver reports: counted as invalid with its reason, and the connection opened again', () => {
    const b = new Bench([tlsServer('radsec')]).start();
    b.open();
    b.access('warmup');
    b.answer(b.last('warmup'), ACCESS_ACCEPT);
    b.lose(0, 0, 'dropped: a record Length of 5000 octets', 'record-too-long');
    assert.deepEqual(b.reports.at(-1), { server: 'radsec', code: 'invalid', reason: 'record-too-long', source: { address: ADDRESS, port: TLS_PORT } });
    assert.deepEqual(b.connects(), [0, 0]);
  });
});

describe('RadSec transactions: watchdog (RFC 3539 watchdog, RFC 5997 Status-Server)', () => {
  it('an idle connection gets a Status-Server after watchdogIdleMs; an answer keeps it, and the next comes one idle period later', () => {
    const b = new Bench([tlsServer('radsec')], { watchdogIdleMs: 10_000 }).start();
    b.open();
    b.until(9999);
    assert.equal(b.statusServers().length, 0);
    b.until(10_000);
    const [w] = b.statusServers();
    assert.ok(w !== undefined);
    assert.equal(w.d.socket, 0);
    b.now = 10_020;
    b.answer(w, ACCESS_ACCEPT);
    assert.deepEqual(b.reports.at(-1), { server: 'radsec', code: ACCESS_ACCEPT, rttMs: 20, kind: 'status' });
    b.until(20_019);
    assert.equal(b.statusServers().length, 1);
    b.until(20_020);
    assert.equal(b.statusServers().length, 2);
  });

  it('answers to requests count as heard: a busy connection needs no watchdog', () => {
    const b = new Bench([tlsServer('radsec')], { watchdogIdleMs: 10_000 }).start();
    b.open();
    for (let t = 0; t < 30_000; t += 5000) {
      b.until(t);
      b.access(`u${t}`);
      b.answer(b.last(`u${t}`), ACCESS_ACCEPT);
    }
    assert.equal(b.statusServers().length, 0);
  });

  it('a watchdog unanswered within the budget: the connection is closed and opened again; a waiting request is written on the new one', () => {
    const b = new Bench([tlsServer('radsec')], { watchdogIdleMs: 10_000, reconnectMinMs: 200 }).start();
    b.open();
    b.until(10_000);
    assert.equal(b.statusServers().length, 1);
    b.now = 10_500;
    b.access('alice'); // written on a connection that no longer answers
    const first = b.last('alice');
    b.until(16_999);
    assert.deepEqual(b.commands.map((c) => c.type), ['connect']);
    b.until(17_000); // the watchdog's budget: 7 s
    assert.deepEqual(b.commands.map((c) => [c.type, c.at]), [['connect', 0], ['close', 17_000]]);
    assert.equal(b.commands[1].type === 'close' ? b.commands[1].reason : '', 'watchdog unanswered');
    assert.deepEqual(b.reports.at(-1), { server: 'radsec', code: 'timeout', kind: 'status' });
    // The connection never carried an answer: the next attempt waits the backoff.
    b.until(17_199);
    assert.deepEqual(b.connects(), [0]);
    b.until(17_200);
    assert.deepEqual(b.connects(), [0, 17_200]);
    b.open();
    assert.deepEqual(b.last('alice').d.bytes, first.d.bytes, 'written again on the new connection');
    b.answer(b.last('alice'), ACCESS_ACCEPT);
    assert.equal(b.code('alice'), ACCESS_ACCEPT);
  });
});

describe('RadSec transactions: close()', () => {
  it('closes its connections and leaves nothing timed', () => {
    const b = new Bench([tlsServer('radsec'), tlsServer('radsec-2')]).start();
    b.open(0);
    b.access('alice');
    b.t.close();
    b.drain();
    assert.equal(b.code('alice'), 'closed');
    assert.deepEqual(b.commands.filter((c) => c.type === 'close').map((c) => c.server), [0, 1]);
    assert.equal(b.t.nextDeadline(), undefined);
  });
});

describe('serverConfigOf', () => {
  it('a RadSec entry: one port (default 2083) for both services, the "radsec" secret unless given', () => {
    const tls = { ca: 'x', cert: 'y', key: 'z' };
    assert.deepEqual(serverConfigOf({ transport: 'tls', name: 'r', host: 'radius.example', tls }), { name: 'r', authPort: 2083, acctPort: 2083, secret: Buffer.from('radsec'), transport: 'tls' });
    assert.deepEqual(serverConfigOf({ transport: 'tls', name: 'r', host: 'h', port: 12083, secret: Buffer.from('s'), tls }), { name: 'r', authPort: 12083, acctPort: 12083, secret: Buffer.from('s'), transport: 'tls' });
    const udp = { name: 'u', host: 'h', authPort: 1812, acctPort: 1813, secret: Buffer.from('k') };
    assert.equal(serverConfigOf(udp), udp);
  });
});
