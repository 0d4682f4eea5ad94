/**
 * The shared store's records in octets, before they are sealed (sealed-box.ts): a BSS's group
 * keys, an authorized station's security association, a PMKSA. Binary rather than JSON so
 * the plaintext, which holds keys, is one Buffer that is wiped once sealed (a JavaScript
 * string cannot be wiped). Times travel as Unix milliseconds: each process converts from and
 * to its core's clock. Decoding never throws: a record that does not parse is undefined.
 */
import type { AuthRecord, BssSnapshot, SharedPmksa, StationSnapshot } from '@airlock/rsn';

/**
 * Record versions. Version 2 appends what WPA3 added (a BSS's IGTKs and BIGTKs, a station's
 * RSNXE, an SAE PMKSA's PMKID and BSSID); a record without them is still written as version
 * 1, so instances of the release before can read it during a rolling upgrade. Both are read.
 */
const BSS_V = 1;
const STA_V = 1;
const PMKSA_V = 1;
const V2 = 2;

/** Core clock <-> Unix ms. */
export interface WallClock {
  toWall(coreMs: number): number;
  toCore(wallMs: number): number;
}

class Writer {
  private buf = Buffer.alloc(256);
  private at = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf.fill(0);
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.at++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.at);
    this.at += 4;
    return this;
  }

  /** A float64 (times, which may be Infinity). */
  f64(v: number): this {
    this.room(8);
    this.buf.writeDoubleBE(v, this.at);
    this.at += 8;
    return this;
  }

  bytes(b: Buffer | undefined): this {
    if (b === undefined) return this.u32(0xffffffff);
    this.u32(b.length);
    this.room(b.length);
    b.copy(this.buf, this.at);
    this.at += b.length;
    return this;
  }

  text(s: string): this {
    return this.bytes(Buffer.from(s, 'utf8'));
  }

  /** The octets written (a copy); the working buffer is wiped. */
  done(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.at));
    this.buf.fill(0);
    return out;
  }
}

class Reader {
  private at = 0;
  bad = false;

  constructor(private readonly buf: Buffer) {}

  private take(n: number): number {
    if (this.bad || this.at + n > this.buf.length) {
      this.bad = true;
      return -1;
    }
    const p = this.at;
    this.at += n;
    return p;
  }

  u8(): number {
    const p = this.take(1);
    return p < 0 ? 0 : this.buf[p];
  }

  u32(): number {
    const p = this.take(4);
    return p < 0 ? 0 : this.buf.readUInt32BE(p);
  }

  f64(): number {
    const p = this.take(8);
    return p < 0 ? 0 : this.buf.readDoubleBE(p);
  }

  bytes(): Buffer | undefined {
    const n = this.u32();
    if (n === 0xffffffff || this.bad) return undefined;
    const p = this.take(n);
    return p < 0 ? undefined : Buffer.from(this.buf.subarray(p, p + n));
  }

  need(): Buffer {
    const b = this.bytes();
    if (b === undefined) this.bad = true;
    return b ?? Buffer.alloc(0);
  }

  text(): string {
    return this.need().toString('utf8');
  }

  /** True when everything was read, and nothing more is there. */
  get complete(): boolean {
    return !this.bad && this.at === this.buf.length;
  }
}

const wallOf = (c: WallClock, t: number): number => (Number.isFinite(t) ? c.toWall(t) : t);
const coreOf = (c: WallClock, t: number): number => (Number.isFinite(t) ? c.toCore(t) : t);

export function encodeBss(s: BssSnapshot, clock: WallClock): Buffer {
  const pmf = s.igtk1 !== undefined || s.igtk2 !== undefined || s.bigtk1 !== undefined || s.bigtk2 !== undefined;
  const w = new Writer().u8(pmf ? V2 : BSS_V).bytes(s.bssid).u8(s.GN).u8(s.GM).u8(s.txKeyId).u8(s.rekeying ? 1 : 0).bytes(s.gtk1).bytes(s.gtk2).f64(wallOf(clock, s.rekeyAt));
  if (pmf) w.bytes(s.igtk1).bytes(s.igtk2).bytes(s.bigtk1).bytes(s.bigtk2);
  return w.done();
}

export function decodeBss(b: Buffer, clock: WallClock): BssSnapshot | undefined {
  const r = new Reader(b);
  const v = r.u8();
  if (v !== BSS_V && v !== V2) return undefined;
  const bssid = r.need();
  const GN = r.u8();
  const GM = r.u8();
  const txKeyId = r.u8();
  const rekeying = r.u8() === 1;
  const gtk1 = r.bytes();
  const gtk2 = r.bytes();
  const rekeyAt = coreOf(clock, r.f64());
  const mgmt = v === V2 ? { igtk1: r.bytes(), igtk2: r.bytes(), bigtk1: r.bytes(), bigtk2: r.bytes() } : {};
  if (!r.complete || bssid.length !== 6 || !keyId(GN) || !keyId(GM) || GN === GM || !keyId(txKeyId)) return undefined;
  if ((txKeyId === 1 ? gtk1 : gtk2) === undefined) return undefined;
  return { bssid, GN, GM, txKeyId, rekeying, gtk1, gtk2, rekeyAt, ...mgmt };
}

function keyId(v: number): v is 1 | 2 {
  return v === 1 || v === 2;
}

