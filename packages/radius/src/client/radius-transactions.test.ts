// The RADIUS client's transactions on virtual time (RFC 2865, 2866, 3579, 5080 §2.2.1, 5997):
// no sockets, no timers; servers are answered in memory with the codec's buildResponse.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { buildResponse, decodeRadius, hideUserPassword, type RadiusAttribute, type RadiusPacket } from '../codec/index.js';
import {
  RadiusTransactions,
  type OutgoingDatagram,
  type RadiusOutcome,
  type RadiusResultReport,
  type RequestOptions,
  type TransactionOptions,
} from './radius-transactions.js';

// RFC 2865 §3 / RFC 2866 §3 / RFC 5997 codes and attribute types, spelled out here.
const ACCESS_REQUEST = 1;
const ACCESS_ACCEPT = 2;
const ACCESS_REJECT = 3;
const ACCOUNTING_REQUEST = 4;
const ACCOUNTING_RESPONSE = 5;
const ACCESS_CHALLENGE = 11;
const STATUS_SERVER = 12;
const USER_NAME = 1;
const USER_PASSWORD = 2;
const STATE = 24;
const ACCT_DELAY_TIME = 41;
const MESSAGE_AUTHENTICATOR = 80;

const SECRETS = [Buffer.from('primary-secret'), Buffer.from('secondary-secret'), Buffer.from('third-secret')];
const NAMES = ['primary', 'secondary', 'third'];
const ADDRESSES = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
const AUTH_PORT = 1812;
const ACCT_PORT = 1813;

const userName = (s: string): RadiusAttribute => ({ type: USER_NAME, value: Buffer.from(s) });
const state = (s: string): RadiusAttribute => ({ type: STATE, value: Buffer.from(s) });

/** A deterministic "CSPRNG": a counter, so every Request Authenticator differs. */
function counterRandom(): (n: number) => Buffer {
  let c = 0;
  return (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = (c++ * 37 + 11) & 0xff;
    return b;
  };
}

/** A datagram sent, decoded. */
interface Sent {
  d: OutgoingDatagram;
  packet: RadiusPacket;
  at: number;
}

/** The transactions plus a record of what they did, on a virtual clock starting at 0. */
class Bench {
  readonly t: RadiusTransactions<string>;
  now = 0;
  readonly sent: Sent[] = [];
  readonly outcomes = new Map<string, RadiusOutcome>();
  readonly completed: string[] = [];
  readonly reports: RadiusResultReport[] = [];
  readonly states: [string, boolean][] = [];

  constructor(opts: Partial<Omit<TransactionOptions, 'servers'>> & { servers?: number } = {}) {
    const n = opts.servers ?? 1;
    const servers = NAMES.slice(0, n).map((name, i) => ({ name, authPort: AUTH_PORT, acctPort: ACCT_PORT, secret: SECRETS[i] }));
    this.t = new RadiusTransactions<string>({ timeoutMs: 1000, maxRetransmits: 2, deadAfterMs: 60_000, probeIntervalMs: 5000, ...opts, servers, now: 0, random: counterRandom() });
    for (let i = 0; i < n; i++) this.t.setServerAddress(i, ADDRESSES[i]);
  }

  access(tag: string, attributes: RadiusAttribute[] = [userName(tag)], options?: RequestOptions): void {
    this.t.submit('access', attributes, options, tag, this.now);
    this.drain();
  }

  accounting(tag: string, attributes: RadiusAttribute[] = [], options?: RequestOptions): void {
    this.t.submit('accounting', attributes, options, tag, this.now);
    this.drain();
  }

  /** Advances the clock to `to`, ticking at every deadline on the way (as a driver's timer would). */
  until(to: number): void {
    for (let at = this.t.nextDeadline(); at !== undefined && at <= to; at = this.t.nextDeadline()) {
      this.now = Math.max(this.now, at);
      this.t.tick(this.now);
      this.drain();
    }
    this.now = to;
  }

