/**
 * Bounded streams in both directions at both ends (DESIGN.md "Flow control": queues are
 * bounded, what overflows is dropped and counted, never buffered without limit):
 *
 * - An agent that reads nothing: a hostile agent over mTLS announces BSSes, associates
 *   stations and stops reading its stream. The authenticator's commands for it (msg 1/4,
 *   disconnects) fill gRPC's and HTTP/2's buffers, then its outbox; at 4 x
 *   limits.agent_send_queue waiting the authenticator gives the stream up:
 *   RESOURCE_EXHAUSTED, counted as send_queue_overflow, the waiting commands discarded
 *   (their keys wiped). Meanwhile a healthy agent's stations join.
 * - An authenticator that reads nothing: the edge agent's events fill the buffers, then its
 *   outbox; EAPOL frames past its event queue are dropped and counted, and at 4 x the queue
 *   it gives the stream up and reconnects.
 * - An agent over its message rate: the authenticator takes its messages at the rate, holds
 *   at most limits.agent_receive_queue of them and stops reading the stream, so the agent's
 *   writes push back (HTTP/2 flow control); nothing it sent is lost.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import type { BssAnnouncement, LinkEvent, StationEntry } from '@airlock/link';
import { AgentLinkService } from '@airlock/proto';
import { AKM } from '@airlock/rsn';
import { EdgeAgent, simBssRsne, type Driver, type SimDriver } from '@airlock/edge-agent';
import { bssInfo, RawAgent } from '../support/raw-agent.js';
import { agentCredentials } from '../support/test-pki.js';
import type { RunningAuthenticator } from '@airlock/authenticator';
import { fetchMetrics, startSimAgents, startTestAuthenticator, testConfig, TEST_SSID, waitFor } from '../support/topology.js';

const RSNE = simBssRsne(AKM.PSK);
const SSID = Buffer.from(TEST_SSID, 'utf8');
const SEND_QUEUE = 16;
const BSSES = 16;
const HEALTHY_STATIONS = 10;

void describe('an agent that reads nothing', () => {
  let auth: RunningAuthenticator;
  let agents: EdgeAgent[] = [];
  let drivers: SimDriver[] = [];
  let raw: RawAgent | undefined;

  before(async () => {
    auth = await startTestAuthenticator(testConfig(undefined, (c) => {
      c.limits.agentSendQueue = SEND_QUEUE;
    }));
  });
  after(async () => {
    raw?.close();
    await Promise.all(agents.map((a) => a.stop()));
    await auth?.stop(500);
  });

  void it(`its stream is ended with RESOURCE_EXHAUSTED once ${4 * SEND_QUEUE} commands wait; a healthy agent's stations join meanwhile`, async () => {
    raw = new RawAgent(`localhost:${auth.grpcPort}`, { credentials: agentCredentials('raw-5') });
    const bssids = Array.from({ length: BSSES }, (_v, i) => Buffer.from([0x02, 0xa1, 0x00, 0x77, 0x00, i]));
    raw.hello({ agentId: 'raw-5', bsses: bssids.map((bssid) => bssInfo({ bssid, ssid: SSID, rsne: RSNE })) });
    await raw.nextMessage((m) => m.body?.$case === 'welcome');
    raw.pauseReading();
    ({ agents, drivers } = await startSimAgents(auth, 1, HEALTHY_STATIONS, () => ({ behaviour: { joinSpreadMs: 1000 } })));
    // Associations until the authenticator gives up (its metric says so: this client, not
    // reading, cannot see the end yet); each association brings at least one command.
    const overflows = async (): Promise<number> => (await fetchMetrics(auth)).get('airlock_agent_protocol_errors_total{reason="send_queue_overflow"}') ?? 0;
    let n = 0;
    while ((await overflows()) === 0 && n < 100_000) {
      for (let i = 0; i < 500; i++, n++) {
        const sta = Buffer.from([0x02, 0x5c, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, 0x01]);
        raw.send({ $case: 'stationAssociated', value: { bssid: bssids[n % BSSES], sta, rsne: RSNE, reassociation: false, previousBssid: Buffer.alloc(0), rsnxe: Buffer.alloc(0) } });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await overflows(), 1, `the authenticator gave the stream up after ${n} associations`);
    // Reading again, the client gets what was sent before the end, then the status.
    raw.resumeReading();
    const end = await raw.ended(10_000);
    assert.equal(end.code, grpc.status.RESOURCE_EXHAUSTED, `${end.codeName}: ${end.details}`);
    assert.match(end.details, /the agent reads nothing: \d+ commands wait to be sent/);
    // Its session is gone (its stations wait out agents.reconnect_grace_s, as after any lost stream).
    assert.ok(await waitFor(async () => (await fetchMetrics(auth)).get('airlock_agents_connected') === 1, 5000), 'only the healthy agent is connected');
    // The healthy agent was not held up.
    assert.ok(await waitFor(() => drivers[0].authorizedCount() === HEALTHY_STATIONS, 15_000), `healthy stations authorized: ${drivers[0].authorizedCount()}`);
    assert.ok(agents[0].connected);
  });
});

/** A radio that never stops reporting: each turn a burst of EAPOL frames (droppable) and associations (not), until stopped. */
class FloodingRadio implements Driver {
  readonly name = 'flooding';
  readonly reportsTxStatus = false;
  private running = false;
  private readonly bssid = Buffer.from([0x02, 0xa1, 0x00, 0x78, 0x00, 0x01]);

