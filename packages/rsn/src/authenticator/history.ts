/**
 * Finished handshakes per station, for `explain`: the newest first, a few per station, for
 * a bounded number of stations (the least recently updated go first). Kept after a station
 * leaves: "why did it fail" is asked afterwards. A station's latest record stays with its
 * association while it is associated (Association.record); only older ones, and those of
 * stations that left, are kept here: an idle station costs no entry.
 */
import { takeOldest } from '@airlock/bytes';
import type { HandshakeRecord } from './records.js';

export class HandshakeHistory {
  /** One record, or several newest first (most stations have one). */
  private readonly byStation = new Map<string, HandshakeRecord | HandshakeRecord[]>();

  constructor(
    private readonly perStation: number,
    private readonly stations: number,
  ) {}

  add(key: string, rec: HandshakeRecord): void {
    const had = this.byStation.get(key);
    if (had === undefined) {
      if (this.byStation.size >= this.stations) takeOldest(this.byStation);
      this.byStation.set(key, rec);
      return;
    }
    const list = Array.isArray(had) ? had : [had];
    list.unshift(rec);
    if (list.length > this.perStation) list.length = this.perStation;
    // Most recently updated last: the bound drops the stations not heard of for longest.
    this.byStation.delete(key);
    this.byStation.set(key, list);
  }

  /**
   * The station's records, newest first: `live`, the finished record of its association
   * (when it is associated), then the kept ones.
   */
  of(key: string, live?: HandshakeRecord): HandshakeRecord[] {
    const had = this.byStation.get(key);
    const kept = had === undefined ? [] : Array.isArray(had) ? had : [had];
    const out = live !== undefined && live.result !== undefined ? [live, ...kept] : [...kept];
    if (out.length > this.perStation) out.length = this.perStation;
    return out;
  }
}
