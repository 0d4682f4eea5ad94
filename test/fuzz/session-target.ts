/**
 * The AgentLink session fuzz target: a real authenticator (gRPC server, service, core) with
 * one healthy sim agent whose stations are authorized over real gRPC; then, case after
 * case, a hostile session is handed to the same service (a fake call: the service's own
 * AgentSession reads it exactly as it reads a gRPC stream) and fed a valid Hello followed by
 * random and mutated AgentMessages: station events for its BSSes and others, EAPOL frames
 * mutated from captured handshakes, TX status and command results for random commands,
 * counters, repeated Hellos, empty bodies, and seq numbers that are mostly right.
 *
 * Checked per case: nothing throws out of the handlers; the session never ends with
 * INTERNAL (an exception inside the authenticator); a stream that ends carries a status.
 * Checked at the end: the healthy agent never lost its stream, every one of its stations is
 * still authorized at the authenticator and at its radio, and the authenticator counted no
 * internal error.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import pino from 'pino';
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import { defaultConfig, startAuthenticator, type RunningAuthenticator } from '@airlock/authenticator';
import { EdgeAgent, SimDriver, simBssRsne, simBsses, simStations } from '@airlock/edge-agent';
import type { AgentMessage, ControllerBatch, ControllerMessage } from '@airlock/proto';
import { AKM, EapolType, encodeEapol } from '@airlock/rsn';
import { frameLines, hex, IWD_4WAY, IWD_WPA2 } from '@airlock/rsn/testing';
import { mutated } from './mutate.js';

const SSID = 'airlock-fuzz';
const PASSPHRASE = 'fuzzing passphrase';
const HEALTHY_STATIONS = 6;
const RSNE = simBssRsne(AKM.PSK);
/** Hostile agents and their BSSIDs come from small sets, so cases meet each other's state. */
const AGENT_IDS = ['fuzz-1', 'fuzz-2', 'fuzz-3'];
const FUZZ_BSSIDS = [1, 2, 3, 4, 5, 6].map((n) => Buffer.from([0x02, 0xf2, 0, 0, 0, n]));
/** Agent i mostly announces its own pair of BSSIDs; now and then one of another agent's. */
const OWN_BSSIDS = AGENT_IDS.map((_id, i) => FUZZ_BSSIDS.slice(2 * i, 2 * i + 2));
const FUZZ_STAS = [1, 2, 3, 4, 5].map((n) => Buffer.from([0x02, 0xf3, 0, 0, 0, n]));
const CAPTURED: Buffer[] = [...Object.values(IWD_4WAY.frames), ...Object.values(IWD_WPA2.frames)].map((f) => hex(frameLines(f)));

/** A stand-in for grpc-js's ServerDuplexStream: the session reads 'data' events and writes messages. */
class FakeCall extends EventEmitter {
  readonly written: (ControllerMessage | ControllerBatch)[] = [];
  ended: { code: number; details: string } | undefined;
  /** How the authenticator ended it, before the case closed it from the agent's side. */
  endedByServer: { code: number; details: string } | undefined;
  constructor() {
    super();
    this.on('error', (e: Error & { code?: number; details?: string }) => {
      this.ended ??= { code: e.code ?? status.UNKNOWN, details: e.details ?? e.message };
    });
  }
  getPeer(): string {
    return 'fuzz:0';
  }
  getAuthContext(): object {
    return {};
  }
  write(m: ControllerMessage | ControllerBatch): boolean {
    this.written.push(m);
    return true;
  }
  end(): void {
    this.ended ??= { code: status.OK, details: '' };
  }
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
}