  /** Answers `s` from its server with `code` (signed with `secret`, Message-Authenticator unless an Accounting-Response). */
  answer(s: Sent, code: number, attributes: RadiusAttribute[] = [], o: { secret?: Buffer; mutate?: (b: Buffer) => Buffer; from?: { address: string; port: number } } = {}): void {
    const bytes = buildResponse({
      code,
      identifier: s.packet.identifier,
      requestAuthenticator: s.d.bytes.subarray(4, 20),
      attributes,
      secret: o.secret ?? SECRETS[s.d.server],
      messageAuthenticator: code !== ACCOUNTING_RESPONSE,
    });
    this.receive(s, o.mutate ? o.mutate(bytes) : bytes, o.from);
  }

  /** Hands `bytes` to the transactions as arriving on `s`'s socket from `s`'s server (or `from`). */
  receive(s: Sent, bytes: Buffer, from = { address: ADDRESSES[s.d.server], port: s.d.port }): void {
    this.t.handle(bytes, s.d.server, s.d.socket, from, this.now);
    this.drain();
  }

  drain(): void {
    for (let d = this.t.pollTransmit(); d !== undefined; d = this.t.pollTransmit()) {
      const p = decodeRadius(d.bytes);
      assert.ok(p.ok, 'every datagram sent decodes');
      this.sent.push({ d, packet: p.value, at: this.now });
    }
    for (let e = this.t.pollEvent(); e !== undefined; e = this.t.pollEvent()) {
      if (e.type === 'done') {
        assert.ok(!this.outcomes.has(e.tag), `${e.tag} completes once`);
        this.outcomes.set(e.tag, e.outcome);
        this.completed.push(e.tag);
      } else if (e.type === 'report') this.reports.push(e.report);
      else if (e.type === 'server-state') this.states.push([e.server, e.alive]);
    }
  }

  /** The datagrams sent with `user` as User-Name. */
  of(user: string): Sent[] {
    return this.sent.filter((s) => s.packet.attributes.find((a) => a.type === USER_NAME)?.value.toString() === user);
  }

  last(user: string): Sent {
    const all = this.of(user);
    assert.ok(all.length > 0, `${user} was sent`);
    return all[all.length - 1];
  }

  code(tag: string): number | string | undefined {
    const o = this.outcomes.get(tag);
    return o === undefined ? undefined : o.ok ? o.value.code : o.error.reason;
  }
}

describe('RadiusTransactions: retransmission (RFC 5080 §2.2.1)', () => {
  it('a request nobody answers: the same datagram at 0, 1, 3, 6 s (doubling, MRT 3 s), given up at 9 s', () => {
    const b = new Bench({ maxRetransmits: 3, maxTimeoutMs: 3000 });
    b.access('alice');
    assert.equal(b.t.nextDeadline(), 1000, 'the first wait is timeoutMs');
    b.until(20_000);
    const sent = b.of('alice');
    assert.deepEqual(sent.map((s) => s.at), [0, 1000, 3000, 6000]);
    for (const s of sent) {
      assert.deepEqual(s.d.bytes, sent[0].d.bytes, 'same Identifier, Request Authenticator and bytes');
      assert.equal(s.d.socket, sent[0].d.socket, 'same source port');
    }
    assert.equal(b.code('alice'), 'timeout');
    const o = b.outcomes.get('alice');
    assert.ok(o !== undefined && !o.ok);
    assert.deepEqual(o.error.servers, ['primary']);
    assert.equal(b.completed.length, 1);
    assert.deepEqual(b.reports.filter((r) => r.kind === 'access'), [{ server: 'primary', code: 'timeout', kind: 'access' }]);
    assert.deepEqual(b.t.serverStates().map((s) => [s.alive, s.timeouts, s.inFlight]), [[false, 1, 0]], 'marked dead, one timeout, Identifier given back');
  });

  it('an answer after a retransmission completes the request; the RTT counts from the first transmission to that server', () => {
    const b = new Bench();
    b.access('alice');
    b.until(1500);
    assert.equal(b.of('alice').length, 2);
    b.answer(b.last('alice'), ACCESS_ACCEPT);
    const o = b.outcomes.get('alice');
    assert.ok(o?.ok);
    assert.equal(o.value.rttMs, 1500);
    assert.equal(o.value.server, 'primary');
    const st = b.t.serverStates()[0];
    assert.equal(st.lastRttMs, 1500);
    assert.equal(st.srttMs, 1500, 'the first sample sets SRTT');
    assert.equal(b.t.nextDeadline(), undefined, 'nothing left to time: no dead timer after an answer');
  });

  it('SRTT follows RFC 6298 with gain 1/8', () => {
    const b = new Bench();
    b.access('a');
    b.until(8);
    b.answer(b.last('a'), ACCESS_ACCEPT);
    b.access('b');
    b.until(24);
    b.answer(b.last('b'), ACCESS_CHALLENGE);
    const st = b.t.serverStates()[0];
    assert.equal(st.lastRttMs, 16);
    assert.equal(st.srttMs, 9);
  });
});

