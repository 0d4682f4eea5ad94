/**
 * What one idle authorized station costs the authenticator core in V8 heap: N WPA2-PSK
 * stations join (packages/supplicant against AuthenticatorCore in memory, no gRPC), the
 * stations' own objects are dropped, and the heap is compared after a full GC.
 *
 *   node --expose-gc test/dist/bench/core-memory.js [--stations 20000]
 *
 * Prints one JSON line: heap bytes per station, and the same with the handshake history
 * (the `explain` records) cleared, to show its share.
 */
import { parseArgs } from 'node:util';
import { AKM, AuthenticatorCore, CIPHER, encodeRsne, PskCache, type BssConfig, type CoreEvent } from '@airlock/rsn';
import { Supplicant } from '@airlock/supplicant';
import { RandomPool } from '@airlock/authenticator';
import { recorder } from './support/record.js';

const { values } = parseArgs({ options: { stations: { type: 'string', default: '20000' }, record: { type: 'boolean', default: false } } });
const record = recorder('core-memory', values.record, `node --expose-gc test/dist/bench/core-memory.js ${process.argv.slice(2).join(' ')}`);
const N = Number(values.stations);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const pool = new RandomPool();
const random = (n: number): Buffer => pool.take(n);
const ssid = Buffer.from('airlock-bench');
const passphrase = 'correct horse battery';
const rsne = encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128], akms: [AKM.PSK], capabilities: 0 });
const psk = new PskCache().get(ssid, passphrase);
const core = new AuthenticatorCore({ random, maxHandshakesInFlight: 1 << 20, maxStationsPerBss: 1 << 20, maxStationsPerAgent: 1 << 20 });
const bsses: Buffer[] = [];
for (let b = 0; b < Math.ceil(N / 1000); b++) {
  const bssid = Buffer.from([0x02, 0xb5, 0, 0, (b >> 8) & 0xff, b & 0xff]);
  const cfg: BssConfig = { bssid, agentId: 'bench', rsne, wired: false, reportsTxStatus: false, network: { ssid, akms: [AKM.PSK], passphrases: [passphrase], stationPassphrases: new Map(), groupRekeyMs: 0, rekeyGtkOnLeave: false } };
  const r = core.addBss(cfg, 0);
  if (!r.ok) throw new Error(r.error.message);
  bsses.push(bssid);
}

function join(count: number, first: number): number {
  const macs: Buffer[] = Array.from({ length: count }, (_v, i) => Buffer.from([0x02, 0x5a, ((first + i) >> 16) & 0xff, ((first + i) >> 8) & 0xff, (first + i) & 0xff, 1]));
  const bssOf = (i: number): Buffer => bsses[i % bsses.length];
  const sups = macs.map((spa, i) => new Supplicant({ spa, aa: bssOf(i), pmk: psk, akm: AKM.PSK, pairwiseCipher: CIPHER.CCMP_128, groupCipher: CIPHER.CCMP_128, assocRsne: rsne, apRsne: rsne, random }));
  let frames = new Map<number, Buffer>();
  const refs: number[] = [];
  let joined = 0;
  const wave = (events: CoreEvent[]): void => {
    for (const ev of events) {
      for (const e of core.handle(ev, 1)) {
        if (e.type === 'transmit-eapol') frames.set(macs.findIndex((m) => m.equals(e.sta)), e.frame);
        else if ((e.type === 'install-pairwise-key' || e.type === 'set-port') && e.ref !== undefined) refs.push(e.ref);
        else if (e.type === 'report' && e.report.kind === 'joined') joined++;
      }
    }
  };
  wave(macs.map((sta, i) => ({ type: 'associated', bssid: bssOf(i), sta, rsne, reassociation: false })));
  // Until nothing is left to answer (admission lets the waiting stations in as others finish).
  while (frames.size > 0 || refs.length > 0) {
    const replies: CoreEvent[] = refs.splice(0).map((ref) => ({ type: 'command-result', ref, ok: true }));
    for (const [i, frame] of frames) for (const e of sups[i].receive(frame)) if (e.type === 'transmit') replies.push({ type: 'eapol', bssid: bssOf(i), sta: macs[i], frame: e.frame });
    frames = new Map();
    wave(replies);
  }
  return joined;
}

// Warm-up (code, hidden classes, pools), then the measured stations, joined in chunks.
const warm = join(500, 1 << 20);
if (warm !== 500) throw new Error(`warm-up: ${warm} of 500 joined`);
gc();
const before = process.memoryUsage().heapUsed;
let joined = 0;
for (let first = 0; first < N; first += 1000) joined += join(Math.min(1000, N - first), first);
// Idle: time passes the handshakes' cancelled retransmission deadlines, as the service's
// timer would, and the deadline queue lets go of their entries.
const late = core.tick(60_000);
if (late.some((e) => e.type !== 'report')) throw new Error('a timer fired for an idle station');
gc();
const after = process.memoryUsage().heapUsed;
const line = { benchmark: 'core-memory', stations: joined, heap_bytes_per_station: Math.round((after - before) / joined) };
console.log(JSON.stringify(line));
record(line);
