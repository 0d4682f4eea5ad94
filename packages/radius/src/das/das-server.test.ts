// Scenario tests of the Dynamic Authorization Server (RFC 5176) on virtual time: a scripted
// client (buildDasRequest) against DasServer, asserting on the datagrams and events it
// emits and on its counters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hex } from '@airlock/bytes/testing';
import { attrInt, attrString, getAttribute, getAttributes, readInt } from '../codec/attributes.js';
import { verifyResponse } from '../codec/authenticator.js';
import { Attr } from '../codec/constants.js';
import type { RadiusAttribute, RadiusPacket } from '../codec/packet.js';
import { taggedAttribute, taggedIntegerAttribute } from '../codec/tunnel.js';
import { buildDasRequest, dasRequestAuthenticator } from './das-codec.js';
import { DasAttr, DasCode, ErrorCause } from './das-constants.js';
import { DasServer, type DasDatagram, type DasEvent, type DasRequest, type DasServerOptions } from './das-server.js';

const T0 = 1_700_000_000_000;
const T0S = T0 / 1000;
const SECRET = Buffer.from('das unit secret');
const PF = { address: '192.0.2.1', port: 40001 };

function server(opts: Partial<DasServerOptions> = {}): DasServer {
  return new DasServer({
    clients: [{ name: 'pf', address: '192.0.2.1', secret: SECRET }, { name: 'ise', address: '2001:DB8::5', secret: Buffer.from('ise secret') }],
    nas: { identifiers: ['airlock-1'], addresses: ['192.0.2.10'] },
    now: T0,
    ...opts,
  });
}

const calling = { type: Attr.CallingStationId, value: attrString('02-00-00-00-01-00') };
const stamp = (sec = T0S): RadiusAttribute => ({ type: DasAttr.EventTimestamp, value: attrInt(sec) });

/** A signed request: Event-Timestamp `sec` (none when null) and a Message-Authenticator unless `ma` is false. */
function request(code: number, identifier: number, attrs: RadiusAttribute[], o: { sec?: number | null; ma?: boolean; secret?: Buffer } = {}): Buffer {
  const withStamp = o.sec === null ? attrs : [...attrs, stamp(o.sec ?? T0S)];
  return buildDasRequest({ code, identifier, attributes: withStamp, secret: o.secret ?? SECRET, messageAuthenticator: o.ma ?? true });
}
const disconnect = (id: number, o: Parameters<typeof request>[3] = {}): Buffer => request(DasCode.DisconnectRequest, id, [calling], o);
const coa = (id: number, attrs: RadiusAttribute[], o: Parameters<typeof request>[3] = {}): Buffer => request(DasCode.CoaRequest, id, attrs, o);

/** Everything the server queued: datagrams and events. */
function drain(das: DasServer): { sent: DasDatagram[]; events: DasEvent[]; requests: DasRequest[] } {
  const sent: DasDatagram[] = [];
  const events: DasEvent[] = [];
  for (let d = das.pollTransmit(); d !== undefined; d = das.pollTransmit()) sent.push(d);
  for (let e = das.pollEvent(); e !== undefined; e = das.pollEvent()) events.push(e);
  const requests = events.flatMap((e) => (e.type === 'request' ? [e.request] : []));
  return { sent, events, requests };
}

/** The response `d` to `req`, verified as the client verifies it. */
function response(d: DasDatagram, req: Buffer, secret = SECRET): RadiusPacket {
  const r = verifyResponse(d.bytes, { code: req[0], identifier: req[1], authenticator: req.subarray(4, 20) }, secret);
  assert.ok(r.ok, r.ok ? '' : `response does not verify: ${r.error.detail}`);
  return r.value;
}

function errorCause(p: RadiusPacket): number | undefined {
  const v = getAttribute(p.attributes, DasAttr.ErrorCause);
  return v === undefined ? undefined : readInt(v);
}

/** The one request event after handling `req`. */
function accept(das: DasServer, req: Buffer, now = T0, source = PF): DasRequest {
  das.handle(req, source, now);
  const out = drain(das);
  assert.equal(out.sent.length, 0, 'nothing sent before the owner answers');
  assert.equal(out.requests.length, 1, `one request event, got ${JSON.stringify(out.events.map((e) => e.type === 'dropped' ? e.reason : e.type))}`);
  return out.requests[0];
}