describe('RadiusTransactions: failover and server health (RFC 5997)', () => {
  it('the primary never answers: the request moves to the secondary with a new Identifier and authenticator; the primary is marked dead', () => {
    const b = new Bench({ servers: 2, maxRetransmits: 1 });
    b.access('alice');
    b.until(3000);
    const [p1, p2, s1] = b.of('alice');
    assert.deepEqual([p1.d.server, p2.d.server, s1.d.server], [0, 0, 1]);
    assert.deepEqual([p1.at, p2.at, s1.at], [0, 1000, 3000]);
    assert.notDeepEqual(s1.packet.authenticator, p1.packet.authenticator, 'new Request Authenticator on the next server');
    assert.equal(s1.packet.attributes[0]?.type, MESSAGE_AUTHENTICATOR, 'Message-Authenticator first (BlastRADIUS)');
    b.until(3500);
    b.answer(s1, ACCESS_ACCEPT);
    const o = b.outcomes.get('alice');
    assert.ok(o?.ok);
    assert.equal(o.value.server, 'secondary');
    assert.equal(o.value.rttMs, 500, 'from the first transmission to the secondary');
    assert.deepEqual(b.states, [['primary', false]]);
    assert.deepEqual(b.reports.map((r) => [r.server, r.code]), [['primary', 'timeout'], ['secondary', ACCESS_ACCEPT]]);
    // While the primary is dead, new requests go straight to the secondary.
    b.access('bob');
    assert.equal(b.last('bob').d.server, 1);
  });

  it('every server silent: tried in order, then timeout naming them all', () => {
    const b = new Bench({ servers: 3, maxRetransmits: 0 });
    b.access('alice');
    b.until(10_000);
    assert.deepEqual(b.of('alice').map((s) => [s.d.server, s.at]), [[0, 0], [1, 1000], [2, 2000]]);
    const o = b.outcomes.get('alice');
    assert.ok(o !== undefined && !o.ok);
    assert.equal(o.error.reason, 'timeout');
    assert.deepEqual(o.error.servers, NAMES);
  });

  it('a server silent for deadAfterMs is marked dead before its request gives up; new requests skip it', () => {
    const b = new Bench({ servers: 2, timeoutMs: 1000, maxRetransmits: 2, deadAfterMs: 500 });
    b.access('alice');
    b.until(500);
    assert.deepEqual(b.states, [['primary', false]]);
    assert.equal(b.t.serverStates()[0].inFlight, 1, 'the first request keeps waiting on the primary');
    b.access('bob');
    assert.equal(b.last('bob').d.server, 1);
  });

  it('a dead server is probed with Status-Server every probeIntervalMs; an answer brings it back and new requests return to it', () => {
    const b = new Bench({ servers: 2, maxRetransmits: 0, probeIntervalMs: 2000 });
    b.access('alice');
    b.until(1000); // the primary gave up at 1000 and was marked dead; alice went to the secondary
    b.answer(b.last('alice'), ACCESS_ACCEPT);
    assert.deepEqual(b.states, [['primary', false]]);
    b.until(2999);
    assert.equal(b.sent.filter((s) => s.packet.code === STATUS_SERVER).length, 0);
    b.until(3000);
    const probes = (): Sent[] => b.sent.filter((s) => s.packet.code === STATUS_SERVER);
    assert.equal(probes().length, 1, 'first probe probeIntervalMs after the mark');
    const probe = probes()[0];
    assert.equal(probe.d.server, 0);
    assert.equal(probe.packet.attributes[0]?.type, MESSAGE_AUTHENTICATOR, 'RFC 5997 §3: Message-Authenticator required');
    b.until(4000);
    assert.deepEqual(b.reports.at(-1), { server: 'primary', code: 'timeout', kind: 'status' }, 'an unanswered probe is reported');
    assert.equal(b.t.serverStates()[0].alive, false, 'and leaves it dead');
    assert.deepEqual(b.t.serverStates()[0].unansweredWhileDead, { requests: 0, probes: 1 });
    b.until(5000);
    assert.equal(probes().length, 2, 'the next probe one interval later, with a new Identifier and authenticator');
    assert.notDeepEqual(probes()[1].packet.authenticator, probe.packet.authenticator);
    b.until(5100);
    b.answer(probes()[1], ACCESS_ACCEPT);
    assert.deepEqual(b.states, [['primary', false], ['primary', true]]);
    assert.deepEqual(b.reports.at(-1), { server: 'primary', code: ACCESS_ACCEPT, rttMs: 100, kind: 'status' });
    assert.equal(b.t.serverStates()[0].sinceMs, 5100);
    b.access('bob');
    assert.equal(b.last('bob').d.server, 0, 'back to the primary');
    b.answer(b.last('bob'), ACCESS_ACCEPT);
    b.until(60_000);
    assert.equal(probes().length, 2, 'no more probes once alive');
  });

  it('a verified answer to a request also revives a dead server (and stops its probes)', () => {
    const b = new Bench({ servers: 1, maxRetransmits: 0, probeIntervalMs: 2000 });
    b.access('alice');
    b.until(1000);
    assert.deepEqual(b.states, [['primary', false]]);
    b.access('bob'); // the only server, dead: still tried
    b.until(1200);
    b.answer(b.last('bob'), ACCESS_REJECT);
    assert.deepEqual(b.states, [['primary', false], ['primary', true]]);
    b.until(60_000);
    assert.equal(b.sent.filter((s) => s.packet.code === STATUS_SERVER).length, 0);
  });

  it('Accounting failover: re-signed for the secondary, Acct-Delay-Time = the caller\'s value + whole seconds waited', () => {
    const b = new Bench({ servers: 2, maxRetransmits: 1, timeoutMs: 1500 });
    b.accounting('acct', [userName('acct'), { type: ACCT_DELAY_TIME, value: Buffer.from([0, 0, 0, 7]) }]);
    b.until(4500);
    const [first, again, moved] = b.of('acct');
    assert.deepEqual(again.d.bytes, first.d.bytes, 'a retransmission is the same datagram');
    assert.equal(moved.d.server, 1);
    assert.equal(moved.d.port, ACCT_PORT);
    assert.equal(moved.packet.code, ACCOUNTING_REQUEST);
    assert.deepEqual(moved.packet.attributes.filter((a) => a.type === ACCT_DELAY_TIME).map((a) => a.value), [Buffer.from([0, 0, 0, 11])], '7 + 4 whole seconds (4.5 s) waited');
    b.answer(moved, ACCOUNTING_RESPONSE);
    assert.deepEqual(b.outcomes.get('acct'), { ok: true, value: { code: ACCOUNTING_RESPONSE, attributes: [], server: 'secondary', rttMs: 0 } });
  });

  it('User-Password is hidden per server: with its secret and its own Request Authenticator', () => {
    const b = new Bench({ servers: 2, maxRetransmits: 0 });
    const password = Buffer.from('pap password');
    b.access('alice', [userName('alice')], { userPassword: password });
    b.until(1000);
    const [onPrimary, onSecondary] = b.of('alice');
    for (const [s, secret] of [[onPrimary, SECRETS[0]], [onSecondary, SECRETS[1]]] as const) {
      const hidden = s.packet.attributes.find((a) => a.type === USER_PASSWORD)?.value;
      assert.deepEqual(hidden, hideUserPassword(password, secret, s.packet.authenticator));
    }
  });
});