export function encodeStation(s: StationSnapshot, clock: WallClock): Buffer {
  const w = new Writer().u8(s.assocRsnxe !== undefined ? V2 : STA_V).bytes(s.bssid).bytes(s.sta).bytes(s.assocRsne).u32(s.akm).u32(s.pairwiseCipher).f64(wallOf(clock, s.associatedAt)).bytes(s.pmk).bytes(s.ptk);
  w.f64(s.replayCounter).u8(s.gtkKeyId).u8(s.lastEapId).text(s.acctSessionId).f64(s.acctStartedAt === undefined ? NaN : wallOf(clock, s.acctStartedAt)).f64(wallOf(clock, s.sessionEndAt));
  const a = s.authz;
  w.u8(a === undefined ? 0 : 1);
  if (a !== undefined) {
    writeGrant(w, a).bytes(a.pmkid);
    // The authentication as `explain` shows it (identity, method, rounds): no key material.
    w.text(JSON.stringify(a.record));
  }
  if (s.assocRsnxe !== undefined) w.bytes(s.assocRsnxe);
  return w.done();
}

export function decodeStation(b: Buffer, clock: WallClock): StationSnapshot | undefined {
  const r = new Reader(b);
  const v = r.u8();
  if (v !== STA_V && v !== V2) return undefined;
  const bssid = r.need();
  const sta = r.need();
  const assocRsne = r.need();
  const akm = r.u32();
  const pairwiseCipher = r.u32();
  const associatedAt = coreOf(clock, r.f64());
  const pmk = r.bytes();
  const ptk = r.need();
  const replayCounter = r.f64();
  const gtkKeyId = r.u8();
  const lastEapId = r.u8();
  const acctSessionId = r.text();
  const acctStart = r.f64();
  const sessionEndAt = coreOf(clock, r.f64());
  let authz: StationSnapshot['authz'];
  if (r.u8() === 1) {
    const grant = readGrant(r);
    const pmkid = r.bytes();
    const record = parseRecord(r.text());
    if (grant === undefined || record === undefined) return undefined;
    authz = { ...grant, pmkid, record };
  }
  const assocRsnxe = v === V2 ? r.need() : undefined;
  // A port without key management (wired 802.1X alone) has no PTK.
  if (!r.complete || bssid.length !== 6 || sta.length !== 6 || (ptk.length !== 0 && ptk.length < 48) || !Number.isSafeInteger(replayCounter) || replayCounter < 0) return undefined;
  return { bssid, sta, assocRsne, ...(assocRsnxe !== undefined ? { assocRsnxe } : {}), akm, pairwiseCipher, associatedAt, pmk, ptk, replayCounter, gtkKeyId, lastEapId, acctSessionId, acctStartedAt: Number.isNaN(acctStart) ? undefined : clock.toCore(acctStart), sessionEndAt, authz };
}

function parseRecord(text: string): AuthRecord | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || typeof (v as AuthRecord).identity !== 'string' || !Array.isArray((v as AuthRecord).rounds)) return undefined;
    return v as AuthRecord;
  } catch {
    return undefined;
  }
}

/** What IEEE 802.1X granted (a station's authorization, a PMKSA's). */
type GrantFields = Pick<SharedPmksa, 'identity' | 'classes' | 'vlanId' | 'sessionTimeoutS' | 'terminationAction' | 'acctMultiSessionId'>;

function writeGrant(w: Writer, g: GrantFields): Writer {
  w.text(g.identity).u32(g.classes.length);
  for (const c of g.classes) w.bytes(c);
  return w.u32(g.vlanId).u32(g.sessionTimeoutS).u32(g.terminationAction).text(g.acctMultiSessionId);
}

function readGrant(r: Reader): GrantFields | undefined {
  const identity = r.text();
  const n = r.u32();
  if (n > 64) return undefined;
  const classes: Buffer[] = [];
  for (let i = 0; i < n; i++) classes.push(r.need());
  return { identity, classes, vlanId: r.u32(), sessionTimeoutS: r.u32(), terminationAction: r.u32(), acctMultiSessionId: r.text() };
}

/** A PMKSA with its expiry in Unix ms. */
export function encodePmksa(e: SharedPmksa, nowWall: number): Buffer {
  const sae = e.pmkid !== undefined;
  const w = writeGrant(new Writer().u8(sae ? V2 : PMKSA_V).bytes(e.sta).bytes(e.ssid).bytes(e.pmk).u32(e.akm).f64(nowWall + e.remainingMs), e);
  if (sae) w.bytes(e.pmkid).bytes(e.aa);
  return w.done();
}

export function decodePmksa(b: Buffer, nowWall: number): SharedPmksa | undefined {
  const r = new Reader(b);
  const v = r.u8();
  if (v !== PMKSA_V && v !== V2) return undefined;
  const sta = r.need();
  const ssid = r.need();
  const pmk = r.need();
  const akm = r.u32();
  const expires = r.f64();
  const grant = readGrant(r);
  const sae = v === V2 ? { pmkid: r.need(), aa: r.need() } : undefined;
  if (grant === undefined || !r.complete || sta.length !== 6 || ssid.length > 32 || pmk.length < 16) return undefined;
  if (sae !== undefined && (sae.pmkid.length !== 16 || sae.aa.length !== 6)) return undefined;
  return { sta, ssid, pmk, akm, remainingMs: expires - nowWall, ...grant, ...sae };
}
