/**
 * A netlink socket for the nl80211 driver: requests answered by sequence number, dumps
 * gathered until NLMSG_DONE, and everything else (multicast and unicast notifications)
 * handed to one listener in arrival order. The socket itself is this project's small N-API
 * addon @airlock/raw-netlink (raw-netlink/raw_netlink.c, an optional dependency of the
 * agent); the messages are this project's own too (netlink.ts).
 *
 * What the kernel cannot deliver is counted, not fatal: when the receive queue overflows
 * (a flood of frames on the air, each one a notification) the kernel drops messages and
 * says so once (ENOBUFS); the socket goes on. Every callback handed to the addon catches
 * what its listeners throw: such an exception is a bug of ours, counted (`callbackErrors`)
 * and logged with its stack (rate-limited), and it never reaches the native side.
 */
import { createRequire } from 'node:module';
import { SourceLog, type LineLogger } from '@airlock/log-limit';
import { Attrs, decodeGenlmsg, decodeNlmsgError, decodeNlmsgs, encodeGenlmsg, encodeNlmsg, NLM_F, NLMSG, type Attr, type Nlmsg } from './netlink.js';
import { GENL_CTRL } from './nl80211-constants.js';

/** The addon's socket (raw-netlink/raw_netlink.c). */
export interface RawNetlinkSocket {
  /** Sends one datagram to the kernel; 0, or the errno of the failure (netlink sends do not block). */
  send(bytes: Uint8Array): number;
  /** Joins a multicast group; throws an Error with `errno` and `syscall`. */
  addMembership(group: number): void;
  /** The port id the kernel gave the socket. */
  port(): number;
  close(): void;
}

/**
 * What the addon calls back with: the datagrams read in one poll of the socket, how many
 * times the kernel reported dropping messages for it (receive queue overflow, ENOBUFS) and
 * how many datagrams it dropped itself (longer than 64 KiB, or not from the kernel).
 */
export type RawDataListener = (datagrams: Buffer[], overruns: number, dropped: number) => void;
/** Any other socket error; `stopped`: the socket no longer reads. */
export type RawErrorListener = (errno: number, syscall: string, stopped: boolean) => void;

/** The addon's constructor. */
export type RawNetlinkSocketClass = new (protocol: number, recvBufferSize: number, sendBufferSize: number, onData: RawDataListener, onError: RawErrorListener) => RawNetlinkSocket;

/** Netlink protocol numbers. */
export const NETLINK_PROTOCOL = { ROUTE: 0, GENERIC: 16 } as const;

/** The addon's package. */
export const NETLINK_PACKAGE = '@airlock/raw-netlink';

/** What to do when the addon is missing. */
export const NETLINK_MISSING =
  `the nl80211 driver needs the optional package '${NETLINK_PACKAGE}' (a small N-API addon of this project, compiled at install by node-gyp: it needs python3, make and a C compiler, on Linux): install them, then run \`npm rebuild ${NETLINK_PACKAGE}\` in the repository (services/edge-agent/src/drivers/nl80211/raw-netlink)`;

let loaded: RawNetlinkSocketClass | undefined;

/** Loads the addon; undefined when it is missing or not built (the driver then names what to install). */
export function loadNetlinkBinding(): RawNetlinkSocketClass | undefined {
  if (loaded !== undefined) return loaded;
  try {
    const require = createRequire(import.meta.url);
    const addon = require(NETLINK_PACKAGE) as { RawNetlinkSocket: RawNetlinkSocketClass };
    loaded = addon.RawNetlinkSocket;
    return loaded;
  } catch {
    return undefined;
  }
}

/** A request the kernel refused, with its errno (EINVAL = 22, EEXIST = 17, ...). */
export class NetlinkError extends Error {
  constructor(
    readonly what: string,
    readonly errno: number,
  ) {
    super(`${what}: ${errnoName(errno)} (errno ${errno})`);
  }
}