describe('RadiusTransactions: Identifiers (RFC 2865 §3)', () => {
  it('more than 256 in flight to one server: a second source port; every (socket, Identifier) unique; freed ones reused', () => {
    const b = new Bench({ maxInFlight: 1000 });
    for (let i = 0; i < 300; i++) b.access(`u${i}`);
    const pairs = new Set(b.sent.map((s) => `${s.d.socket}/${s.packet.identifier}`));
    assert.equal(pairs.size, 300);
    assert.deepEqual([...new Set(b.sent.map((s) => s.d.socket))].sort(), [0, 1]);
    assert.equal(b.sent.filter((s) => s.d.socket === 0).length, 256);
    assert.equal(b.t.serverStates()[0].sockets, 2);
    for (const s of [...b.sent]) b.answer(s, ACCESS_ACCEPT);
    assert.equal(b.completed.length, 300);
    assert.equal(b.t.serverStates()[0].inFlight, 0);
    for (let i = 0; i < 300; i++) b.access(`v${i}`);
    assert.equal(b.t.serverStates()[0].sockets, 2, 'no third socket: the freed Identifiers are used');
  });

  it('a late duplicate answer (its request already answered) is dropped as unknown-id', () => {
    const b = new Bench();
    b.access('alice');
    const s = b.last('alice');
    b.answer(s, ACCESS_ACCEPT);
    b.answer(s, ACCESS_ACCEPT);
    assert.deepEqual(b.reports.map((r) => [r.code, r.reason]), [[ACCESS_ACCEPT, undefined], ['invalid', 'unknown-id']]);
  });
});

