// RADIUS Identifier space of one UDP source port (RFC 2865 §3 "Identifier"; RFC 5080 §2.2.1).
//
// The Identifier is one octet, so one client socket can have at most 256 requests
// outstanding. The server detects duplicates by (client source IP, source port,
// Identifier), so an Identifier must not be reused on the same socket while its request is
// in flight. This table does no I/O: the client owns one per socket.

/** Number of distinct RADIUS Identifiers (the field is one octet). */
export const IDENTIFIER_SPACE = 256;

/**
 * The Identifiers in use on one socket, each mapped to the request that holds it.
 * Identifiers are handed out round-robin so that a just-freed Identifier is reused as late
 * as possible: a late duplicate answer to an old request then finds no request, instead of
 * a new request whose authenticator check would have to reject it.
 */
export class IdentifierTable<T> {
  private readonly slots: (T | undefined)[] = new Array<T | undefined>(IDENTIFIER_SPACE).fill(undefined);
  private used = 0;
  private cursor: number;

  /** `start` is the first Identifier tried (the client randomises it per socket). */
  constructor(start = 0) {
    this.cursor = start & 0xff;
  }

  /** Identifiers currently held. */
  get size(): number {
    return this.used;
  }

  /** True when all 256 Identifiers are held. */
  get full(): boolean {
    return this.used === IDENTIFIER_SPACE;
  }

  /** Takes a free Identifier for `entry`; undefined when all 256 are held. */
  take(entry: T): number | undefined {
    if (this.full) return undefined;
    for (let i = 0; i < IDENTIFIER_SPACE; i++) {
      const id = (this.cursor + i) & 0xff;
      if (this.slots[id] === undefined) {
        this.slots[id] = entry;
        this.used++;
        this.cursor = (id + 1) & 0xff;
        return id;
      }
    }
    return undefined; // unreachable: `used` says a slot is free
  }

  /** The request holding `id`, if any. */
  get(id: number): T | undefined {
    return this.slots[id & 0xff];
  }

  /** Frees `id` if `entry` holds it (a stale release of a reused Identifier is a no-op). */
  release(id: number, entry: T): boolean {
    if (this.slots[id & 0xff] !== entry) return false;
    this.slots[id & 0xff] = undefined;
    this.used--;
    return true;
  }

  /** All held entries. */
  entries(): T[] {
    return this.slots.filter((e): e is T => e !== undefined);
  }
}
