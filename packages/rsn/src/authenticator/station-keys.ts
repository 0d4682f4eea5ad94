/**
 * Where an association's long-lived bytes live: its MAC, PMK and PTK. Buffer.from() and the
 * other small allocations take slices of Node's shared 8 KiB pool, so a slice kept for hours
 * pins its whole slab, the rest of which held frames long gone: ~1 KiB of pool per idle
 * station was pinned that way (a heap snapshot of core-memory, issue 15). These bytes come
 * from slabs of their own instead.
 *
 * Keys are internal to the core (effects carry copies), so a key slice freed here is wiped
 * and handed out again for the next key of its size. A MAC is not: effects and reports carry
 * the station's MAC Buffer itself and may outlive the station, so MAC slices are never reused;
 * their slabs are small (16 MACs), so a slab that outlives most of its stations wastes little.
 */
import { copyPtkOctets, ptkFromOctets, ptkLength, type PtkKeys } from '../crypto/index.js';
import type { Association } from './records.js';

const KEY_SLAB = 16 * 1024;
const MACS_PER_SLAB = 16;

export class StationKeys {
  private keySlab = Buffer.alloc(0);
  private keyUsed = 0;
  private readonly free = new Map<number, Buffer[]>();
  private macSlab = Buffer.alloc(0);
  private macUsed = 0;

  /** A station's MAC, copied into memory of its own. */
  mac(src: Buffer): Buffer {
    if (this.macUsed + 6 > this.macSlab.length) {
      this.macSlab = Buffer.allocUnsafeSlow(6 * MACS_PER_SLAB);
      this.macUsed = 0;
    }
    const out = this.macSlab.subarray(this.macUsed, this.macUsed + 6);
    this.macUsed += 6;
    out.set(src);
    return out;
  }

  /** The station's PMK becomes a copy of `pmk` (the caller keeps, and wipes, its own); the old one is wiped. */
  setPmk(st: Association, pmk: Buffer): void {
    if (pmk === st.PMK) return;
    const old = st.PMK;
    const copy = this.take(pmk.length);
    copy.set(pmk);
    st.PMK = copy;
    this.release(old);
  }

  /** The station's PTK becomes a copy of `ptk`, which is wiped; the old one is wiped. */
  setPtk(st: Association, ptk: PtkKeys): void {
    const octets = copyPtkOctets(ptk, this.take(ptkLength(ptk)));
    ptk.kck.fill(0);
    ptk.kek.fill(0);
    ptk.tk.fill(0);
    const old = st.PTK;
    st.PTK = ptkFromOctets(octets);
    if (old !== undefined) this.release(old.octets);
  }

  /** The PTK goes (wiped). */
  dropPtk(st: Association): void {
    const old = st.PTK;
    st.PTK = undefined;
    if (old !== undefined) this.release(old.octets);
  }

  /** The PMK goes (wiped). */
  dropPmk(st: Association): void {
    const old = st.PMK;
    st.PMK = undefined;
    this.release(old);
  }

  private take(n: number): Buffer {
    const list = this.free.get(n);
    if (list !== undefined && list.length > 0) return list.pop()!;
    if (this.keyUsed + n > this.keySlab.length) {
      this.keySlab = Buffer.allocUnsafeSlow(KEY_SLAB);
      this.keyUsed = 0;
    }
    const out = this.keySlab.subarray(this.keyUsed, this.keyUsed + n);
    this.keyUsed += n;
    return out;
  }

  /** Wipes a key slice and keeps it for the next key of its size. */
  private release(b: Buffer | undefined): void {
    if (b === undefined) return;
    b.fill(0);
    let list = this.free.get(b.length);
    if (list === undefined) this.free.set(b.length, (list = []));
    list.push(b);
  }
}