describe('RadiusTransactions: invalid responses are dropped, each counted with its reason', () => {
  const flip = (at: number) => (b: Buffer): Buffer => ((b[at] ^= 0xff), b);
  const cases: { desc: string; send: (b: Bench, s: Sent) => void; reason: string }[] = [
    { desc: 'shorter than a header', send: (b, s) => b.receive(s, Buffer.alloc(12)), reason: 'truncated' },
    { desc: 'Length beyond the datagram', send: (b, s) => b.answer(s, ACCESS_ACCEPT, [], { mutate: (x) => x.subarray(0, x.length - 3) }), reason: 'length-overflow' },
    { desc: 'an Identifier nothing holds', send: (b, s) => b.answer(s, ACCESS_ACCEPT, [], { mutate: (x) => ((x[1] = (x[1] + 1) & 0xff), x) }), reason: 'unknown-id' },
    { desc: 'from another port', send: (b, s) => b.answer(s, ACCESS_ACCEPT, [], { from: { address: ADDRESSES[0], port: 4000 } }), reason: 'unexpected-source' },
    { desc: 'from another address', send: (b, s) => b.answer(s, ACCESS_ACCEPT, [], { from: { address: '198.51.100.9', port: AUTH_PORT } }), reason: 'unexpected-source' },
    { desc: 'signed with another secret', send: (b, s) => b.answer(s, ACCESS_ACCEPT, [], { secret: Buffer.from('wrong') }), reason: 'bad-response-authenticator' },
    { desc: 'a flipped attribute octet', send: (b, s) => b.answer(s, ACCESS_ACCEPT, [userName('x')], { mutate: flip(40) }), reason: 'bad-response-authenticator' },
    { desc: 'an Accounting-Response to an Access-Request', send: (b, s) => b.answer(s, ACCOUNTING_RESPONSE), reason: 'unexpected-code' },
    {
      desc: 'no Message-Authenticator (BlastRADIUS)',
      send: (b, s) => b.receive(s, buildResponse({ code: ACCESS_ACCEPT, identifier: s.packet.identifier, requestAuthenticator: s.d.bytes.subarray(4, 20), attributes: [], secret: SECRETS[0], messageAuthenticator: false })),
      reason: 'missing-message-authenticator',
    },
  ];
  for (const c of cases) {
    it(`${c.desc}: '${c.reason}', and a valid answer after it still completes the request`, () => {
      const b = new Bench();
      b.access('alice');
      const s = b.last('alice');
      c.send(b, s);
      assert.equal(b.completed.length, 0, 'the bad datagram completed nothing');
      assert.equal(b.reports.length, 1);
      const r = b.reports[0];
      assert.equal(r.code, 'invalid');
      assert.equal(r.reason, c.reason);
      assert.equal(r.server, 'primary');
      assert.ok(r.source !== undefined, 'its source is reported');
      b.answer(s, ACCESS_ACCEPT);
      assert.equal(b.code('alice'), ACCESS_ACCEPT);
    });
  }

  it('bytes from anywhere never throw and never complete a request (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 }), (bytes, server, socket) => {
        const b = new Bench();
        b.access('alice');
        const s = b.last('alice');
        const raw = Buffer.from(bytes);
        if (raw.length > 1) raw[1] = s.packet.identifier; // aim at the request in flight
        b.t.handle(raw, server, socket, { address: ADDRESSES[0], port: AUTH_PORT }, 0);
        b.drain();
        assert.equal(b.completed.length, 0);
      }),
    );
  });
});

