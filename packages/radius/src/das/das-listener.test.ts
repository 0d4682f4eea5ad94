// The DAS listener on a real UDP socket (127.0.0.1, a free port): datagrams in, the owner's
// asynchronous answers out, the timer's NAK 506, and close().
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { attrInt, attrString, getAttribute, readInt } from '../codec/attributes.js';
import { verifyResponse } from '../codec/authenticator.js';
import { Attr } from '../codec/constants.js';
import { buildDasRequest } from './das-codec.js';
import { DasAttr, DasCode, ErrorCause } from './das-constants.js';
import { DasListener } from './das-listener.js';
import type { DasEvent, DasRequest } from './das-server.js';

const SECRET = Buffer.from('listener test secret');

function request(identifier: number, mac: string): Buffer {
  return buildDasRequest({
    code: DasCode.DisconnectRequest,
    identifier,
    attributes: [
      { type: Attr.CallingStationId, value: attrString(mac) },
      { type: DasAttr.EventTimestamp, value: attrInt(Math.floor(Date.now() / 1000)) },
    ],
    secret: SECRET,
  });
}

void describe('DasListener (node:dgram)', () => {
  let listener: DasListener;
  let port: number;
  let client: dgram.Socket;
  const events: DasEvent[] = [];
  const errors: Error[] = [];
  const known = new Set(['02-00-00-00-01-00']);

  before(async () => {
    listener = new DasListener({
      address: '127.0.0.1',
      port: 0,
      clients: [{ name: 'test', address: '127.0.0.1', secret: SECRET }],
      nas: { identifiers: ['airlock'] },
      answerTimeoutMs: 300,
      onRequest: (r: DasRequest) => {
        const mac = r.session.callingStationId ?? '';
        if (mac === '02-00-00-00-09-09') return; // never answered: the timer NAKs 506
        // Answered later, as the service does after acting on the station.
        setTimeout(() => (known.has(mac) ? listener.ack(r.handle) : listener.nak(r.handle, ErrorCause.SessionContextNotFound)), 20);
      },
      onEvent: (e) => events.push(e),
      onError: (e) => errors.push(e),
    });
    port = (await listener.start()).port;
    client = dgram.createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
  });

  after(async () => {
    await listener.close();
    await listener.close();
    client.close();
  });

  /** Sends `req` and resolves with the first datagram back. */
  function exchange(req: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      client.once('message', (m) => resolve(m));
      client.send(req, port, '127.0.0.1');
    });
  }

  function verified(resp: Buffer, req: Buffer): { code: number; cause?: number } {
    const r = verifyResponse(resp, { code: req[0], identifier: req[1], authenticator: req.subarray(4, 20) }, SECRET);
    assert.ok(r.ok, r.ok ? '' : r.error.detail);
    const c = getAttribute(r.value.attributes, DasAttr.ErrorCause);
    return c === undefined ? { code: r.value.code } : { code: r.value.code, cause: readInt(c) };
  }

  void it('binds the port asked for (0: a free one)', () => {
    assert.ok(port > 0);
    assert.deepEqual(listener.address(), { address: '127.0.0.1', port });
  });

  void it('an answer given later by the owner reaches the client: ACK, NAK 503', async () => {
    const a = request(1, '02-00-00-00-01-00');
    assert.deepEqual(verified(await exchange(a), a), { code: DasCode.DisconnectAck });
    const b = request(2, '02-00-00-00-02-00');
    assert.deepEqual(verified(await exchange(b), b), { code: DasCode.DisconnectNak, cause: 503 });
  });

  void it('a request the owner never answers is NAKed 506 by the timer', async () => {
    const c = request(3, '02-00-00-00-09-09');
    const started = Date.now();
    assert.deepEqual(verified(await exchange(c), c), { code: DasCode.DisconnectNak, cause: ErrorCause.ResourcesUnavailable });
    assert.ok(Date.now() - started >= 250, 'not before answerTimeoutMs');
    assert.equal(listener.stats().total.answerTimeouts, 1);
  });

  void it('events and counters reach the owner; no errors', () => {
    assert.ok(events.some((e) => e.type === 'answered' && e.by === 'timeout'));
    assert.equal(listener.stats().total.acks.disconnect, 1);
    assert.deepEqual(errors, []);
  });

  void it("on a driver's monotonic clock: Event-Timestamp through wallMs, wake() when a deadline comes, the driver ticks", async () => {
    let wakes = 0;
    const t0 = performance.now();
    const driven = new DasListener({
      address: '127.0.0.1',
      port: 0,
      clients: [{ name: 'test', address: '127.0.0.1', secret: SECRET }],
      nas: {},
      answerTimeoutMs: 1000,
      clock: { now: () => performance.now() - t0, wallMs: (t) => performance.timeOrigin + t0 + t, wake: () => wakes++ },
      onRequest: () => undefined, // never answered
    });
    const drivenPort = (await driven.start()).port;
    const req = request(9, '02-00-00-00-01-00');
    const reply = new Promise<Buffer>((resolve) => client.once('message', (m) => resolve(m)));
    client.send(req, drivenPort, '127.0.0.1');
    while (wakes === 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(driven.stats().total.requests.disconnect, 1, 'current by the converted clock (a monotonic time read as Unix time would be stale)');
    const at = driven.nextDeadline();
    assert.ok(at !== undefined && at > 0 && at < 2000, `a deadline on the driver's clock: ${at}`);
    driven.tick(at);
    assert.deepEqual(verified(await reply, req), { code: DasCode.DisconnectNak, cause: ErrorCause.ResourcesUnavailable });
    await driven.close();
  });

  void it('start() rejects when the port is taken', async () => {
    const other = new DasListener({ address: '127.0.0.1', port, clients: [{ name: 'x', address: '127.0.0.1', secret: SECRET }], nas: {}, onRequest: () => undefined });
    await assert.rejects(other.start(), /EADDRINUSE/);
    await other.close();
  });
});