/** The reason of the one 'dropped' event after handling `req`, and that nothing was sent. */
function dropped(das: DasServer, req: Uint8Array, now = T0, source = PF): string {
  das.handle(req, source, now);
  const out = drain(das);
  assert.equal(out.sent.length, 0, 'a dropped request gets no answer');
  assert.equal(out.events.length, 1);
  const e = out.events[0];
  assert.equal(e.type, 'dropped');
  return e.type === 'dropped' ? e.reason : '';
}

void describe('DasServer: answers', () => {
  void it('Disconnect-Request acked: Disconnect-ACK with Message-Authenticator and Event-Timestamp, to the source', () => {
    const das = server();
    const req = disconnect(11);
    const r = accept(das, req);
    assert.equal(r.kind, 'disconnect');
    assert.equal(r.client, 'pf');
    assert.deepEqual(r.source, PF);
    assert.equal(r.identifier, 11);
    assert.equal(r.eventTimestamp, T0S);
    assert.deepEqual(r.session.station, hex('020000000100'));
    assert.equal(r.answerBy, T0 + 2000);
    assert.ok(das.ack(r.handle, T0 + 5));
    const out = drain(das);
    assert.equal(out.sent.length, 1);
    assert.equal(out.sent[0].address, PF.address);
    assert.equal(out.sent[0].port, PF.port);
    const p = response(out.sent[0], req);
    assert.equal(p.code, DasCode.DisconnectAck);
    assert.equal(p.attributes[0].type, Attr.MessageAuthenticator);
    assert.equal(errorCause(p), undefined);
    assert.equal(readInt(getAttribute(p.attributes, DasAttr.EventTimestamp)!), T0S);
    assert.deepEqual(out.events, [{ type: 'answered', by: 'owner', client: 'pf', source: PF, kind: 'disconnect', code: DasCode.DisconnectAck, handle: r.handle }]);
    const s = das.stats();
    assert.equal(s.total.acks.disconnect, 1);
    assert.equal(s.clients.pf.requests.disconnect, 1);
    assert.equal(s.pending, 0);
    assert.equal(s.cached, 1);
  });

  void it('session not found: the owner NAKs 503, counted by Error-Cause', () => {
    const das = server();
    const req = disconnect(12);
    const r = accept(das, req);
    assert.ok(das.nak(r.handle, ErrorCause.SessionContextNotFound, T0));
    const p = response(drain(das).sent[0], req);
    assert.equal(p.code, DasCode.DisconnectNak);
    assert.equal(errorCause(p), 503);
    assert.deepEqual(das.stats().total.naks.disconnect, { 503: 1 });
  });

  void it('CoA-Request acked: CoA-ACK; the request carries the changes', () => {
    const das = server();
    const req = coa(13, [calling, { type: Attr.SessionTimeout, value: attrInt(600) }, taggedIntegerAttribute(Attr.TunnelType, 1, 13), taggedIntegerAttribute(Attr.TunnelMediumType, 1, 6), taggedAttribute(Attr.TunnelPrivateGroupId, 1, Buffer.from('42'))]);
    const r = accept(das, req);
    assert.equal(r.kind, 'coa');
    assert.deepEqual(r.changes, { sessionTimeout: 600, vlan: 42 });
    das.ack(r.handle, T0);
    assert.equal(response(drain(das).sent[0], req).code, DasCode.CoaAck);
    assert.equal(das.stats().total.acks.coa, 1);
  });

  void it('Authorize Only (RFC 5176 §3.2): the owner acks, the client gets CoA-NAK 507 with Service-Type Authorize Only and its State', () => {
    const das = server();
    const req = coa(14, [calling, { type: Attr.ServiceType, value: attrInt(17) }, { type: Attr.State, value: hex('5354') }]);
    const r = accept(das, req);
    assert.deepEqual(r.changes?.reauthenticate, { signal: 'authorize-only', state: hex('5354') });
    das.ack(r.handle, T0);
    const p = response(drain(das).sent[0], req);
    assert.equal(p.code, DasCode.CoaNak);
    assert.equal(errorCause(p), ErrorCause.RequestInitiated);
    assert.equal(readInt(getAttribute(p.attributes, Attr.ServiceType)!), 17);
    assert.deepEqual(getAttribute(p.attributes, Attr.State), hex('5354'));
    assert.deepEqual(das.stats().total.naks.coa, { 507: 1 });
    assert.equal(das.stats().total.acks.coa, 0);
  });

  void it('State and Proxy-State are echoed unmodified, Proxy-States in order (RFC 5176 §3.1, §3.3)', () => {
    const das = server();
    const req = coa(15, [{ type: DasAttr.ProxyState, value: hex('01') }, calling, { type: Attr.State, value: hex('aa') }, { type: Attr.SessionTimeout, value: attrInt(5) }, { type: DasAttr.ProxyState, value: hex('0203') }]);
    das.ack(accept(das, req).handle, T0);
    const p = response(drain(das).sent[0], req);
    assert.deepEqual(getAttributes(p.attributes, DasAttr.ProxyState), [hex('01'), hex('0203')]);
    assert.deepEqual(getAttribute(p.attributes, Attr.State), hex('aa'));
  });

  void it('Disconnect-ACK with Error-Cause 201 when asked; RangeError for what RFC 5176 §3.5 forbids', () => {
    const das = server();
    const req = disconnect(16);
    const r = accept(das, req);
    assert.throws(() => das.nak(r.handle, 201, T0), RangeError);
    assert.throws(() => das.nak(r.handle, 502, T0), RangeError);
    assert.throws(() => das.nak(r.handle, 507, T0), RangeError);
    assert.throws(() => das.nak(r.handle, 200, T0), RangeError);
    das.ack(r.handle, T0, { residualSessionContextRemoved: true });
    const p = response(drain(das).sent[0], req);
    assert.equal(p.code, DasCode.DisconnectAck);
    assert.equal(errorCause(p), 201);
    const c = accept(das, coa(17, [calling, { type: Attr.SessionTimeout, value: attrInt(5) }]));
    assert.throws(() => das.nak(c.handle, 504, T0), RangeError, '504 is for a Disconnect-NAK only');
    assert.throws(() => das.ack(c.handle, T0, { residualSessionContextRemoved: true }), RangeError);
    assert.ok(das.nak(c.handle, 508, T0), 'still waiting after the refused calls');
  });

  void it('requests the server refuses itself never reach the owner: NAK 401 for Filter-Id, 403 for another NAS', () => {
    const das = server();
    const filter = coa(18, [calling, { type: DasAttr.FilterId, value: attrString('guest') }]);
    das.handle(filter, PF, T0);
    let out = drain(das);
    assert.equal(out.requests.length, 0);
    assert.equal(errorCause(response(out.sent[0], filter)), 401);
    assert.equal(out.events[0].type === 'answered' && out.events[0].by, 'server');
    const other = request(DasCode.DisconnectRequest, 19, [calling, { type: Attr.NasIdentifier, value: attrString('other-nas') }]);
    das.handle(other, PF, T0);
    out = drain(das);
    assert.equal(errorCause(response(out.sent[0], other)), 403);
    assert.deepEqual(das.stats().total.naks, { disconnect: { 403: 1 }, coa: { 401: 1 } });
  });
});