const mac = (pool: readonly Buffer[]): fc.Arbitrary<Buffer> =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }).map((u) => Buffer.from(u)) });
const anyMac = fc.oneof(mac(FUZZ_BSSIDS), mac(FUZZ_STAS));
const frame = fc.oneof(
  mutated(CAPTURED),
  fc.constant(encodeEapol({ version: 2, type: EapolType.Start, body: Buffer.alloc(0) })),
  fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)),
);
const rsne = fc.oneof(fc.constant(RSNE), mutated([RSNE]), fc.constant(Buffer.alloc(0)));
/** RSN Extension elements: none, H2E, and garbage. */
const rsnxe = fc.oneof(fc.constant(Buffer.alloc(0)), fc.constant(Buffer.from('f40120', 'hex')), fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)));
/** Authentication frames: mostly SAE (3), its transactions and status codes, then anything. */
const authAlgorithm = fc.oneof({ weight: 4, arbitrary: fc.constant(3) }, { weight: 1, arbitrary: fc.nat({ max: 0x1_0000 }) });
const authTransaction = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 2) }, { weight: 1, arbitrary: fc.nat({ max: 0x1_0000 }) });
const authStatus = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 126) }, { weight: 1, arbitrary: fc.nat({ max: 0x1_0000 }) });
const authBody = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 98, maxLength: 140 }).map((b) => Buffer.from([19, 0, ...b.subarray(2)])) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
);
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const commandSeq = fc.oneof(fc.bigInt({ min: 0n, max: 40n }), u64);

/** Message bodies for a session announcing `own` (its BSSIDs come up most). */
const bodyFor = (own: readonly Buffer[]): fc.Arbitrary<AgentMessage['body']> => {
  const bssidOf = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...own) }, { weight: 1, arbitrary: mac(FUZZ_BSSIDS) });
  return fc.oneof(
  { weight: 3, arbitrary: fc.record({ bssid: bssidOf, sta: mac(FUZZ_STAS), rsne, reassociation: fc.boolean(), previousBssid: anyMac, rsnxe }).map((value) => ({ $case: 'stationAssociated' as const, value })) },
  { weight: 3, arbitrary: fc.record({ bssid: bssidOf, sta: mac(FUZZ_STAS), algorithm: authAlgorithm, transaction: authTransaction, status: authStatus, body: authBody }).map((value) => ({ $case: 'authenticationReceived' as const, value })) },
  { weight: 1, arbitrary: fc.record({ bssid: bssidOf, keyId: fc.nat({ max: 9 }), txPn: u64 }).map((value) => ({ $case: 'groupKeySequence' as const, value })) },
  { weight: 2, arbitrary: fc.record({ bssid: bssidOf, sta: mac(FUZZ_STAS), reason: fc.nat({ max: 70000 }), deauthentication: fc.boolean(), locallyGenerated: fc.boolean() }).map((value) => ({ $case: 'stationDisassociated' as const, value })) },
  { weight: 6, arbitrary: fc.record({ bssid: bssidOf, sta: mac(FUZZ_STAS), frame }).map((value) => ({ $case: 'eapolReceived' as const, value })) },
  { weight: 2, arbitrary: fc.record({ commandSeq, acked: fc.boolean() }).map((value) => ({ $case: 'txStatus' as const, value })) },
  { weight: 2, arbitrary: fc.record({ commandSeq, ok: fc.boolean(), error: fc.string({ maxLength: 40 }) }).map((value) => ({ $case: 'commandResult' as const, value })) },
  { weight: 1, arbitrary: fc.record({ bssid: bssidOf, sta: mac(FUZZ_STAS), rxBytes: u64, txBytes: u64, rxPackets: u64, txPackets: u64 }).map((value) => ({ $case: 'stationCounters' as const, value })) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  );
};

const hello = fc.integer({ min: 0, max: AGENT_IDS.length - 1 }).chain((i) => fc.record({
  agentId: fc.constant(AGENT_IDS[i]),
  bsses: fc.oneof(
    { weight: 9, arbitrary: fc.uniqueArray(fc.constantFrom(...OWN_BSSIDS[i]), { minLength: 1, maxLength: 2, selector: (b) => b.toString('hex') }) },
    { weight: 1, arbitrary: fc.uniqueArray(fc.constantFrom(...FUZZ_BSSIDS), { minLength: 1, maxLength: 3, selector: (b) => b.toString('hex') }) },
  ),
  stations: fc.array(fc.record({ bssid: mac(FUZZ_BSSIDS), sta: mac(FUZZ_STAS), rsne, portAuthorized: fc.boolean(), pairwiseKeyInstalled: fc.boolean(), vlanId: fc.nat({ max: 4095 }), rsnxe }), { maxLength: 4 }),
  reportsTxStatus: fc.boolean(),
}));