describe('RadiusTransactions: in-flight slots shared per agent and BSS', () => {
  const A1 = { agent: 'ap-a', bss: 'a1' };
  const A2 = { agent: 'ap-a', bss: 'a2' };
  const B1 = { agent: 'ap-b', bss: 'b1' };

  it('a flood from one agent takes at most the slots less the reserve; another agent gets a reserved slot at once', () => {
    const b = new Bench({ maxInFlight: 8, maxQueued: 100 });
    for (let i = 0; i < 50; i++) b.access(`a${i}`, undefined, { owner: A1 });
    assert.equal(b.sent.length, 7, '8 slots less a reserve of 1');
    assert.equal(b.t.queued, 43);
    b.access('b0', undefined, { owner: B1 });
    assert.equal(b.last('b0').at, 0, 'no wait behind the flood');
  });

  it('a freed slot goes round-robin: the other agent next, then its other BSS', () => {
    const b = new Bench({ maxInFlight: 4, maxQueued: 100 });
    for (let i = 0; i < 20; i++) b.access(`a${i}`, undefined, { owner: A1 });
    b.access('a2-0', undefined, { owner: A2 });
    b.access('b0', undefined, { owner: B1 });
    b.access('b1', undefined, { owner: B1 });
    assert.equal(b.sent.length, 4);
    const order: string[] = [];
    for (let k = 0; k < 5; k++) {
      const before = b.sent.length;
      b.answer(b.sent[k], ACCESS_ACCEPT);
      order.push(...b.sent.slice(before).map((s) => s.packet.attributes[1].value.toString()));
    }
    assert.deepEqual(order, ['a4', 'b0', 'a2-0', 'b1', 'a5'], 'agents alternate; within ap-a, its BSSes alternate');
  });

  it('accounting is a lane of its own: not starved by a flood of Access-Requests of the same agent', () => {
    const b = new Bench({ maxInFlight: 4, maxQueued: 100 });
    for (let i = 0; i < 30; i++) b.access(`a${i}`, undefined, { owner: A1 });
    b.accounting('acct', [userName('acct')], { owner: A1 });
    b.answer(b.sent[0], ACCESS_ACCEPT);
    b.answer(b.sent[1], ACCESS_ACCEPT);
    assert.equal(b.last('acct').packet.code, ACCOUNTING_REQUEST, 'one of the next two freed slots (the lanes alternate), not after 26 Access-Requests');
  });

  it('Status-Server probes need no slot: a dead server is probed while every slot is held', () => {
    const b = new Bench({ servers: 2, maxInFlight: 2, maxQueued: 10, maxRetransmits: 0, deadAfterMs: 100, probeIntervalMs: 200 });
    for (let i = 0; i < 5; i++) b.access(`a${i}`, undefined, { owner: A1 });
    b.until(300);
    assert.ok(b.sent.some((s) => s.packet.code === STATUS_SERVER && s.d.server === 0));
  });

  it('the queue is bounded: a newcomer displaces the newest of a longer lane; past that it is refused', () => {
    const b = new Bench({ maxInFlight: 1, maxQueued: 4 });
    for (let i = 0; i < 5; i++) b.access(`a${i}`, undefined, { owner: A1 }); // 1 in flight, 4 waiting
    assert.equal(b.t.queued, 4);
    b.access('a5', undefined, { owner: A1 });
    assert.equal(b.code('a5'), 'in-flight-cap', 'the flood\'s own newcomer is refused');
    b.access('b0', undefined, { owner: B1 });
    assert.equal(b.code('a4'), 'in-flight-cap', 'the newest of the longest lane made room');
    assert.equal(b.outcomes.has('b0'), false, 'the newcomer waits');
    assert.equal(b.t.queued, 4);
    b.answer(b.sent[0], ACCESS_ACCEPT);
    b.answer(b.sent[1], ACCESS_ACCEPT);
    assert.ok(b.of('b0').length === 1, 'and goes within the next two freed slots (the lanes alternate)');
  });
});

