// RADIUS client against scripted responders on 127.0.0.1 (RFC 2865, 2866, 5080 §2.2.1, 5997).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';

import { encryptMppeKey, unhideUserPassword, vendorAttribute, type RadiusAttribute } from '../codec/index.js';
import {
  RadiusClient,
  RadiusClientError,
  RadiusTimeoutError,
  retransmitTimeout,
  type AccessDone,
  type RadiusClientOptions,
  type RadiusResultReport,
  type RadiusServer,
} from './index.js';
import { FakeRadiusServer, encryptMppeKeyForTest, type FakeRequest } from './testing/fake-radius-server.js';

// RFC 2865 §3 / RFC 2866 §3 / RFC 5997 codes and attribute types, spelled out here so the
// tests do not depend on the codec's names for them.
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
const ACCT_STATUS_TYPE = 40;
const ACCT_DELAY_TIME = 41;
const ACCT_SESSION_ID = 44;
const EAP_MESSAGE = 79;
const MESSAGE_AUTHENTICATOR = 80;
const MICROSOFT = 311;
const MS_MPPE_SEND_KEY = 16;
const MS_MPPE_RECV_KEY = 17;

const SECRET = Buffer.from('testing123');
const OTHER_SECRET = Buffer.from('s3cond-secret');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fake(secret = SECRET): Promise<FakeRadiusServer> {
  const f = await FakeRadiusServer.start(secret);
  cleanups.push(() => f.close());
  return f;
}

function entry(name: string, f: FakeRadiusServer): RadiusServer {
  return { name, host: '127.0.0.1', authPort: f.port, acctPort: f.port, secret: f.secret };
}

async function client(opts: RadiusClientOptions): Promise<{ c: RadiusClient; results: RadiusResultReport[] }> {
  const results: RadiusResultReport[] = [];
  const c = new RadiusClient({ ...opts, onResult: (r) => results.push(r) });
  await c.start();
  cleanups.push(() => c.close());
  return { c, results };
}

const userName = (s: string): RadiusAttribute => ({ type: USER_NAME, value: Buffer.from(s) });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const until = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > until) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** Answers every Access-Request / Status-Server with Access-Accept and every Accounting-Request with Accounting-Response. */
function answerAll(req: FakeRequest, f: FakeRadiusServer): void {
  if (req.packet.code === ACCOUNTING_REQUEST) f.reply(req, ACCOUNTING_RESPONSE);
  else f.reply(req, ACCESS_ACCEPT);
}

const auth = (r: FakeRequest): Buffer => r.raw.subarray(4, 20);

describe('retransmitTimeout', () => {
  const cases = [
    { desc: 'first wait is timeoutMs', n: 0, want: 1000 },
    { desc: 'doubles per retransmission', n: 1, want: 2000 },
    { desc: 'doubles again', n: 2, want: 4000 },
    { desc: 'capped at maxTimeoutMs', n: 3, want: 8000 },
    { desc: 'stays capped', n: 10, want: 8000 },
  ];
  for (const tc of cases) {
    it(tc.desc, () => assert.equal(retransmitTimeout(tc.n, 1000, 2, 8000), tc.want));
  }
});