const ERRNO: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 5: 'EIO', 9: 'EBADF', 11: 'EAGAIN', 12: 'ENOMEM', 16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV', 22: 'EINVAL', 28: 'ENOSPC', 34: 'ERANGE', 61: 'ENODATA', 67: 'ENOLINK', 71: 'EPROTO', 95: 'EOPNOTSUPP', 100: 'ENETDOWN', 105: 'ENOBUFS', 110: 'ETIMEDOUT', 114: 'EALREADY' };

/** The symbolic name of an errno. */
export function errnoName(errno: number): string {
  return ERRNO[errno] ?? `errno ${errno}`;
}

interface Pending {
  what: string;
  replies: Nlmsg[];
  dump: boolean;
  resolve: (m: Nlmsg[]) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** A notification from the kernel (not an answer to a request). */
export interface NetlinkNotification {
  /** Message type: the family id for generic netlink. */
  type: number;
  /** The generic netlink command (generic netlink sockets only). */
  cmd: number;
  attrs: Attrs;
}

/** How long the kernel gets to answer a request. */
const REQUEST_TIMEOUT_MS = 5000;
/** Receive buffer asked for by default: 4 MiB (the addon forces it past net.core.rmem_max where it may). */
const RECV_BUFFER_SIZE = 4 << 20;
const SEND_BUFFER_SIZE = 1 << 20;
/** Fault lines (overflows, exceptions in callbacks, socket errors): per kind, 5 at once and 5 per 10 s. */
const FAULT_LOG_LIMITS = { burst: 5, intervalMs: 10_000, maxKeys: 8 } as const;

/** Options of NetlinkSocket.open. */
export interface NetlinkSocketOptions {
  /** Receive buffer, octets; default 4 MiB. */
  recvBufferSize?: number;
  /** Where overflows, exceptions caught in callbacks and socket errors are logged (rate-limited). */
  logger?: LineLogger;
  /** The socket class; default the addon's (tests pass a stand-in). */
  binding?: RawNetlinkSocketClass;
}

/** What a socket counts. */
export interface NetlinkSocketCounters {
  /** Datagrams that did not decode (the kernel never sends them; counted as a defence). */
  malformed: number;
  /** Times the kernel reported dropping messages for this socket: its receive queue was full (ENOBUFS). */
  overruns: number;
  /** Datagrams the addon dropped: longer than its buffer, or not from the kernel. */
  dropped: number;
  /** Exceptions thrown by this socket's listeners (a bug of the agent): caught, counted, logged. */
  callbackErrors: number;
}

function describeError(e: unknown): { error: string; stack?: string } {
  return e instanceof Error ? { error: e.message, stack: e.stack } : { error: String(e) };
}

/** One netlink socket; see the module comment. */
export class NetlinkSocket {
  readonly counters: NetlinkSocketCounters = { malformed: 0, overruns: 0, dropped: 0, callbackErrors: 0 };
  private readonly pending = new Map<number, Pending>();
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private closed = false;
  private readonly raw: RawNetlinkSocket;
  private readonly generic: boolean;
  /** Fault lines, rate-limited per kind; none without a logger. */
  private readonly faults: { limit: SourceLog; logger: LineLogger } | undefined;

  private constructor(
    Raw: RawNetlinkSocketClass,
    protocol: number,
    private readonly onNotification: (n: NetlinkNotification) => void,
    private readonly onError: (e: Error) => void,
    opts: NetlinkSocketOptions,
  ) {
    if (opts.logger !== undefined) this.faults = { limit: new SourceLog({ source: 'netlink', logger: opts.logger, ...FAULT_LOG_LIMITS }), logger: opts.logger };
    this.generic = protocol === NETLINK_PROTOCOL.GENERIC;
    // The only two functions the addon calls: each catches whatever happens below it.
    this.raw = new Raw(
      protocol,
      opts.recvBufferSize ?? RECV_BUFFER_SIZE,
      SEND_BUFFER_SIZE,
      (datagrams, overruns, dropped) => this.guard(() => this.data(datagrams, overruns, dropped)),
      (errno, syscall, stopped) => this.guard(() => this.socketError(errno, syscall, stopped)),
    );
  }