  constructor(private readonly perTurn: { eapol: number; associations: number }) {}

  bsses(): BssAnnouncement[] {
    return [{ bssid: this.bssid, ssid: SSID, rsne: RSNE, wired: false }];
  }

  stations(): StationEntry[] {
    return [];
  }

  start(onEvent: (e: LinkEvent) => void): Promise<void> {
    this.running = true;
    const frame = Buffer.alloc(200, 0x88);
    let n = 0;
    const burst = (): void => {
      if (!this.running) return;
      for (let i = 0; i < this.perTurn.eapol; i++) onEvent({ type: 'eapol', bssid: this.bssid, sta: Buffer.from([0x02, 0x5d, 0, 0, 0, i & 0xff]), frame });
      for (let i = 0; i < this.perTurn.associations; i++, n++) {
        onEvent({ type: 'associated', bssid: this.bssid, sta: Buffer.from([0x02, 0x5e, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, 0x01]), rsne: RSNE, reassociation: false });
      }
      setImmediate(burst);
    };
    setImmediate(burst);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.running = false;
    return Promise.resolve();
  }

  transmitEapol(): void {}
  installPairwiseKey(): void {}
  installGroupKey(): void {}
  removePairwiseKey(): void {}
  setPortAuthorized(): void {}
  disconnect(): void {}
}

void describe('an authenticator that reads nothing', () => {
  const EVENT_QUEUE = 16;
  const PER_TURN = { eapol: 40, associations: 20 };
  for (const batched of [true, false]) {
    void it(`${batched ? 'ConnectBatched' : 'Connect'}: the agent drops EAPOL frames past its event queue, gives the stream up once ${4 * EVENT_QUEUE} events wait, and reconnects`, async () => {
      // A stand-in for an authenticator: it accepts the stream and never reads it.
      const calls: grpc.ServerDuplexStream<unknown, unknown>[] = [];
      const hold = (call: grpc.ServerDuplexStream<unknown, unknown>): void => {
        call.on('error', () => undefined);
        calls.push(call);
      };
      const server = new grpc.Server();
      server.addService(AgentLinkService, { connect: hold, connectBatched: hold });
      const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
      const agent = new EdgeAgent({ agentId: 'flooder', target: `127.0.0.1:${port}`, driver: new FloodingRadio(PER_TURN), logger: pino({ level: 'silent' }), eventQueue: EVENT_QUEUE, batched, backoffInitialMs: 20, backoffMaxMs: 40 });
      const lost: string[] = [];
      agent.on('disconnected', (reason: string) => lost.push(reason));
      try {
        await agent.start();
        assert.ok(await waitFor(() => lost.length > 0, 20_000), 'the agent gave the stream up');
        const m = /^the authenticator reads nothing: (\d+) events wait to be sent$/.exec(lost[0]);
        assert.ok(m, lost[0]);
        const waiting = Number(m[1]);
        // Past the hard limit, by at most what one turn of the radio added while nothing was written.
        assert.ok(waiting > 4 * EVENT_QUEUE && waiting <= 4 * EVENT_QUEUE + PER_TURN.eapol + PER_TURN.associations, `${waiting} events waited`);
        assert.ok(agent.counters.eventsDropped > 0, 'EAPOL frames past the event queue were dropped and counted');
        assert.ok(await waitFor(() => calls.length >= 2, 5000), 'the agent connected again');
      } finally {
        await agent.stop();
        server.forceShutdown();
      }
    });
  }
});