describe('RadiusClient', () => {
  it('Access-Accept: MS-MPPE keys decrypted with the Request Authenticator of the answered request', async () => {
    const recvKey = randomBytes(32);
    const sendKey = randomBytes(32);
    const f = await fake(SECRET);
    f.handler = (req) => {
      const ra = req.packet.authenticator;
      f.reply(req, ACCESS_ACCEPT, [
        { type: EAP_MESSAGE, value: Buffer.from([3, req.packet.identifier, 0, 4]) },
        vendorAttribute(MICROSOFT, MS_MPPE_RECV_KEY, encryptMppeKey(recvKey, SECRET, ra, Buffer.from([0x81, 0x02]))),
        vendorAttribute(MICROSOFT, MS_MPPE_SEND_KEY, encryptMppeKey(sendKey, SECRET, ra, Buffer.from([0x83, 0x04]))),
      ]);
    };
    const { c, results } = await client({ servers: [entry('primary', f)], timeoutMs: 200 });
    const r = await c.accessRequest([userName('alice')]);
    assert.equal(r.code, ACCESS_ACCEPT);
    assert.equal(r.server, 'primary');
    assert.ok(r.rttMs >= 0);
    assert.ok(r.mppe, 'mppe keys present');
    assert.deepEqual(r.mppe.recv, recvKey);
    assert.deepEqual(r.mppe.send, sendKey);
    assert.ok(r.attributes.some((a) => a.type === EAP_MESSAGE));
    // RFC 3579 §3.2 / BlastRADIUS: Message-Authenticator is the first attribute sent.
    const sent = f.requests(ACCESS_REQUEST)[0];
    assert.equal(sent.packet.attributes[0]?.type, MESSAGE_AUTHENTICATOR);
    assert.ok(sent.verified);
    assert.equal(results.length, 1);
    assert.equal(results[0].server, 'primary');
    assert.equal(results[0].code, ACCESS_ACCEPT);
    assert.equal(typeof results[0].rttMs, 'number');
    assert.deepEqual(c.serverStates().map((s) => [s.name, s.alive, s.inFlight]), [['primary', true, 0]]);
  });

  it('Access-Accept with an MS-MPPE key that does not decrypt: no keys, mppeError set', async () => {
    const f = await fake(SECRET);
    f.handler = (req) => {
      const ra = req.packet.authenticator;
      const badSalt = encryptMppeKeyForTest(randomBytes(32), SECRET, ra, Buffer.from([0x80, 0x01]));
      badSalt[0] = 0x00; // RFC 2548 §2.4.2: the Salt's most significant bit must be set
      f.reply(req, ACCESS_ACCEPT, [
        vendorAttribute(MICROSOFT, MS_MPPE_RECV_KEY, badSalt),
        vendorAttribute(MICROSOFT, MS_MPPE_SEND_KEY, encryptMppeKey(randomBytes(32), SECRET, ra, Buffer.from([0x80, 0x02]))),
      ]);
    };
    const { c } = await client({ servers: [entry('primary', f)], timeoutMs: 200 });
    const r = await c.accessRequest([userName('alice')]);
    assert.equal(r.code, ACCESS_ACCEPT);
    assert.equal(r.mppe, undefined);
    assert.match(r.mppeError ?? '', /Recv-Key/);
  });

  it('Access-Challenge and Access-Reject are returned with their attributes', async () => {
    const f = await fake(SECRET);
    f.handler = (req) => {
      const user = req.packet.attributes.find((a) => a.type === USER_NAME)?.value.toString();
      if (user === 'bob') f.reply(req, ACCESS_CHALLENGE, [{ type: STATE, value: Buffer.from('st8') }]);
      else f.reply(req, ACCESS_REJECT);
    };
    const { c } = await client({ servers: [entry('primary', f)], timeoutMs: 200 });
    const ch = await c.accessRequest([userName('bob')]);
    assert.equal(ch.code, ACCESS_CHALLENGE);
    assert.deepEqual(ch.attributes.find((a) => a.type === STATE)?.value, Buffer.from('st8'));
    assert.equal(ch.mppe, undefined);
    const rj = await c.accessRequest([userName('mallory')]);
    assert.equal(rj.code, ACCESS_REJECT);
  });

  it('retransmission after timeout carries the same Identifier, Request Authenticator and bytes', async () => {
    const f = await fake(SECRET);
    f.handler = (req) => {
      if (f.received.length === 3) f.reply(req, ACCESS_ACCEPT);
    };
    const { c, results } = await client({ servers: [entry('primary', f)], timeoutMs: 20, maxRetransmits: 2, deadAfterMs: 5000 });
    const r = await c.accessRequest([userName('alice')]);
    assert.equal(r.code, ACCESS_ACCEPT);
    const [a, b, d] = f.received;
    assert.ok(a && b && d);
    assert.equal(b.packet.identifier, a.packet.identifier);
    assert.deepEqual(auth(b), auth(a));
    assert.deepEqual(b.raw, a.raw);
    assert.deepEqual(d.raw, a.raw);
    assert.equal(b.rinfo.port, a.rinfo.port, 'same source port');
    assert.equal(d.rinfo.port, a.rinfo.port, 'same source port');
    assert.deepEqual(results.map((x) => x.code), [ACCESS_ACCEPT]);
  });

  it('backoff: waits timeoutMs * backoff^n capped at maxTimeoutMs, then times out', async () => {
    const f = await fake(SECRET);
    const { c, results } = await client({
      servers: [entry('primary', f)], timeoutMs: 40, backoff: 3, maxTimeoutMs: 100, maxRetransmits: 3, deadAfterMs: 10_000,
    });
    const t0 = performance.now();
    await assert.rejects(c.accessRequest([userName('alice')]), (e: unknown) => {
      assert.ok(e instanceof RadiusTimeoutError);
      assert.deepEqual(e.servers, ['primary']);
      return true;
    });
    const elapsed = performance.now() - t0;
    assert.equal(f.received.length, 4);
    // Transmission k leaves after the sum of the waits before it: 0, 40, 40+100 (120
    // capped), 40+100+100; without the cap the last would be at 520. Timers never fire
    // early, so arrivals are lower-bounded exactly; the upper bound allows a loaded machine.
    const want = [0, 40, 140, 240];
    f.received.forEach((r, k) => {
      const at = r.at - t0;
      assert.ok(at >= want[k] - 2 && at < want[k] + 150, `transmission ${k} at ${at.toFixed(1)} ms, want ~${want[k]}`);
    });
    assert.ok(elapsed >= 338 && elapsed < 500, `gave up after ${elapsed.toFixed(0)} ms, want ~340`);
    assert.deepEqual(results, [{ server: 'primary', code: 'timeout', kind: 'access' }]);
  });

  it('failover to the secondary when the primary never answers; Status-Server brings the primary back', async () => {
    const states: [string, boolean][] = [];
    const recvKey = randomBytes(32);
    const sendKey = randomBytes(32);
    const primary = await fake(SECRET);
    const secondary = await fake(OTHER_SECRET);
    secondary.handler = (req) => {
      const ra = req.packet.authenticator;
      secondary.reply(req, ACCESS_ACCEPT, [
        vendorAttribute(MICROSOFT, MS_MPPE_RECV_KEY, encryptMppeKeyForTest(recvKey, OTHER_SECRET, ra, Buffer.from([0x80, 0x01]))),
        vendorAttribute(MICROSOFT, MS_MPPE_SEND_KEY, encryptMppeKeyForTest(sendKey, OTHER_SECRET, ra, Buffer.from([0x80, 0x02]))),
      ]);
    };
    const { c, results } = await client({
      servers: [entry('primary', primary), entry('secondary', secondary)],
      timeoutMs: 20, maxRetransmits: 1, deadAfterMs: 5000, probeIntervalMs: 40,
      onServerState: (server, alive) => states.push([server, alive]),
    });

    const r1 = await c.accessRequest([userName('alice')]);
    assert.equal(r1.server, 'secondary');
    assert.deepEqual(r1.mppe?.recv, recvKey, 'keys decrypted with the secondary request authenticator and secret');
    assert.deepEqual(r1.mppe?.send, sendKey);
    assert.equal(primary.requests(ACCESS_REQUEST).length, 2, 'original + 1 retransmission to the primary');
    const onSecondary = secondary.requests(ACCESS_REQUEST)[0];
    assert.notDeepEqual(auth(onSecondary), auth(primary.received[0]), 'new Request Authenticator on the next server');
    assert.deepEqual(c.serverStates().map((s) => [s.name, s.alive]), [['primary', false], ['secondary', true]]);
    assert.deepEqual(states, [['primary', false]], 'onServerState: the primary marked dead, once');
    assert.ok(results.some((x) => x.server === 'primary' && x.code === 'timeout'));

    // While the primary is dead, new requests go straight to the secondary.
    const r2 = await c.accessRequest([userName('bob')]);
    assert.equal(r2.server, 'secondary');
    assert.equal(primary.requests(ACCESS_REQUEST).length, 2);

    // The dead primary is probed with Status-Server (RFC 5997), Message-Authenticator included.
    await waitFor(() => primary.requests(STATUS_SERVER).length >= 1, 'a Status-Server probe');
    const probe = primary.requests(STATUS_SERVER)[0];
    assert.equal(probe.packet.attributes[0]?.type, MESSAGE_AUTHENTICATOR);
    assert.ok(probe.verified);
    assert.equal(c.serverStates()[0].alive, false, 'an unanswered probe leaves it dead');

    primary.handler = answerAll;
    await waitFor(() => c.serverStates()[0].alive, 'the primary to be marked alive');
    const r3 = await c.accessRequest([userName('carol')]);
    assert.equal(r3.server, 'primary', 'back to the primary once it answers again');
    assert.deepEqual(states, [['primary', false], ['primary', true]], 'onServerState: alive again after the probe was answered');
  });

  it('User-Password (RFC 2865 §5.2) is hidden per server: with each secret and Request Authenticator, after failover too', async () => {
    const password = Buffer.from('pap password 123');
    const primary = await fake(SECRET);
    const secondary = await fake(OTHER_SECRET);
    secondary.handler = answerAll;
    const { c } = await client({ servers: [entry('primary', primary), entry('secondary', secondary)], timeoutMs: 20, maxRetransmits: 0, deadAfterMs: 5000, probeIntervalMs: 5000 });
    const r = await c.accessRequest([userName('alice')], { userPassword: password });
    assert.equal(r.server, 'secondary');
    const hidden = (req: FakeRequest): Buffer | undefined => req.packet.attributes.find((a) => a.type === USER_PASSWORD)?.value;
    const [onPrimary] = primary.requests(ACCESS_REQUEST);
    const [onSecondary] = secondary.requests(ACCESS_REQUEST);
    for (const [req, secret] of [[onPrimary, SECRET], [onSecondary, OTHER_SECRET]] as const) {
      const h = hidden(req);
      assert.ok(h !== undefined && h.length === 16, 'one 16-octet block');
      assert.ok(!req.raw.includes(password), 'the password is not on the wire in the clear');
      assert.deepEqual(unhideUserPassword(h, secret, req.packet.authenticator), password, 'revealed with that server\'s secret and Request Authenticator');
    }
    assert.notDeepEqual(hidden(onPrimary), hidden(onSecondary));
    await assert.rejects(c.accessRequest([userName('bob')], { userPassword: Buffer.alloc(129, 0x61) }), RangeError, 'longer than 128 octets: refused before anything is sent');
  });

  it('a server with no answer for deadAfterMs is marked dead before its request gives up', async () => {
    const primary = await fake(SECRET);
    const secondary = await fake(SECRET);
    secondary.handler = answerAll;
    const { c } = await client({
      servers: [entry('primary', primary), entry('secondary', secondary)],
      timeoutMs: 1000, maxRetransmits: 2, deadAfterMs: 30, probeIntervalMs: 10_000,
    });
    const slow = c.accessRequest([userName('alice')]);
    const slowOutcome = slow.then(() => 'resolved', (e: unknown) => e);
    await waitFor(() => !c.serverStates()[0].alive, 'the primary to be marked dead', 500);
    assert.equal(c.serverStates()[0].inFlight, 1, 'the first request keeps waiting on the primary');
    const r = await c.accessRequest([userName('bob')]);
    assert.equal(r.server, 'secondary');
    await c.close();
    const e = await slowOutcome;
    assert.ok(e instanceof RadiusClientError && e.code === 'closed');
  });

  it('more than 256 requests in flight to one server complete with unique (socket, identifier)', async () => {
    const N = 700;
    const f = await fake(SECRET);
    // Hold every answer until N distinct (source port, identifier) pairs are in flight at
    // once, then answer them all (and anything after, so a datagram lost to a full socket
    // buffer is recovered by its retransmission).
    const inFlight = new Map<string, FakeRequest>();
    let open = false;
    f.handler = (req) => {
      if (open) return void f.reply(req, ACCESS_ACCEPT);
      inFlight.set(`${req.rinfo.port}/${req.packet.identifier}`, req);
      if (inFlight.size === N) {
        open = true;
        for (const r of inFlight.values()) f.reply(r, ACCESS_ACCEPT);
      }
    };
    // Generous timeouts: only a datagram lost to a full socket buffer waits for one.
    const { c, results } = await client({ servers: [entry('primary', f)], timeoutMs: 1000, maxRetransmits: 3 });
    const all = await Promise.all(Array.from({ length: N }, (_, i) => c.accessRequest([userName(`u${i}`)])));
    assert.equal(all.length, N);
    assert.ok(all.every((r) => r.code === ACCESS_ACCEPT));
    assert.equal(inFlight.size, N, 'N distinct (source port, identifier) pairs in flight together');
    const names = new Set([...inFlight.values()].map((r) => r.packet.attributes.find((a) => a.type === USER_NAME)?.value.toString()));
    assert.equal(names.size, N, 'one pair per request');
    const ports = new Set([...inFlight.values()].map((r) => r.rinfo.port));
    assert.equal(ports.size, Math.ceil(N / 256));
    assert.equal(c.serverStates()[0].sockets, ports.size);
    assert.equal(c.serverStates()[0].inFlight, 0, 'identifiers freed');
    assert.equal(results.filter((r) => r.code === 'invalid').length, 0);

    // A second wave reuses the freed identifiers: no more sockets.
    await Promise.all(Array.from({ length: N }, (_, i) => c.accessRequest([userName(`v${i}`)])));
    assert.equal(c.serverStates()[0].sockets, ports.size);
  });

  it('bad Response Authenticator, missing Message-Authenticator, truncated, unknown id: dropped, counted, a later valid answer completes', async () => {
    const f = await fake(SECRET);
    f.handler = (req) => {
      f.reply(req, ACCESS_REJECT, [], { secret: Buffer.from('wrong-secret') });
      f.reply(req, ACCESS_REJECT, [], { messageAuthenticator: false });
      f.reply(req, ACCESS_REJECT, [], { mutate: (b) => b.subarray(0, 12) });
      f.reply(req, ACCESS_REJECT, [], { mutate: (b) => b.subarray(0, b.length - 3) }); // Length field beyond the datagram
      f.reply(req, ACCESS_REJECT, [], { mutate: (b) => ((b[1] = (b[1] + 1) & 0xff), b) });
      f.reply(req, ACCESS_ACCEPT, [], { delayMs: 15 });
    };
    const { c, results } = await client({ servers: [entry('primary', f)], timeoutMs: 500 });
    const r = await c.accessRequest([userName('alice')]);
    assert.equal(r.code, ACCESS_ACCEPT, 'only the valid answer is used');
    const invalid = results.filter((x) => x.code === 'invalid');
    assert.equal(invalid.length, 5);
    assert.ok(invalid.every((x) => x.server === 'primary' && typeof x.reason === 'string' && x.reason.length > 0));
    assert.deepEqual(invalid.map((x) => x.reason), [
      'bad-response-authenticator',
      'missing-message-authenticator',
      'truncated',
      'length-overflow',
      'unknown-id',
    ]);
    assert.equal(f.received.length, 1, 'no retransmission was needed');
    assert.deepEqual(results.filter((x) => x.code !== 'invalid').map((x) => x.code), [ACCESS_ACCEPT]);
  });

  it('only forged answers: every one dropped and the request times out', async () => {
    const f = await fake(SECRET);
    f.handler = (req) => f.reply(req, ACCESS_ACCEPT, [], { secret: Buffer.from('wrong-secret') });
    const { c, results } = await client({ servers: [entry('primary', f)], timeoutMs: 15, maxRetransmits: 2 });
    await assert.rejects(c.accessRequest([userName('alice')]), RadiusTimeoutError);
    assert.equal(f.received.length, 3);
    assert.equal(results.filter((x) => x.code === 'invalid').length, 3);
    assert.equal(results.filter((x) => x.code === 'timeout').length, 1);
  });

  it('an answer from another source port is dropped as unexpected-source', async () => {
    const f = await fake(SECRET);
    const impostor = await fake(SECRET);
    f.handler = (req) => {
      impostor.sendRaw(f.sign(req, ACCESS_REJECT), req.rinfo); // validly signed, wrong source port
      f.reply(req, ACCESS_ACCEPT, [], { delayMs: 15 });
    };
    const { c, results } = await client({ servers: [entry('primary', f)], timeoutMs: 500 });
    const r = await c.accessRequest([userName('alice')]);
    assert.equal(r.code, ACCESS_ACCEPT);
    assert.deepEqual(results.filter((x) => x.code === 'invalid').map((x) => x.reason), ['unexpected-source']);
    assert.deepEqual(results.filter((x) => x.code === 'invalid').map((x) => x.source), [{ address: '127.0.0.1', port: impostor.port }], 'the datagram\'s source is reported');
  });

  it("in-flight cap: requests beyond maxInFlight wait their turn; beyond maxQueued they are rejected with 'in-flight-cap'", async () => {
    const f = await fake(SECRET);
    let outstanding = 0;
    let most = 0;
    f.handler = (req) => {
      outstanding++;
      most = Math.max(most, outstanding);
      setTimeout(() => {
        outstanding--;
        f.reply(req, req.packet.code === ACCOUNTING_REQUEST ? ACCOUNTING_RESPONSE : ACCESS_ACCEPT, []);
      }, 30);
    };
    const { c } = await client({ servers: [entry('primary', f)], timeoutMs: 500, maxInFlight: 2, maxQueued: 2 });
    const a = c.accessRequest([userName('a')]);
    const b = c.accessRequest([userName('b')]);
    const q1 = c.accessRequest([userName('q1')]);
    const q2 = c.accountingRequest([]);
    assert.equal(c.queued, 2);
    await assert.rejects(c.accessRequest([userName('c')]), (e: unknown) => e instanceof RadiusClientError && e.code === 'in-flight-cap');
    assert.equal((await a).code, ACCESS_ACCEPT);
    assert.equal((await b).code, ACCESS_ACCEPT);
    assert.equal((await q1).code, ACCESS_ACCEPT, 'a waiting request goes out when an answer frees room');
    await q2;
    assert.equal(most, 2, 'never more than maxInFlight at the server at once');
    assert.equal(c.queued, 0);
    assert.equal((await c.accessRequest([userName('d')])).code, ACCESS_ACCEPT, 'room again once answered');
  });

  it('Accounting-Request round trip: signed per RFC 2866, retransmitted unchanged, answered', async () => {
    const f = await fake(SECRET);
    f.handler = (req) => {
      assert.ok(req.verified, 'Request Authenticator per RFC 2866 §3');
      if (f.received.length === 2) f.reply(req, ACCOUNTING_RESPONSE);
    };
    const { c, results } = await client({ servers: [entry('primary', f)], timeoutMs: 20 });
    const attrs: RadiusAttribute[] = [
      { type: ACCT_STATUS_TYPE, value: Buffer.from([0, 0, 0, 1]) },
      { type: ACCT_SESSION_ID, value: Buffer.from('5E1A0001') },
    ];
    const r = await c.accountingRequest(attrs);
    assert.equal(r.server, 'primary');
    assert.ok(r.rttMs >= 0);
    assert.equal(f.received.length, 2);
    assert.deepEqual(f.received[1].raw, f.received[0].raw, 'a retransmission is the same datagram');
    assert.equal(f.received[0].packet.code, ACCOUNTING_REQUEST);
    assert.deepEqual(results.map((x) => [x.code, x.kind]), [[ACCOUNTING_RESPONSE, 'accounting']]);
  });

  it('Accounting failover re-signs with a new Identifier and sets Acct-Delay-Time', async () => {
    const primary = await fake(SECRET);
    const secondary = await fake(OTHER_SECRET);
    secondary.handler = (req) => {
      assert.ok(req.verified, 're-signed with the secondary secret');
      secondary.reply(req, ACCOUNTING_RESPONSE);
    };
    const { c } = await client({ servers: [entry('primary', primary), entry('secondary', secondary)], timeoutMs: 15, maxRetransmits: 0 });
    const r = await c.accountingRequest([
      { type: ACCT_STATUS_TYPE, value: Buffer.from([0, 0, 0, 2]) },
      { type: ACCT_DELAY_TIME, value: Buffer.from([0, 0, 0, 7]) },
    ]);
    assert.equal(r.server, 'secondary');
    const first = primary.received[0];
    const moved = secondary.received[0];
    assert.deepEqual(first.packet.attributes.find((a) => a.type === ACCT_DELAY_TIME)?.value, Buffer.from([0, 0, 0, 7]));
    // Less than a second passed: the caller's 7 plus 0 whole seconds, in a re-signed packet.
    assert.deepEqual(moved.packet.attributes.filter((a) => a.type === ACCT_DELAY_TIME).map((a) => a.value), [Buffer.from([0, 0, 0, 7])]);
    assert.notDeepEqual(moved.packet.authenticator, first.packet.authenticator);
  });

  it('close() rejects pending requests with RadiusClientError closed, and later calls too', async () => {
    const f = await fake(SECRET);
    const { c } = await client({ servers: [entry('primary', f)], timeoutMs: 1000 });
    const pending = [c.accessRequest([userName('a')]), c.accessRequest([userName('b')]), c.accountingRequest([])];
    await waitFor(() => f.received.length === 3, 'three requests at the server');
    await c.close();
    for (const p of pending) {
      await assert.rejects(p, (e: unknown) => e instanceof RadiusClientError && e.code === 'closed');
    }
    await assert.rejects(c.accessRequest([userName('z')]), (e: unknown) => e instanceof RadiusClientError && e.code === 'closed');
    assert.deepEqual(c.serverStates()[0].inFlight, 0);
    await c.close(); // idempotent
  });

  it("before start(): rejected with 'not-started'", async () => {
    const f = await fake(SECRET);
    const c = new RadiusClient({ servers: [entry('primary', f)] });
    await assert.rejects(c.accessRequest([]), (e: unknown) => e instanceof RadiusClientError && e.code === 'not-started');
    await c.close();
  });

  it("a driver's clock: no timer of the client's own; wake() announces a nearer deadline, tick(now) retransmits, the callback gets the answer", async () => {
    const f = await fake(SECRET);
    let now = 0;
    let wakes = 0;
    const c = new RadiusClient({ servers: [entry('primary', f)], timeoutMs: 1000, clock: { now: () => now, wake: () => wakes++ } });
    await c.start();
    cleanups.push(() => c.close());
    let outcome: Parameters<AccessDone>[0] | undefined;
    let sync = true;
    c.requestAccess([userName('alice')], undefined, (r) => {
      assert.equal(sync, false, 'never inside requestAccess');
      outcome = r;
    });
    sync = false;
    assert.equal(wakes, 1, 'the driver is told of the first deadline');
    assert.equal(c.nextDeadline(), 1000);
    await waitFor(() => f.received.length === 1, 'the request');
    await sleep(50);
    assert.equal(f.received.length, 1, 'nothing retransmitted without a tick');
    now = 1000;
    c.tick(now);
    await waitFor(() => f.received.length === 2, 'the retransmission');
    assert.deepEqual(f.received[1].raw, f.received[0].raw);
    assert.equal(c.nextDeadline(), 3000, 'the next wait doubled');
    now = 1200;
    f.reply(f.received[1], ACCESS_ACCEPT);
    await waitFor(() => outcome !== undefined, 'the answer');
    assert.ok(outcome?.ok);
    assert.equal(outcome.value.rttMs, 1200, 'on the driver\'s clock');
    assert.equal(c.nextDeadline(), undefined);
    assert.equal(c.pending, 0);
  });

  it('the callback form of a refused request runs in a microtask, never inside the call', async () => {
    const f = await fake(SECRET);
    const c = new RadiusClient({ servers: [entry('primary', f)] });
    cleanups.push(() => c.close());
    const seen: string[] = [];
    c.requestAccess([userName('a')], undefined, (r) => seen.push(r.ok ? 'ok' : r.error.reason));
    assert.deepEqual(seen, []);
    await sleep(0);
    assert.deepEqual(seen, ['not-started']);
  });

  it('constructor refuses programmer errors', () => {
    const s: RadiusServer = { name: 'x', host: '127.0.0.1', authPort: 1812, acctPort: 1813, secret: SECRET };
    assert.throws(() => new RadiusClient({ servers: [] }), TypeError);
    assert.throws(() => new RadiusClient({ servers: [{ ...s, secret: Buffer.alloc(0) }] }), TypeError);
    assert.throws(() => new RadiusClient({ servers: [{ ...s, authPort: 0 }] }), TypeError);
    assert.throws(() => new RadiusClient({ servers: [s, s] }), TypeError);
    assert.throws(() => new RadiusClient({ servers: [s], backoff: 0.5 }), TypeError);
  });
});