  /**
   * Opens a socket of `protocol`; throws Error naming the package when the addon is missing.
   * `onError` hears socket errors (logged here too, when there is a logger): after one that
   * stopped the socket, it is closed and every request fails.
   */
  static open(protocol: number, onNotification: (n: NetlinkNotification) => void, onError: (e: Error) => void, opts: NetlinkSocketOptions = {}): NetlinkSocket {
    const Raw = opts.binding ?? loadNetlinkBinding();
    if (Raw === undefined) throw new Error(NETLINK_MISSING);
    return new NetlinkSocket(Raw, protocol, onNotification, onError, opts);
  }

  /** Datagrams that did not decode (see counters). */
  get malformed(): number {
    return this.counters.malformed;
  }

  /** The socket's port id (the kernel's "socket owner" key). */
  get portId(): number {
    return this.raw.port();
  }

  /** Joins a multicast group. */
  addMembership(group: number): void {
    this.raw.addMembership(group);
  }

  /** Sends a generic netlink request; resolves with its replies (all parts of a dump). */
  genl(family: number, cmd: number, attrs: readonly Attr[], opts: { dump?: boolean; what?: string } = {}): Promise<{ cmd: number; attrs: Attrs }[]> {
    const seq = this.nextSeq();
    const flags = NLM_F.REQUEST | NLM_F.ACK | (opts.dump === true ? NLM_F.DUMP : 0);
    return this.send(encodeGenlmsg(family, cmd, flags, seq, attrs), seq, opts.dump === true, opts.what ?? `netlink command ${cmd}`).then((msgs) => {
      const out: { cmd: number; attrs: Attrs }[] = [];
      for (const m of msgs) {
        const g = decodeGenlmsg(m.payload);
        if (!g.ok) continue;
        const a = Attrs.decode(g.value.attrs);
        if (a.ok) out.push({ cmd: g.value.cmd, attrs: a.value });
      }
      return out;
    });
  }

  /** Sends a request with a family-specific fixed header (rtnetlink); resolves with the raw replies. */
  request(type: number, fixed: Uint8Array, attrs: readonly Attr[], what: string): Promise<Nlmsg[]> {
    const seq = this.nextSeq();
    return this.send(encodeNlmsg({ type, flags: NLM_F.REQUEST | NLM_F.ACK, seq }, fixed, attrs), seq, false, what);
  }

  /** Resolves a generic netlink family: its id and multicast groups by name. */
  async family(name: string): Promise<{ id: number; groups: Map<string, number> }> {
    const replies = await this.genl(GENL_CTRL.ID, GENL_CTRL.CMD_GETFAMILY, [{ type: GENL_CTRL.ATTR_FAMILY_NAME, value: { string: name } }], { what: `resolve the ${name} family` });
    const a = replies[0]?.attrs;
    const id = a?.u16(GENL_CTRL.ATTR_FAMILY_ID);
    if (a === undefined || id === undefined) throw new Error(`generic netlink family ${name} not found (is the module loaded?)`);
    const groups = new Map<string, number>();
    const list = a.nested(GENL_CTRL.ATTR_MCAST_GROUPS);
    for (const g of list?.list ?? []) {
      const ga = Attrs.decode(g.data);
      if (!ga.ok) continue;
      const gname = ga.value.string(GENL_CTRL.ATTR_MCAST_GRP_NAME);
      const gid = ga.value.u32(GENL_CTRL.ATTR_MCAST_GRP_ID);
      if (gname !== undefined && gid !== undefined) groups.set(gname, gid);
    }
    return { id, groups };
  }

  /** Closes the socket; pending requests fail. */
  close(): void {
    this.shut('socket closed');
  }