void describe('DasServer: duplicates (RFC 5080 §2.2.2, RFC 5176 §2.3)', () => {
  void it('a retransmission before the answer is dropped; after it, answered again from the cache, never acted on twice', () => {
    const das = server();
    const req = disconnect(21);
    const r = accept(das, req);
    assert.equal(dropped(das, req, T0 + 1000), 'duplicate-in-progress');
    das.ack(r.handle, T0 + 1500);
    const first = drain(das).sent[0];
    das.handle(req, PF, T0 + 3000);
    const again = drain(das);
    assert.equal(again.requests.length, 0);
    assert.equal(again.sent.length, 1);
    assert.deepEqual(again.sent[0].bytes, first.bytes);
    assert.equal(again.events[0].type === 'answered' && again.events[0].by, 'duplicate');
    const s = das.stats().total;
    assert.equal(s.duplicates, 1);
    assert.equal(s.acks.disconnect, 1, 'a resent ACK is not a second ACK');
    assert.equal(s.requests.disconnect, 1);
  });

  void it('the same request replayed from another source port gets the cached answer, sent to that port', () => {
    const das = server();
    const req = disconnect(22);
    das.ack(accept(das, req).handle, T0);
    drain(das);
    das.handle(req, { address: PF.address, port: 50000 }, T0 + 10);
    const out = drain(das);
    assert.equal(out.requests.length, 0);
    assert.equal(out.sent[0].port, 50000);
  });

  void it('the same Identifier with another Request Authenticator is a new request', () => {
    const das = server();
    das.ack(accept(das, disconnect(23)).handle, T0);
    drain(das);
    accept(das, disconnect(23, { sec: T0S + 1 }), T0 + 1000);
  });

  void it('a NAK the server made itself is cached too', () => {
    const das = server();
    const req = coa(24, [calling]); // no change: 402
    das.handle(req, PF, T0);
    const first = drain(das).sent[0];
    das.handle(req, PF, T0 + 1);
    assert.deepEqual(drain(das).sent[0].bytes, first.bytes);
  });

  void it('cached answers expire with the Event-Timestamp window; counted from a future timestamp when there is one', () => {
    const das = server({ timeWindowSec: 300 });
    const req = disconnect(25);
    das.ack(accept(das, req).handle, T0);
    drain(das);
    const future = disconnect(26, { sec: T0S + 200 });
    das.ack(accept(das, future).handle, T0);
    drain(das);
    assert.equal(das.stats().cached, 2);
    assert.equal(das.nextDeadline(), T0 + 300_000);
    das.tick(T0 + 300_000);
    assert.equal(das.stats().cached, 1, 'the first entry expired');
    // The future-stamped request is still current at T0 + 400 s: its cached answer stands.
    das.handle(future, PF, T0 + 400_000);
    const out = drain(das);
    assert.equal(out.requests.length, 0);
    assert.equal(out.sent.length, 1);
    das.tick(T0 + 500_000);
    assert.equal(das.stats().cached, 0);
  });
});

