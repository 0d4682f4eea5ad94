// Tests of the netlink socket (netlink(7)): what the addon @airlock/raw-netlink calls back
// with never throws back into it, whatever the listeners do; faults are counted and logged
// at a bounded rate; and, on a real kernel socket, a receive queue that overflows (ENOBUFS,
// which epoll reports as EPOLLERR) is counted while the socket goes on answering — the
// npm package `netlink` 0.3.0 ended the process there (std::terminate in its poll callback).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { attr, encodeGenlmsg, encodeNlmsg, NLMSG } from './netlink.js';
import {
  loadNetlinkBinding,
  NETLINK_MISSING,
  NETLINK_PROTOCOL,
  NetlinkError,
  NetlinkSocket,
  type NetlinkNotification,
  type RawDataListener,
  type RawErrorListener,
  type RawNetlinkSocket,
} from './netlink-socket.js';

const FAMILY = 0x1c;
const CMD_FRAME = 59;
const ATTR_IFINDEX = 3;
const EPERM = 1;
const ENODEV = 19;

/** A stand-in for the addon: hands the test the two callbacks and what was sent. */
class FakeRaw implements RawNetlinkSocket {
  static last: FakeRaw | undefined;
  readonly sent: Buffer[] = [];
  sendErrno = 0;
  closed = false;
  constructor(
    readonly protocol: number,
    readonly recvBufferSize: number,
    readonly sendBufferSize: number,
    readonly onData: RawDataListener,
    readonly onError: RawErrorListener,
  ) {
    FakeRaw.last = this;
  }
  send(bytes: Uint8Array): number {
    this.sent.push(Buffer.from(bytes));
    return this.sendErrno;
  }
  addMembership(): void {}
  port(): number {
    return 4242;
  }
  close(): void {
    this.closed = true;
  }
}

/** Log lines written, by level. */
class Lines {
  readonly lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  private write(level: string, obj: object, msg: string): void {
    this.lines.push({ level, obj: obj as Record<string, unknown>, msg });
  }
  error(obj: object, msg: string): void {
    this.write('error', obj, msg);
  }
  warn(obj: object, msg: string): void {
    this.write('warn', obj, msg);
  }
  info(obj: object, msg: string): void {
    this.write('info', obj, msg);
  }
  debug(obj: object, msg: string): void {
    this.write('debug', obj, msg);
  }
  trace(obj: object, msg: string): void {
    this.write('trace', obj, msg);
  }
}

function open(onNotification: (n: NetlinkNotification) => void, opts: { onError?: (e: Error) => void; logger?: Lines } = {}): { sock: NetlinkSocket; raw: FakeRaw } {
  const sock = NetlinkSocket.open(NETLINK_PROTOCOL.GENERIC, onNotification, opts.onError ?? (() => undefined), { logger: opts.logger, binding: FakeRaw });
  return { sock, raw: FakeRaw.last! };
}

/** A FRAME notification on interface `ifindex`. */
function notification(ifindex: number): Buffer {
  return encodeGenlmsg(FAMILY, CMD_FRAME, 0, 0, [attr.u32(ATTR_IFINDEX, ifindex)]);
}

/** The ACK (NLMSG_ERROR, errno 0 or the error) of the request with sequence number `seq`. */
function ack(seq: number, errno = 0): Buffer {
  const payload = Buffer.alloc(4 + 16);
  payload.writeInt32LE(-errno, 0);
  payload.writeUInt32LE(seq, 4 + 8);
  return encodeNlmsg({ type: NLMSG.ERROR, flags: 0, seq }, payload, []);
}

const seqOf = (msg: Buffer): number => msg.readUInt32LE(8);