/** A case: a Hello, then messages, each with its seq offset (0 = right, else a gap or repeat). */
const session = hello.chain((h) => fc.record({
  hello: fc.constant(h),
  messages: fc.array(fc.record({ body: bodyFor(h.bsses), seqSkew: fc.oneof({ weight: 60, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.bigInt({ min: -2n, max: 3n }) }) }), { maxLength: 32 }),
  close: fc.constantFrom('end', 'cancelled', 'error', 'stay'),
  /** ConnectBatched: the messages go in batches of these sizes (cycled). */
  batches: fc.option(fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 4 }), { nil: undefined }),
}));

/** What one case is made of. */
interface SessionCase {
  hello: { agentId: string; bsses: Buffer[]; stations: AgentMessageStation[]; reportsTxStatus: boolean };
  messages: { body: AgentMessage['body']; seqSkew: bigint }[];
  close: string;
  batches: number[] | undefined;
}

/** What the hostile sessions met: how streams ended, and what reached the core. */
export interface SessionFuzzStats {
  cases: number;
  welcomed: number;
  /** Streams ended by the authenticator, by gRPC status name. */
  ended: Record<string, number>;
  /** Most hostile stations the core held at once. */
  maxStations: number;
  /** Frames dropped and counted, by reason (from /metrics). */
  dropped: Record<string, number>;
}