describe('RadiusTransactions: EAP conversations (RFC 3579 §2.6.1)', () => {
  const CONV = { conversation: 'sta-1' };

  it('Reject after failover: the secondary never saw the State, so the request ends as conversation-lost, not a verdict', () => {
    const b = new Bench({ servers: 2, maxRetransmits: 0 });
    b.access('r1', [userName('r1')], CONV);
    b.answer(b.last('r1'), ACCESS_CHALLENGE, [state('s1')]);
    b.access('r2', [userName('r2'), state('s1')], CONV);
    b.until(1000); // the primary died with the conversation
    const moved = b.last('r2');
    assert.equal(moved.d.server, 1);
    b.answer(moved, ACCESS_REJECT);
    const o = b.outcomes.get('r2');
    assert.ok(o !== undefined && !o.ok);
    assert.equal(o.error.reason, 'conversation-lost');
    assert.equal(o.error.heldBy, 'primary');
    assert.deepEqual(o.error.servers, ['primary', 'secondary']);
    assert.equal(b.t.conversationCount, 0, 'the conversation ended');
  });

  it('a Reject from the server holding the conversation is the verdict; a Reject to a new conversation too', () => {
    const b = new Bench({ servers: 2 });
    b.access('r1', [userName('r1')], CONV);
    b.answer(b.last('r1'), ACCESS_CHALLENGE, [state('s1')]);
    b.access('r2', [userName('r2'), state('s1')], CONV);
    b.answer(b.last('r2'), ACCESS_REJECT);
    assert.equal(b.code('r2'), ACCESS_REJECT);
    b.access('r3', [userName('r3')], CONV); // no State: a new conversation
    b.answer(b.last('r3'), ACCESS_REJECT);
    assert.equal(b.code('r3'), ACCESS_REJECT);
  });

  it('a conversation continues on the server holding it, even once the primary is back; a new one goes to the primary', () => {
    const b = new Bench({ servers: 2, maxRetransmits: 0, probeIntervalMs: 2000 });
    b.access('r1', [userName('r1')], CONV);
    b.until(1000); // the primary is dead: r1 is on the secondary
    b.answer(b.last('r1'), ACCESS_CHALLENGE, [state('s1')]);
    b.until(3000);
    const probe = b.sent.filter((s) => s.packet.code === STATUS_SERVER).at(-1);
    assert.ok(probe !== undefined);
    b.answer(probe, ACCESS_ACCEPT);
    assert.equal(b.t.serverStates()[0].alive, true);
    b.access('r2', [userName('r2'), state('s1')], CONV);
    assert.equal(b.last('r2').d.server, 1, 'the State lives on the secondary');
    b.access('n1', [userName('n1')], { conversation: 'sta-2' });
    assert.equal(b.last('n1').d.server, 0);
  });

  it('forget(): the waiting request ends withdrawn, and a Challenge that arrives afterwards binds nothing', () => {
    const b = new Bench({ maxInFlight: 1 });
    b.access('first', [userName('first')], { conversation: 'sta-2' });
    b.access('waits', [userName('waits')], CONV);
    b.t.forget('sta-1');
    b.drain();
    assert.equal(b.code('waits'), 'withdrawn');
    b.t.forget('sta-2');
    b.answer(b.last('first'), ACCESS_CHALLENGE, [state('s')]);
    assert.equal(b.code('first'), ACCESS_CHALLENGE, 'the answer is still handed on');
    assert.equal(b.t.conversationCount, 0, 'nothing remembered for the stations that left');
    assert.equal(b.t.queued, 0);
  });

  it('a newer request of a conversation takes the waiting one\'s place in the queue; the older ends superseded', () => {
    const b = new Bench({ maxInFlight: 1 });
    b.access('busy');
    b.access('old', [userName('old')], CONV);
    b.access('other');
    b.access('new', [userName('new')], CONV);
    assert.equal(b.code('old'), 'superseded');
    assert.equal(b.t.queued, 2);
    b.answer(b.last('busy'), ACCESS_ACCEPT);
    assert.equal(b.sent.at(-1)?.packet.attributes[1].value.toString(), 'new', 'in the older one\'s place, ahead of "other"');
    assert.equal(b.of('old').length, 0, 'the older one was never sent');
  });

  it('a waiting request displaced from a full queue leaves its conversation free: the station\'s next request queues anew', () => {
    const b = new Bench({ maxInFlight: 1, maxQueued: 2 });
    // sta-a2's conversation is bound to the primary (it outlives the displaced request).
    b.access('a-0', [userName('a-0')], { conversation: 'sta-a2' });
    b.answer(b.last('a-0'), ACCESS_CHALLENGE, [state('s')]);
    b.access('busy', undefined, { owner: { agent: 'ap-a', bss: 'a1' } });
    b.access('a-1', [userName('a-1')], { owner: { agent: 'ap-a', bss: 'a1' }, conversation: 'sta-a1' });
    b.access('a-2', [userName('a-2')], { owner: { agent: 'ap-a', bss: 'a1' }, conversation: 'sta-a2' });
    b.access('b-1', [userName('b-1')], { owner: { agent: 'ap-b', bss: 'b1' } });
    assert.equal(b.code('a-2'), 'in-flight-cap');
    b.access('a-2 again', [userName('a-2 again')], { owner: { agent: 'ap-a', bss: 'a1' }, conversation: 'sta-a2' });
    assert.equal(b.code('a-2 again'), 'in-flight-cap', 'refused as a newcomer (the queue is full), not taken for a waiting request to replace');
    assert.equal(b.completed.filter((t) => t === 'a-2').length, 1);
  });

  it('conversations are capped: the oldest idle bindings go', () => {
    const b = new Bench({ maxInFlight: 1, maxQueued: 1, maxConversations: 2 });
    for (let i = 0; i < 10; i++) {
      b.access(`r${i}`, [userName(`r${i}`)], { conversation: `sta-${i}` });
      b.answer(b.last(`r${i}`), ACCESS_CHALLENGE, [state('s')]);
    }
    assert.ok(b.t.conversationCount <= 2, `${b.t.conversationCount} remembered`);
  });
});

