/**
 * A hostile radio for the Wi-Fi tests: a monitor interface on a spare hwsim radio that
 * injects arbitrary 802.11 frames (radiotap header, then the frame) and captures what the
 * air carries, through libpcap (the optional `cap` package of the edge agent, loaded from
 * its workspace). Frames it builds are the test's own bytes; the AP side is the real agent.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/authenticator-process.js';
import { sh } from './world.js';

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  send(buffer: Buffer, nBytes?: number): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
}

/** Closed handles stay referenced (cap 0.2.1 crashes when the GC frees one: see pcap-link.ts). */
const retired: CapHandle[] = [];

/** A captured 802.11 frame (radiotap header removed). */
export interface AirFrame {
  at: number;
  frame: Buffer;
}

/** The minimal radiotap header: version 0, length 8, no fields. */
const RADIOTAP = Buffer.from([0, 0, 8, 0, 0, 0, 0, 0]);

/** A monitor interface that injects and captures. */
export class Injector {
  readonly captured: AirFrame[] = [];
  private constructor(
    private readonly handle: CapHandle,
    readonly ifname: string,
  ) {}

  /** Adds monitor interface `ifname` on `phy`, tuned to `freq`, and opens it. */
  static async open(phy: string, ifname: string, freq: number): Promise<Injector> {
    for (const args of [
      ['iw', 'phy', phy, 'interface', 'add', ifname, 'type', 'monitor'],
      // Tuned once up, while the radio's other interfaces are down (else EBUSY).
      ['ip', 'link', 'set', ifname, 'up'],
      ['iw', 'dev', ifname, 'set', 'freq', String(freq)],
    ]) {
      const r = await sh(args[0], args.slice(1));
      if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.out}`);
    }
    const require = createRequire(join(REPO_ROOT, 'services/edge-agent/package.json'));
    const cap = require('cap') as { Cap: new () => CapHandle };
    const handle = new cap.Cap();
    const buffer = Buffer.alloc(65535);
    const linkType = handle.open(ifname, '', 4 << 20, buffer);
    if (linkType !== 'IEEE802_11_RADIO') throw new Error(`${ifname}: link type ${linkType}, expected IEEE802_11_RADIO`);
    const inj = new Injector(handle, ifname);
    handle.on('packet', (n) => {
      if (n < 4) return;
      const rtLen = buffer.readUInt16LE(2);
      if (rtLen > n) return;
      inj.captured.push({ at: Date.now(), frame: Buffer.from(buffer.subarray(rtLen, n)) });
      if (inj.captured.length > 200_000) inj.captured.splice(0, 100_000);
    });
    return inj;
  }

  /** Injects one 802.11 frame. */
  send(frame: Buffer): void {
    this.handle.send(Buffer.concat([RADIOTAP, frame]));
  }

  /** Frames captured since `from` (a time) whose address 1 is `to`, of management subtype `subtype`. */
  framesTo(to: Buffer, subtype: number, from = 0): AirFrame[] {
    return this.captured.filter((f) => f.at >= from && f.frame.length >= 24 && f.frame[0] === subtype && f.frame.subarray(4, 10).equals(to));
  }

  /** Waits for a frame as framesTo describes; undefined after `ms`. */
  async waitFor(to: Buffer, subtype: number, from: number, ms: number): Promise<AirFrame | undefined> {
    const end = Date.now() + ms;
    for (;;) {
      const f = this.framesTo(to, subtype, from)[0];
      if (f !== undefined || Date.now() > end) return f;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Closes the capture and takes the monitor interface down (it stays: cap aborts when an
   * interface it had open disappears), so a later Injector can tune the same radio.
   */
  close(): void {
    this.handle.close();
    retired.push(this.handle);
    try {
      execFileSync('ip', ['link', 'set', this.ifname, 'down'], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // best effort: only a later open on this radio needs it down
    }
  }
}
