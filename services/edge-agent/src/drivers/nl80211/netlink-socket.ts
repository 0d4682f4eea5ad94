/**
 * A netlink socket for the nl80211 driver: requests answered by sequence number, dumps
 * gathered until NLMSG_DONE, and everything else (multicast and unicast notifications)
 * handed to one listener in arrival order. The socket itself comes from the optional npm
 * package `netlink` (an N-API binding with prebuilt binaries; only its raw socket is used,
 * the messages are this project's own, see netlink.ts).
 */
import { createRequire } from 'node:module';
import { Attrs, decodeGenlmsg, decodeNlmsgError, decodeNlmsgs, encodeGenlmsg, encodeNlmsg, NLM_F, NLMSG, type Attr, type Nlmsg } from './netlink.js';
import { GENL_CTRL } from './nl80211-constants.js';

/** The part of `netlink`'s RawNetlinkSocket the driver uses (see node_modules/netlink/dist/raw.d.ts). */
interface RawNetlinkSocket {
  send(msg: Uint8Array, options?: { port?: number }, callback?: (error?: Error) => void): void;
  on(event: 'message', listener: (msg: Buffer) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  close(): void;
  address(): { port: number };
  addMembership(group: number): void;
  setRecvBufferSize(size: number): void;
  unref(): void;
}

type RawNetlinkSocketClass = new (protocol: number, options?: { recvBufferSize?: number; sendBufferSize?: number }) => RawNetlinkSocket;

/** Netlink protocol numbers. */
export const NETLINK_PROTOCOL = { ROUTE: 0, GENERIC: 16 } as const;

/** What to install when the binding is missing. */
export const NETLINK_MISSING =
  "the nl80211 driver needs the optional npm package 'netlink' (prebuilt N-API binding for Linux x64, arm64, arm, ia32): run `npm install netlink` in the agent's directory (it is an optionalDependency of @airlock/edge-agent)";

let loaded: RawNetlinkSocketClass | undefined;

/** Loads the binding; undefined when it is missing (the driver then names what to install). */
export function loadNetlinkBinding(): RawNetlinkSocketClass | undefined {
  if (loaded !== undefined) return loaded;
  try {
    const require = createRequire(import.meta.url);
    const raw = require('netlink/dist/raw.js') as { RawNetlinkSocket: RawNetlinkSocketClass };
    loaded = raw.RawNetlinkSocket;
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

const ERRNO: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 11: 'EAGAIN', 12: 'ENOMEM', 16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV', 22: 'EINVAL', 28: 'ENOSPC', 34: 'ERANGE', 61: 'ENODATA', 67: 'ENOLINK', 71: 'EPROTO', 95: 'EOPNOTSUPP', 100: 'ENETDOWN', 110: 'ETIMEDOUT', 114: 'EALREADY' };

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

/** One netlink socket; see the module comment. */
export class NetlinkSocket {
  private readonly pending = new Map<number, Pending>();
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private closed = false;
  /** Datagrams that did not decode (the kernel never sends them; counted as a defence). */
  malformed = 0;

  private constructor(
    private readonly raw: RawNetlinkSocket,
    private readonly generic: boolean,
    private readonly onNotification: (n: NetlinkNotification) => void,
    private readonly onError: (e: Error) => void,
  ) {
    raw.on('message', (msg) => this.receive(msg));
    raw.on('error', (e) => this.onError(e));
  }

  /** Opens a socket of `protocol`; throws Error naming the package when the binding is missing. */
  static open(protocol: number, onNotification: (n: NetlinkNotification) => void, onError: (e: Error) => void): NetlinkSocket {
    const Raw = loadNetlinkBinding();
    if (Raw === undefined) throw new Error(NETLINK_MISSING);
    const raw = new Raw(protocol, { recvBufferSize: 4 << 20, sendBufferSize: 1 << 20 });
    return new NetlinkSocket(raw, protocol === NETLINK_PROTOCOL.GENERIC, onNotification, onError);
  }

  /** The socket's port id (the kernel's "socket owner" key). */
  get portId(): number {
    return this.raw.address().port;
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
    if (this.closed) return;
    this.closed = true;
    for (const [seq, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`${p.what}: socket closed`));
      this.pending.delete(seq);
    }
    this.raw.close();
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    if (this.seq === 0) this.seq = 1;
    return this.seq;
  }

  private send(msg: Buffer, seq: number, dump: boolean, what: string): Promise<Nlmsg[]> {
    if (this.closed) return Promise.reject(new Error(`${what}: socket closed`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`${what}: no answer from the kernel in ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(seq, { what, replies: [], dump, resolve, reject, timer });
      this.raw.send(msg, {}, (err) => {
        if (err === undefined || err === null) return;
        const p = this.pending.get(seq);
        if (p === undefined) return;
        clearTimeout(p.timer);
        this.pending.delete(seq);
        p.reject(new Error(`${what}: send failed: ${err.message}`));
      });
    });
  }

  private receive(datagram: Buffer): void {
    const d = decodeNlmsgs(datagram);
    if (!d.ok) {
      this.malformed++;
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
        this.malformed++;
        continue;
      }
      const a = Attrs.decode(g.value.attrs);
      if (!a.ok) {
        this.malformed++;
        continue;
      }
      this.onNotification({ type: m.type, cmd: g.value.cmd, attrs: a.value });
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