void describe('DasServer: silently discarded (RFC 5176 §2.3, §3.4, §6.1, §6.3)', () => {
  void it('a source that is not a client: no answer, counted', () => {
    const das = server();
    assert.equal(dropped(das, disconnect(31), T0, { address: '192.0.2.99', port: 1 }), 'unknown-client');
    assert.equal(das.stats().total.dropped['unknown-client'], 1);
    assert.equal(das.stats().clients.pf.received, 0);
  });

  void it('each bad request: its reason', () => {
    const das = server();
    const accessRequest = Buffer.from(disconnect(32));
    accessRequest[0] = 1;
    const cases: [string, Uint8Array][] = [
      ['malformed', hex('28 01 00')],
      ['malformed', hex('28 01 0030 00000000000000000000000000000000')],
      ['unexpected-code', accessRequest],
      ['bad-request-authenticator', disconnect(33, { secret: Buffer.from('wrong secret') })],
      ['missing-message-authenticator', disconnect(34, { ma: false })],
      ['missing-event-timestamp', disconnect(35, { sec: null })],
      ['stale-event-timestamp', disconnect(36, { sec: T0S - 301 })],
      ['stale-event-timestamp', disconnect(37, { sec: T0S + 301 })],
      ['bad-event-timestamp', request(DasCode.DisconnectRequest, 38, [calling, { type: DasAttr.EventTimestamp, value: hex('6553f1') }], { sec: null })],
      ['bad-event-timestamp', request(DasCode.DisconnectRequest, 39, [calling, stamp(), stamp()], { sec: null })],
    ];
    for (const [reason, bytes] of cases) assert.equal(dropped(das, bytes), reason);
    const wrongMa = Buffer.from(disconnect(40));
    wrongMa[25] ^= 1; // inside the Message-Authenticator (first); the Request Authenticator no longer verifies either
    assert.equal(dropped(das, wrongMa), 'bad-request-authenticator');
    dasRequestAuthenticator(wrongMa, SECRET).copy(wrongMa, 4); // a sender with the secret but a wrong HMAC
    assert.equal(dropped(das, wrongMa), 'bad-message-authenticator');
    const d = das.stats().clients.pf.dropped;
    assert.equal(d['stale-event-timestamp'], 2);
    assert.equal(d.malformed, 2);
    assert.equal(das.stats().total.requests.disconnect, 0);
  });

  void it('the window is inclusive: ±300 s accepted', () => {
    const das = server();
    accept(das, disconnect(41, { sec: T0S - 300 }));
    accept(das, disconnect(42, { sec: T0S + 300 }));
  });

  void it("a driver's monotonic clock: Event-Timestamp through wallMs, deadlines on the driver's clock", () => {
    const das = new DasServer({ clients: [{ name: 'pf', address: '192.0.2.1', secret: SECRET }], nas: {}, now: 0, wallMs: (t) => T0 + t, answerTimeoutMs: 1000 });
    const req = disconnect(48);
    const r = accept(das, req, 10);
    assert.equal(r.answerBy, 1010);
    assert.equal(das.nextDeadline(), 1010);
    assert.equal(dropped(das, disconnect(49, { sec: T0S - 301 }), 10), 'stale-event-timestamp');
    das.tick(1010);
    const p = response(drain(das).sent[0], req);
    assert.equal(readInt(getAttribute(p.attributes, DasAttr.EventTimestamp)!), T0S + 1);
  });

  void it('Event-Timestamp and Message-Authenticator can be made optional', () => {
    const das = server({ requireEventTimestamp: false, requireMessageAuthenticator: false });
    const r = accept(das, disconnect(43, { sec: null, ma: false }));
    assert.equal(r.eventTimestamp, undefined);
    assert.equal(dropped(das, disconnect(44, { sec: T0S - 1000 })), 'stale-event-timestamp', 'a present timestamp is still checked');
  });

  void it('each client its own secret, by source address (IPv6, and IPv4-mapped sources)', () => {
    const das = server();
    const ise = { address: '2001:db8::5', port: 1700 };
    assert.equal(accept(das, disconnect(45, { secret: Buffer.from('ise secret') }), T0, ise).client, 'ise');
    assert.equal(dropped(das, disconnect(46), T0, ise), 'bad-request-authenticator', 'the pf secret from the ise address');
    assert.equal(accept(das, disconnect(47), T0, { address: '::ffff:192.0.2.1', port: 1 }).client, 'pf');
  });
});