void describe('an agent over its message rate', () => {
  const RATE = 200;
  const BURST = 50;
  const RECEIVE_QUEUE = 16;
  const FRAMES = 1200;
  let auth: RunningAuthenticator;
  let raw: RawAgent | undefined;

  before(async () => {
    auth = await startTestAuthenticator(testConfig(undefined, (c) => {
      c.limits.agentMessagesPerS = RATE;
      c.limits.agentMessageBurst = BURST;
      c.limits.agentReceiveQueue = RECEIVE_QUEUE;
    }));
  });
  after(async () => {
    raw?.close();
    await auth?.stop(500);
  });

  void it(`is read at ${RATE} messages/s: the authenticator stops reading its stream while agent_receive_queue messages wait, and takes every message, in order, at the rate`, async () => {
    raw = new RawAgent(`localhost:${auth.grpcPort}`, { credentials: agentCredentials('raw-6') });
    const bssid = Buffer.from([0x02, 0xa1, 0x00, 0x79, 0x00, 0x01]);
    raw.hello({ agentId: 'raw-6', bsses: [bssInfo({ bssid, ssid: SSID, rsne: RSNE })] });
    await raw.nextMessage((m) => m.body?.$case === 'welcome');
    // Frames that are no EAPOL: each one the authenticator takes is dropped and counted, so
    // the count says how many it has taken.
    const taken = async (): Promise<number> => (await fetchMetrics(auth)).get('airlock_frames_dropped_total{reason="malformed_eapol"}') ?? 0;
    const frame = Buffer.alloc(120, 0x77);
    const start = performance.now();
    for (let i = 0; i < FRAMES; i++) raw.send({ $case: 'eapolReceived', value: { bssid, sta: Buffer.from([0x02, 0x5f, 0, 0, (i >> 8) & 0xff, i & 0xff]), frame } });
    await new Promise((r) => setTimeout(r, 1000));
    // Held back while over its rate: reading its stream paused (the rest waits in HTTP/2 flow
    // control, not in the authenticator's memory).
    assert.ok(((await fetchMetrics(auth)).get('airlock_agent_throttled_total') ?? 0) > 0, 'reading paused');
    const afterOneSecond = await taken();
    const elapsedS = (performance.now() - start) / 1000;
    assert.ok(afterOneSecond > 0, 'it reads');
    assert.ok(afterOneSecond <= BURST + RATE * elapsedS * 1.25 + RECEIVE_QUEUE, `${afterOneSecond} taken in ${elapsedS.toFixed(2)} s, at most the burst and the rate`);
    assert.ok(await waitFor(async () => (await taken()) === FRAMES, 20_000), `every frame taken (${await taken()} of ${FRAMES})`);
    const allS = (performance.now() - start) / 1000;
    assert.ok(allS >= ((FRAMES - BURST) / RATE) * 0.8, `${FRAMES} frames took ${allS.toFixed(2)} s: held to the rate`);
    assert.ok(raw.open, 'the stream is still open: nothing was refused, no seq went missing');
  });
});
