/**
 * Micro-benchmark of the authenticator core alone: WPA2-PSK joins (IEEE 802.11-2020
 * §12.7.6) of packages/supplicant stations against AuthenticatorCore, in memory, with no
 * gRPC and no glue. The stations move in waves (all associate, all answer msg 1/4, ...), so
 * the core's CPU time and the stations' CPU time are measured apart, as process CPU time.
 *
 *   node test/dist/bench/core-loop.js [--stations 1024] [--rounds 20] [--tx-status]
 *
 * Prints one JSON line: core CPU µs per join, supplicant CPU µs per join, and the crypto
 * floor of the same 4-way handshake (crypto-floor.ts) measured in the same process.
 */
import { parseArgs } from 'node:util';
import { AKM, AuthenticatorCore, CIPHER, encodeRsne, PskCache, type BssConfig, type CoreEvent, type Effect } from '@airlock/rsn';
import { Supplicant } from '@airlock/supplicant';
import { RandomPool } from '@airlock/authenticator';
import { recorder } from './support/record.js';

const { values } = parseArgs({
  options: {
    stations: { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '20' },
    'tx-status': { type: 'boolean', default: true },
    record: { type: 'boolean', default: false },
  },
});
const record = recorder('core-loop', values.record, `node test/dist/bench/core-loop.js ${process.argv.slice(2).join(' ')}`);
const STATIONS = Number(values.stations);
const ROUNDS = Number(values.rounds);

const pool = new RandomPool();
const random = (n: number): Buffer => pool.take(n);
const ssid = Buffer.from('airlock-bench');
const passphrase = 'correct horse battery';
const rsne = encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128], akms: [AKM.PSK], capabilities: 0 });
const bssid = Buffer.from([0x02, 0xb5, 0, 0, 0, 1]);
const psk = new PskCache().get(ssid, passphrase);

// Admission is not what this measures: every station of a wave gets its slot at once (a
// fixed window with room past the eighth FairAdmission keeps for other BSSes). With the old
// adaptive window of 1024, 128 of 1024 stations waited each round and never joined.
const core = new AuthenticatorCore({ random, maxHandshakesInFlight: 2 * STATIONS, admission: 'fixed' });
const cfg: BssConfig = {
  bssid,
  agentId: 'bench',
  rsne,
  wired: false,
  reportsTxStatus: values['tx-status'],
  network: { ssid, akms: [AKM.PSK], passphrases: [passphrase], stationPassphrases: new Map(), groupRekeyMs: 0, rekeyGtkOnLeave: false },
};
const added = core.addBss(cfg, 0);
if (!added.ok) throw new Error(added.error.message);

const macs: Buffer[] = [];
for (let i = 0; i < STATIONS; i++) macs.push(Buffer.from([0x02, 0x5a, 0, 0, (i >> 8) & 0xff, i & 0xff]));

let now = 1;
let coreUs = 0;
let staUs = 0;
let joins = 0;

function cpu(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Feeds the core a wave of events (timed), then sorts its effects into what the stations and the "agent" must answer. */
function coreWave(events: CoreEvent[], frames: Map<number, Buffer>, answers: number[], txRefs: number[]): void {
  const out: Effect[][] = [];
  const t = cpu();
  for (const ev of events) out.push(core.handle(ev, now));
  coreUs += cpu() - t;
  for (const effects of out) {
    for (const e of effects) {
      if (e.type === 'transmit-eapol') {
        frames.set(e.sta[5] | (e.sta[4] << 8), e.frame);
        if (e.ref !== undefined) txRefs.push(e.ref);
      } else if ((e.type === 'install-pairwise-key' || e.type === 'set-port') && e.ref !== undefined) {
        answers.push(e.ref);
      } else if (e.type === 'report' && e.report.kind === 'joined') {
        joins++;
      }
    }
  }
}

function round(): void {
  const sups: Supplicant[] = macs.map((spa) => new Supplicant({ spa, aa: bssid, pmk: psk, akm: AKM.PSK, pairwiseCipher: CIPHER.CCMP_128, groupCipher: CIPHER.CCMP_128, assocRsne: rsne, apRsne: rsne, random }));
  let frames = new Map<number, Buffer>();
  const answers: number[] = [];
  const txRefs: number[] = [];
  const ackAll = (): void => {
    coreWave(txRefs.splice(0).map((ref) => ({ type: 'tx-status', ref, acked: true })), frames, answers, txRefs);
  };
  // Association -> msg 1/4 (+ its TX status).
  coreWave(macs.map((sta) => ({ type: 'associated', bssid, sta, rsne, reassociation: false })), frames, answers, txRefs);
  ackAll();
  for (let step = 0; step < 2; step++) {
    // Stations answer (msg 2/4, then msg 4/4).
    const replies: CoreEvent[] = [];
    const t = cpu();
    for (const [i, frame] of frames) {
      for (const e of sups[i].receive(frame)) if (e.type === 'transmit') replies.push({ type: 'eapol', bssid, sta: macs[i], frame: e.frame });
    }
    staUs += cpu() - t;
    frames = new Map();
    coreWave(replies, frames, answers, txRefs);
    ackAll();
  }
  // Install, then port: command results.
  while (answers.length > 0) coreWave(answers.splice(0).map((ref) => ({ type: 'command-result', ref, ok: true })), frames, answers, txRefs);
  now += 5;
  coreWave(macs.map((sta) => ({ type: 'disassociated', bssid, sta, reason: 8, deauth: false, locallyGenerated: false })), frames, answers, txRefs);
  // Past every retransmission deadline of this round (all cancelled by now), as the
  // service's timer would get there: the deadline queue drops its stale entries.
  now += 2000;
  const t = cpu();
  const late = core.tick(now);
  coreUs += cpu() - t;
  if (late.some((e) => e.type === 'transmit-eapol' || e.type === 'disconnect')) throw new Error('a timer fired for a finished handshake');
}

// Warm-up rounds are not counted.
for (let r = 0; r < 3; r++) round();
coreUs = staUs = joins = 0;
for (let r = 0; r < ROUNDS; r++) round();
const expected = ROUNDS * STATIONS;
const line = {
  benchmark: 'core-loop',
  joins,
  expected,
  core_cpu_us_per_join: Math.round((coreUs / joins) * 10) / 10,
  supplicant_cpu_us_per_join: Math.round((staUs / joins) * 10) / 10,
};
console.log(JSON.stringify(line));
record(line);
if (joins !== expected) process.exitCode = 1;