void describe('DasServer: caps', () => {
  void it('rate: a burst, then the sustained rate; over it dropped and counted', () => {
    const das = server({ burst: 3, requestsPerSecond: 2 });
    for (let id = 0; id < 3; id++) accept(das, disconnect(id));
    assert.equal(dropped(das, disconnect(3)), 'rate-limited');
    accept(das, disconnect(4), T0 + 500); // one token back after 500 ms
    assert.equal(dropped(das, disconnect(5), T0 + 500), 'rate-limited');
    assert.equal(das.stats().total.dropped['rate-limited'], 2);
  });

  void it('retransmissions answered from the cache cost no token', () => {
    const das = server({ burst: 1, requestsPerSecond: 0.001 });
    const req = disconnect(6);
    das.ack(accept(das, req).handle, T0);
    drain(das);
    for (let i = 0; i < 5; i++) {
      das.handle(req, PF, T0 + i);
      assert.equal(drain(das).sent.length, 1);
    }
  });

  void it('requests waiting for the owner: at most maxPendingPerClient', () => {
    const das = server({ maxPendingPerClient: 2 });
    const a = accept(das, disconnect(1));
    accept(das, disconnect(2));
    assert.equal(dropped(das, disconnect(3)), 'too-many-pending');
    das.nak(a.handle, 503, T0);
    drain(das);
    accept(das, disconnect(4));
    assert.equal(das.stats().pending, 2);
  });

  void it('cached answers: at most maxCachedPerClient, the oldest evicted', () => {
    const das = server({ maxCachedPerClient: 2 });
    const reqs = [disconnect(1), disconnect(2), disconnect(3)];
    for (const req of reqs) {
      das.ack(accept(das, req).handle, T0);
      drain(das);
    }
    assert.equal(das.stats().cached, 2);
    accept(das, reqs[0], T0 + 1); // evicted: seen as new
    das.handle(reqs[2], PF, T0 + 2);
    assert.equal(drain(das).requests.length, 0, 'the newest is still cached');
  });

  void it('Proxy-States too long to echo: dropped, not answered with an oversize packet', () => {
    const das = server({ requireMessageAuthenticator: false, requireEventTimestamp: false });
    const many: RadiusAttribute[] = [calling];
    // 15 x 255 + 222 = 4047 octets to echo: the request fits in 4096, a response would not.
    for (let i = 0; i < 15; i++) many.push({ type: DasAttr.ProxyState, value: Buffer.alloc(253, i) });
    many.push({ type: DasAttr.ProxyState, value: Buffer.alloc(220, 15) });
    assert.equal(dropped(das, request(DasCode.DisconnectRequest, 9, many, { sec: null, ma: false })), 'malformed');
  });
});