  private shut(why: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const [seq, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`${p.what}: ${why}`));
      this.pending.delete(seq);
    }
    this.raw.close();
    this.faults?.limit.close();
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    if (this.seq === 0) this.seq = 1;
    return this.seq;
  }

  private send(msg: Buffer, seq: number, dump: boolean, what: string): Promise<Nlmsg[]> {
    if (this.closed) return Promise.reject(new Error(`${what}: socket closed`));
    return new Promise((resolve, reject) => {
      const errno = this.raw.send(msg);
      if (errno !== 0) {
        reject(new NetlinkError(`${what}: send failed`, errno));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`${what}: no answer from the kernel in ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(seq, { what, replies: [], dump, resolve, reject, timer });
    });
  }

  /** Runs one step of a callback from the addon: an exception is ours, and stops here. */
  private guard(step: () => void): void {
    try {
      step();
    } catch (e) {
      this.counters.callbackErrors++;
      try {
        this.fault('error', 'callback-error', { ...describeError(e), callbackErrors: this.counters.callbackErrors }, 'exception in a netlink socket callback (a bug): caught, the socket goes on');
      } catch {
        // The logger itself failed: the count above still tells (the driver logs its counters).
      }
    }
  }

  /** What the addon read in one poll: each datagram on its own, so one failure costs only its own. */
  private data(datagrams: Buffer[], overruns: number, dropped: number): void {
    this.counters.dropped += dropped;
    if (overruns > 0) {
      this.counters.overruns += overruns;
      this.fault('warn', 'overrun', { overruns: this.counters.overruns }, 'the kernel dropped netlink messages for the agent: its receive queue was full (a flood?)');
    }
    for (const d of datagrams) this.guard(() => this.receive(d));
  }

  private fault(level: 'error' | 'warn', kind: string, obj: object, msg: string): void {
    this.faults?.limit.write(this.faults.logger, level, kind, obj, msg);
  }

  private socketError(errno: number, syscall: string, stopped: boolean): void {
    const err = new Error(`netlink socket: ${syscall}: ${errnoName(errno)} (errno ${errno})${stopped ? '; the socket no longer reads' : ''}`);
    this.fault('error', `socket-error|${syscall}`, { errno, syscall, stopped }, 'netlink socket error');
    if (stopped) this.shut(err.message);
    this.onError(err);
  }

  private receive(datagram: Buffer): void {
    const d = decodeNlmsgs(datagram);
    if (!d.ok) {
      this.counters.malformed++;
      return;
    }
    for (const m of d.value) {
      const p = m.seq !== 0 ? this.pending.get(m.seq) : undefined;
      if (p !== undefined) {
        if (m.type === NLMSG.ERROR) {
          const e = decodeNlmsgError(m.payload);
          // An error message too short to read is no ACK: EPROTO.
          this.finish(m.seq, p, !e.ok ? new NetlinkError(p.what, 71) : e.value.errno !== 0 ? new NetlinkError(p.what, e.value.errno) : undefined);
        } else if (m.type === NLMSG.DONE) {
          this.finish(m.seq, p, undefined);
        } else {
          p.replies.push(m);
        }
        continue;
      }
      if (m.type === NLMSG.ERROR || m.type === NLMSG.DONE || m.type === NLMSG.NOOP) continue;
      if (!this.generic) continue;
      const g = decodeGenlmsg(m.payload);
      if (!g.ok) {
        this.counters.malformed++;
        continue;
      }
      const a = Attrs.decode(g.value.attrs);
      if (!a.ok) {
        this.counters.malformed++;
        continue;
      }
      const n: NetlinkNotification = { type: m.type, cmd: g.value.cmd, attrs: a.value };
      this.guard(() => this.onNotification(n));
    }
  }

  private finish(seq: number, p: Pending, err: Error | undefined): void {
    // A dump's ACK follows its DONE: the first of them settles the request.
    clearTimeout(p.timer);
    this.pending.delete(seq);
    if (err !== undefined) p.reject(err);
    else p.resolve(p.replies);
  }
}