/** Runs `runs` hostile sessions against one authenticator with a healthy agent. */
export async function fuzzSession(runs: number, seed?: number): Promise<SessionFuzzStats> {
  const h = await startHealthy();
  stats = { cases: 0, welcomed: 0, ended: {}, maxStations: 0, dropped: {} };
  try {
    // Each case yields to the event loop after it: timers, writes and the healthy agent's
    // traffic interleave with the hostile sessions as they would in production.
    await fc.assert(fc.asyncProperty(session, async (c) => {
      const call = await oneCase(h.auth, c);
      await new Promise((r) => setImmediate(r));
      // Counted after the turn: a batched session's commands leave at the end of it.
      stats.cases++;
      const sent = call.written.flatMap((w) => ('messages' in w ? w.messages : [w]));
      if (sent.some((m) => m.body?.$case === 'welcome')) stats.welcomed++;
      if (call.endedByServer !== undefined) {
        const name = status[call.endedByServer.code] ?? String(call.endedByServer.code);
        stats.ended[name] = (stats.ended[name] ?? 0) + 1;
      }
    }), { numRuns: runs, seed });
    await h.check();
    const text = await (await fetch(`http://127.0.0.1:${h.auth.httpPort}/metrics`)).text();
    for (const m of text.matchAll(/^airlock_frames_dropped_total\{reason="([^"]+)"\} (\d+)/gm)) stats.dropped[m[1]] = Number(m[2]);
    return stats;
  } finally {
    await h.stop();
  }
}

let stats: SessionFuzzStats = { cases: 0, welcomed: 0, ended: {}, maxStations: 0, dropped: {} };

async function oneCase(auth: RunningAuthenticator, c: SessionCase): Promise<FakeCall> {
  const call = new FakeCall();
  const batched = c.batches !== undefined;
  auth.service.accept(call as unknown as ServerDuplexStream<AgentMessage, ControllerMessage>, batched);
  let seq = 1n;
  const all: AgentMessage[] = [{
    seq,
    body: { $case: 'hello', value: { agentId: c.hello.agentId, softwareVersion: 'fuzz', bsses: c.hello.bsses.map((b) => ({ bssid: b, ssid: Buffer.from(SSID), rsne: RSNE, wired: false, interfaceMac: Buffer.alloc(0), rsnxe: Buffer.alloc(0), beaconProtection: false })), stations: c.hello.stations, reportsTxStatus: c.hello.reportsTxStatus } },
  }];
  for (const m of c.messages) {
    seq += 1n;
    all.push({ seq: seq + m.seqSkew, body: m.body });
  }
  if (c.batches === undefined) {
    for (const m of all) call.emit('data', m);
  } else {
    for (let i = 0, k = 0; i < all.length; k++) {
      const n = c.batches[k % c.batches.length];
      call.emit('data', { messages: all.slice(i, i + n) });
      i += n;
    }
  }
  // The session takes the messages as an async iterable: they are handled by the end of
  // this turn (what comes after the stream ended is not read).
  await new Promise((r) => setImmediate(r));
  assert.notEqual(call.ended?.code, status.INTERNAL, `the authenticator failed internally: ${call.ended?.details}`);
  call.endedByServer = call.ended;
  stats.maxStations = Math.max(stats.maxStations, auth.service.core.size.stations - HEALTHY_STATIONS);
  if (c.close === 'end') call.emit('end');
  else if (c.close === 'cancelled') call.emit('cancelled');
  else if (c.close === 'error') call.emit('error', Object.assign(new Error('fuzz: transport error'), { code: status.UNAVAILABLE }));
  if (c.close !== 'stay') call.emit('close');
  return call;
}

type AgentMessageStation = { bssid: Buffer; sta: Buffer; rsne: Buffer; portAuthorized: boolean; pairwiseKeyInstalled: boolean; vlanId: number; rsnxe: Buffer };

/** An authenticator with one healthy sim agent whose stations are all authorized. */
async function startHealthy(): Promise<{ auth: RunningAuthenticator; check(): Promise<void>; stop(): Promise<void> }> {
  const config = defaultConfig([{ ssid: SSID, akms: ['psk'], passphrases: [PASSPHRASE], stationPsks: [], groupRekeyS: 0, rekeyGtkOnLeave: false }]);
  config.grpc.listen = '127.0.0.1:0';
  config.grpc.plaintext = true; // the hostile sessions are handed to the service directly
  config.http.listen = '127.0.0.1:0';
  config.admin.socket = ''; // no Admin API: nothing here administers
  config.admin.listen = '';
  config.agents.reconnectGraceS = 1;
  const auth = await startAuthenticator({ config, logger: pino({ level: 'silent' }) });
  const t = { agentNumber: 1, bsses: 1, stations: HEALTHY_STATIONS, ssid: SSID, passphrase: PASSPHRASE };
  const driver = new SimDriver({ bsses: simBsses(t), stations: simStations(t), behaviour: { joinSpreadMs: 100 }, seed: 1 });
  const agent = new EdgeAgent({ agentId: 'healthy', target: `127.0.0.1:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }) });
  await agent.start();
  const until = Date.now() + 10_000;
  while (driver.authorizedCount() < HEALTHY_STATIONS && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.equal(driver.authorizedCount(), HEALTHY_STATIONS, 'the healthy agent authorized its stations');
  return {
    auth,
    async check() {
      // Let anything queued run (timers, writes to the healthy agent).
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(agent.counters.reconnects, 0, 'the healthy agent never lost its stream');
      assert.ok(agent.connected);
      assert.equal(driver.authorizedCount(), HEALTHY_STATIONS, "the healthy agent's stations are all still authorized at the radio");
      for (const k of driver.keyViews()) {
        const st = auth.service.core.station(Buffer.from(k.sta.replaceAll(':', ''), 'hex'));
        assert.equal(st?.phase, 'authorized', `${k.sta} still authorized at the authenticator`);
        assert.equal(st?.agentId, 'healthy');
      }
      const text = await (await fetch(`http://127.0.0.1:${auth.httpPort}/metrics`)).text();
      assert.doesNotMatch(text, /airlock_agent_protocol_errors_total\{reason="internal_error"\} [1-9]/, 'no internal error');
    },
    async stop() {
      await agent.stop();
      await auth.stop(200);
    },
  };
}