void describe('DasServer: the owner does not answer', () => {
  void it('NAK 506 at answerTimeoutMs; the late answer is refused; a retransmission gets the cached 506', () => {
    const das = server({ answerTimeoutMs: 2000 });
    const req = disconnect(51);
    const r = accept(das, req);
    assert.equal(das.nextDeadline(), T0 + 2000);
    das.tick(T0 + 1999);
    assert.equal(drain(das).sent.length, 0);
    das.tick(T0 + 2000);
    const out = drain(das);
    assert.equal(errorCause(response(out.sent[0], req)), ErrorCause.ResourcesUnavailable);
    assert.deepEqual(out.events, [{ type: 'answered', by: 'timeout', client: 'pf', source: PF, kind: 'disconnect', code: DasCode.DisconnectNak, errorCause: 506, handle: r.handle, detail: 'no answer from the owner within 2000 ms' }]);
    assert.equal(das.ack(r.handle, T0 + 2100), false);
    assert.equal(drain(das).sent.length, 0);
    das.handle(req, PF, T0 + 2200);
    assert.equal(errorCause(response(drain(das).sent[0], req)), 506);
    const s = das.stats().total;
    assert.equal(s.answerTimeouts, 1);
    assert.equal(s.lateAnswers, 1);
    assert.deepEqual(s.naks.disconnect, { 506: 1 });
  });

  void it('only the requests past their deadline expire, in order', () => {
    const das = server({ answerTimeoutMs: 1000 });
    const a = accept(das, disconnect(1), T0);
    const b = accept(das, disconnect(2), T0 + 500);
    das.tick(T0 + 1000);
    assert.equal(drain(das).sent.length, 1);
    assert.equal(das.ack(a.handle, T0 + 1001), false);
    assert.equal(das.ack(b.handle, T0 + 1001), true);
  });

  void it('close(): waiting requests are forgotten, later input ignored', () => {
    const das = server();
    const r = accept(das, disconnect(1));
    das.close();
    assert.equal(das.ack(r.handle, T0), false);
    das.handle(disconnect(2), PF, T0);
    assert.equal(das.pollEvent(), undefined);
    assert.equal(das.nextDeadline(), undefined);
  });
});

void describe('DasServer: hostile input', () => {
  void it('handle never throws on arbitrary datagrams, from a client or not; every one is answered or counted', () => {
    const seeds = [disconnect(1), coa(2, [calling, { type: Attr.SessionTimeout, value: attrInt(1) }])];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.record({ seed: fc.constantFrom(...seeds), edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }) }).map(({ seed, edits }) => {
            const b = Buffer.from(seed);
            for (const [at, v] of edits) b[at % b.length] = v;
            return b;
          }),
        ),
        fc.constantFrom(PF, { address: '198.51.100.7', port: 9 }),
        (bytes, source) => {
          const das = server();
          das.handle(bytes, source, T0);
          const out = drain(das);
          assert.equal(out.events.length, 1);
        },
      ),
      { numRuns: 1000 },
    );
  });

  void it('constructor: TypeError on a programmer error', () => {
    const base = { nas: {}, now: T0 };
    assert.throws(() => new DasServer({ ...base, clients: [] }), TypeError);
    assert.throws(() => new DasServer({ ...base, clients: [{ name: 'a', address: 'pf.example', secret: SECRET }] }), TypeError);
    assert.throws(() => new DasServer({ ...base, clients: [{ name: 'a', address: '192.0.2.1', secret: Buffer.alloc(0) }] }), TypeError);
    assert.throws(() => new DasServer({ ...base, clients: [{ name: 'a', address: '192.0.2.1', secret: SECRET }, { name: 'b', address: '192.0.2.1', secret: SECRET }] }), TypeError);
    assert.throws(() => new DasServer({ ...base, clients: [{ name: 'a', address: '192.0.2.1', secret: SECRET }, { name: 'a', address: '192.0.2.2', secret: SECRET }] }), TypeError);
    assert.throws(() => new DasServer({ ...base, clients: [{ name: 'a', address: '192.0.2.1', secret: SECRET }], maxPendingPerClient: 0 }), TypeError);
    assert.throws(() => new DasServer({ ...base, nas: { addresses: ['nas.example'] }, clients: [{ name: 'a', address: '192.0.2.1', secret: SECRET }] }), TypeError);
  });
});