void describe('netlink socket: callbacks from the addon', () => {
  void it('a listener that throws is caught, counted and logged with its stack; the rest of the datagram and the socket go on', async () => {
    const logger = new Lines();
    const seen: number[] = [];
    const { sock, raw } = open(
      (n) => {
        const ifindex = n.attrs.u32(ATTR_IFINDEX) ?? 0;
        if (ifindex === 1) throw new TypeError('a bug in the driver');
        seen.push(ifindex);
      },
      { logger },
    );
    const answer = sock.genl(FAMILY, 5, [], { what: 'a request' });
    const seq = seqOf(raw.sent[0]);
    assert.doesNotThrow(() => raw.onData([Buffer.concat([notification(1), notification(2)]), Buffer.concat([notification(3), ack(seq)])], 0, 0));
    await answer;
    assert.deepEqual(seen, [2, 3]);
    assert.equal(sock.counters.callbackErrors, 1);
    const line = logger.lines.find((l) => l.level === 'error');
    assert.ok(line !== undefined, 'the exception was logged');
    assert.match(String(line.obj.stack), /TypeError: a bug in the driver/);
    sock.close();
  });

  void it('a bug logged 1000 times in a row writes a bounded number of lines, and every one is counted', () => {
    const logger = new Lines();
    const { sock, raw } = open(
      () => {
        throw new Error('always');
      },
      { logger },
    );
    for (let i = 0; i < 1000; i++) raw.onData([notification(i)], 0, 0);
    assert.equal(sock.counters.callbackErrors, 1000);
    const errors = logger.lines.filter((l) => l.level === 'error').length;
    assert.ok(errors >= 1 && errors <= 5, `${errors} error lines`);
    sock.close();
  });

  void it('a logger that throws costs the line, not the count, and nothing reaches the addon', () => {
    const logger = new Lines();
    logger.error = () => {
      throw new Error('the log is broken');
    };
    const { sock, raw } = open(
      () => {
        throw new Error('a bug');
      },
      { logger },
    );
    assert.doesNotThrow(() => raw.onData([notification(1)], 0, 0));
    assert.equal(sock.counters.callbackErrors, 1);
    sock.close();
  });

  void it('overflows the kernel reports are counted and logged at a bounded rate', () => {
    const logger = new Lines();
    const { sock, raw } = open(() => undefined, { logger });
    for (let i = 0; i < 100; i++) raw.onData([], 2, 1);
    assert.equal(sock.counters.overruns, 200);
    assert.equal(sock.counters.dropped, 100);
    const warns = logger.lines.filter((l) => l.level === 'warn' && l.msg.includes('receive queue was full')).length;
    assert.ok(warns >= 1 && warns <= 5, `${warns} lines`);
    sock.close();
  });

  void it('a socket error that stopped the socket fails its requests at once; an onError listener that throws is caught', async () => {
    const { sock, raw } = open(() => undefined, {
      onError: () => {
        throw new Error('a bug in the error listener');
      },
    });
    const answer = sock.genl(FAMILY, 5, [], { what: 'a request' });
    assert.doesNotThrow(() => raw.onError(9, 'getsockopt', true));
    await assert.rejects(answer, /a request: netlink socket: getsockopt: EBADF \(errno 9\); the socket no longer reads/);
    await assert.rejects(sock.genl(FAMILY, 5, []), /socket closed/);
    assert.equal(raw.closed, true);
    assert.equal(sock.counters.callbackErrors, 1);
  });

  void it('a refused send rejects with its errno', async () => {
    const { sock, raw } = open(() => undefined);
    raw.sendErrno = EPERM;
    const err = await sock.genl(FAMILY, 5, [], { what: 'a request' }).catch((e: unknown) => e);
    assert.ok(err instanceof NetlinkError);
    assert.equal(err.errno, EPERM);
    sock.close();
  });

  void it('property: the callbacks never throw, whatever the datagrams and whatever the listeners throw', () => {
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
      fc.integer({ min: 0, max: 5 }).map(notification),
      fc.integer({ min: 0, max: 3 }).map((s) => ack(s)),
      fc.constant(Buffer.alloc(0)),
    );
    fc.assert(
      fc.property(fc.array(fc.array(datagram, { maxLength: 6 }), { maxLength: 6 }), fc.boolean(), fc.nat(3), (batches, throwing, overruns) => {
        const { sock, raw } = open(
          () => {
            if (throwing) throw new Error('listener');
          },
          {
            logger: new Lines(),
            onError: () => {
              if (throwing) throw new Error('error listener');
            },
          },
        );
        // Requests waiting for sequence numbers 0..3 (some datagrams answer them).
        for (let i = 0; i < 4; i++) sock.genl(FAMILY, 5, []).catch(() => undefined);
        for (const b of batches) raw.onData(b, overruns, 0);
        raw.onError(105, 'recvmsg', false);
        sock.close();
      }),
    );
  });
});

void describe('netlink socket: a real kernel socket (NETLINK_ROUTE)', { skip: process.platform !== 'linux' && 'netlink is Linux only' }, () => {
  /** RTM_GETLINK for one interface index (an ifinfomsg with only the index). */
  const getLink = (sock: NetlinkSocket, ifindex: number, what: string): Promise<unknown> => {
    const ifinfo = Buffer.alloc(16);
    ifinfo.writeInt32LE(ifindex, 4);
    return sock.request(18, ifinfo, [], what);
  };

  void it('a receive queue that overflows is counted, and the socket still answers (the netlink package aborted the process here)', async () => {
    assert.ok(loadNetlinkBinding() !== undefined, NETLINK_MISSING);
    const logger = new Lines();
    // The smallest receive buffer the kernel gives: two answers fill it.
    const sock = NetlinkSocket.open(NETLINK_PROTOCOL.ROUTE, () => undefined, () => undefined, { recvBufferSize: 1, logger });
    try {
      // Netlink requests run in the kernel during send: 200 answers of ~1 KiB each (the
      // loopback interface's) meet a full queue before the event loop reads any.
      const flood = Array.from({ length: 200 }, (_, i) => getLink(sock, 1, `flood ${i}`).catch(() => undefined));
      const deadline = Date.now() + 5000;
      while (sock.counters.overruns === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok(sock.counters.overruns > 0, 'the kernel reported no overflow');
      assert.ok(logger.lines.some((l) => l.level === 'warn' && l.msg.includes('receive queue was full')), 'the overflow was logged');
      // Still reading: a request whose answer is one short error message.
      const err = await getLink(sock, 0x7fff_fff0, 'a missing interface').catch((e: unknown) => e);
      assert.ok(err instanceof NetlinkError, String(err));
      assert.equal(err.errno, ENODEV);
      assert.equal(sock.counters.callbackErrors, 0);
      sock.close();
      await Promise.all(flood);
    } finally {
      sock.close();
    }
  });
});
