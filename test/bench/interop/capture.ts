/**
 * `--capture` (profiling): where each EAPOL round trip spends its time, from kernel packet
 * timestamps rather than from any process's own clock. tcpdump (Debian package `tcpdump`;
 * not needed without --capture) records, on all interfaces at once (`-i any`, Linux cooked
 * v2 headers, which carry the interface index):
 *
 * - EAPOL frames on the host ends of the veth pairs (station -> authenticator, and back);
 * - RADIUS on loopback (to and from FreeRADIUS's auth port);
 * - gRPC on loopback (TCP segments with data, to and from the authenticator's gRPC port).
 *
 * Authentications run one at a time, so the packets between a station's EAPOL frame and the
 * next EAPOL frame the station is sent all belong to that round trip. Per round trip with a
 * RADIUS exchange:
 *
 *   hostapd:  frame in -> [in] -> Access-Request -> [radius] -> response -> [out] -> frame out
 *   airlock:  frame in -> [agent_in] -> gRPC up -> [authenticator_in] -> Access-Request
 *             -> [radius] -> response -> [authenticator_out] -> gRPC down -> [agent_out] -> frame out
 *
 * and [supplicant]: frame out -> the station's next frame (wpa_supplicant's work plus the veth).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** tcpdump, from Debian's `tcpdump` package. */
export const TCPDUMP_BIN = '/usr/bin/tcpdump';

/** Why --capture cannot work here, or undefined. */
export function captureUnavailable(): string | undefined {
  return existsSync(TCPDUMP_BIN) ? undefined : `--capture needs ${TCPDUMP_BIN}: install the Debian package \`tcpdump\` (apt-get install -y tcpdump)`;
}

/** The interface index of `interfaceName` (in this namespace). */
export function interfaceIndex(interfaceName: string): number {
  return Number(readFileSync(`/sys/class/net/${interfaceName}/ifindex`, 'utf8').trim());
}

/** A running capture. */
export interface Capture {
  /** Stops tcpdump (SIGINT: it flushes the file) and waits for it. */
  stop(): Promise<void>;
}

/** Starts tcpdump writing to `file`; resolves once it listens. */
export async function startCapture(file: string, ports: { radius: number; grpc: number }): Promise<Capture> {
  const filter = `ether proto 0x888e or (udp port ${ports.radius}) or (tcp port ${ports.grpc})`;
  const child: ChildProcess = spawn(TCPDUMP_BIN, ['-i', 'any', '-y', 'LINUX_SLL2', '-n', '-U', '-w', file, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const t = setTimeout(() => reject(new Error(`tcpdump did not start listening within 5 s: ${err}`)), 5000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      if (err.includes('listening on')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`tcpdump exited (${code}): ${err.trim()}`));
    });
  });
  return {
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

type Kind = 'sta' | 'to-sta' | 'rad-req' | 'rad-resp' | 'grpc-up' | 'grpc-down';
/** One captured packet that matters here. */
export interface Packet {
  ms: number;
  kind: Kind;
  /** EAPOL frames: the interface index. */
  ifindex?: number;
  /** EAPOL frames: an EAPOL-Start. */
  start?: boolean;
}

/** Parses `tcpdump -r FILE -tt -n -e` lines (exported for tests). */
export function parseTcpdumpText(text: string, ports: { radius: number; grpc: number }): Packet[] {
  const out: Packet[] = [];
  for (const line of text.split('\n')) {
    const ms = Number(line.slice(0, line.indexOf(' '))) * 1000;
    if (!Number.isFinite(ms)) continue;
    let m = /^\S+\s+\S+\s+(In|Out|M|B|P)\s+ifindex (\d+) \S+ ethertype EAPOL \(0x888e\), length \d+: (.*)$/.exec(line);
    if (m !== null) {
      out.push({ ms, kind: m[1] === 'Out' ? 'to-sta' : 'sta', ifindex: Number(m[2]), start: m[3].startsWith('EAPOL start') });
      continue;
    }
    m = /127\.0\.0\.1\.(\d+) > 127\.0\.0\.1\.(\d+): UDP/.exec(line);
    if (m !== null) {
      if (Number(m[2]) === ports.radius) out.push({ ms, kind: 'rad-req' });
      else if (Number(m[1]) === ports.radius) out.push({ ms, kind: 'rad-resp' });
      continue;
    }
    m = /127\.0\.0\.1\.(\d+) > 127\.0\.0\.1\.(\d+): Flags \[[^\]]*P[^\]]*\].* length (\d+)/.exec(line);
    if (m !== null && Number(m[3]) > 0) {
      if (Number(m[2]) === ports.grpc) out.push({ ms, kind: 'grpc-up' });
      else if (Number(m[1]) === ports.grpc) out.push({ ms, kind: 'grpc-down' });
    }
  }
  return out.sort((a, b) => a.ms - b.ms);
}

/** Per-hop durations (ms) of every round trip with a RADIUS exchange, by hop name. */
export type Hops = Record<string, number[]>;

/** Splits the round trips seen on `ifindex` into hops (see the module comment). */
export function hopsOf(packets: readonly Packet[], ifindex: number, airlock: boolean): Hops {
  const hops: Hops = {};
  const add = (k: string, v: number): void => {
    (hops[k] ??= []).push(v);
  };
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i];
    if (p.kind !== 'sta' || p.ifindex !== ifindex) continue;
    let j = i + 1;
    while (j < packets.length && packets[j].ifindex === undefined) j++;
    const end = packets[j];
    if (end === undefined || end.ifindex !== ifindex || end.kind !== 'to-sta') continue;
    const between = packets.slice(i + 1, j);
    const req = between.find((x) => x.kind === 'rad-req');
    const resp = between.find((x) => x.kind === 'rad-resp');
    if (req === undefined || resp === undefined) continue; // EAPOL-Start, or answered without RADIUS
    add('round_trip', end.ms - p.ms);
    add('radius', resp.ms - req.ms);
    if (airlock) {
      const up = between.find((x) => x.kind === 'grpc-up');
      const down = between.findLast((x) => x.kind === 'grpc-down');
      if (up === undefined || down === undefined) continue;
      add('agent_in', up.ms - p.ms);
      add('authenticator_in', req.ms - up.ms);
      add('authenticator_out', down.ms - resp.ms);
      add('agent_out', end.ms - down.ms);
    } else {
      add('in', req.ms - p.ms);
      add('out', end.ms - resp.ms);
    }
    // The station's answer (not the EAPOL-Start of the next authentication).
    const next = packets.slice(j + 1).find((x) => x.ifindex !== undefined);
    if (next !== undefined && next.ifindex === ifindex && next.kind === 'sta' && next.start !== true) add('supplicant', next.ms - end.ms);
  }
  return hops;
}

/** Reads a capture file back as packets. */
export async function readCapture(file: string, ports: { radius: number; grpc: number }): Promise<Packet[]> {
  const { stdout } = await run(TCPDUMP_BIN, ['-r', file, '-tt', '-n', '-e'], { maxBuffer: 1 << 28 });
  return parseTcpdumpText(stdout, ports);
}
