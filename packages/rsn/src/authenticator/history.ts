/**
 * Finished handshakes per station, for `explain`: the newest first, a few per station, for
 * a bounded number of stations (the least recently updated go first). Kept after a station
 * leaves: "why did it fail" is asked afterwards.
 */
import type { HandshakeRecord } from './records.js';

export class HandshakeHistory {
  private readonly byStation = new Map<string, HandshakeRecord[]>();

  constructor(
    private readonly perStation: number,
    private readonly stations: number,
  ) {}

  add(key: string, rec: HandshakeRecord): void {
    let list = this.byStation.get(key);
    if (list === undefined) {
      if (this.byStation.size >= this.stations) {
        const oldest = this.byStation.keys().next().value;
        if (oldest !== undefined) this.byStation.delete(oldest);
      }
      list = [];
      this.byStation.set(key, list);
    }
    list.unshift(rec);
    if (list.length > this.perStation) list.length = this.perStation;
  }

  /** A copy of the station's records, newest first. */
  of(key: string): HandshakeRecord[] {
    return [...(this.byStation.get(key) ?? [])];
  }

  /** The station's newest record. */
  latest(key: string): HandshakeRecord | undefined {
    return this.byStation.get(key)?.[0];
  }
}