describe('RadiusTransactions: refusals and close', () => {
  it('an unencodable request ends at once (User-Password over 128 octets, an attribute over 253, a Message-Authenticator passed in)', () => {
    const b = new Bench();
    b.access('pw', [userName('pw')], { userPassword: Buffer.alloc(129, 0x61) });
    b.access('long', [{ type: USER_NAME, value: Buffer.alloc(254) }]);
    b.access('ma', [{ type: MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) }]);
    assert.deepEqual([b.code('pw'), b.code('long'), b.code('ma')], ['unencodable', 'unencodable', 'unencodable']);
    assert.equal(b.sent.length, 0);
  });

  it('close(): every request ends closed, nothing is timed, later requests are refused', () => {
    const b = new Bench({ maxInFlight: 1, servers: 2, maxRetransmits: 0 });
    b.access('a');
    b.access('b');
    b.until(1000);
    b.t.close();
    b.drain();
    assert.deepEqual([b.code('a'), b.code('b')], ['closed', 'closed']);
    assert.equal(b.t.nextDeadline(), undefined);
    b.access('c');
    assert.equal(b.code('c'), 'closed');
    assert.equal(b.t.pending, 0);
  });

  it('time that runs backwards counts as the latest seen', () => {
    const b = new Bench();
    b.until(5000);
    b.access('a');
    b.now = 10;
    b.access('b');
    assert.equal(b.last('b').at, 10);
    b.until(6000);
    assert.equal(b.of('b').length, 2, 'retransmitted 1 s after 5 s, not after 10 ms');
    assert.equal(b.of('b')[1].at, 6000);
  });
});

void ACCESS_REQUEST;
