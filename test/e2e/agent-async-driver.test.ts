/**
 * The edge agent applies commands one at a time in seq order (DESIGN.md "Order is the
 * contract"), also when a driver call is asynchronous: nothing after a pending command is
 * applied until it settles, and a rejected command is answered with CommandResult ok=false
 * (the authenticator then disconnects that station). Synchronous driver calls take the
 * agent's fast path; this covers the other one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { BssAnnouncement, LinkEvent, StationEntry } from '@airlock/link';
import { EdgeAgent, SimDriver, simBsses, simStations, type Driver } from '@airlock/edge-agent';
import { formatMac } from '@airlock/rsn';
import { agentCredentials } from '../support/test-pki.js';
import { fetchMetrics, startTestAuthenticator, testConfig, TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

const STATIONS = 12;

/** A sim radio whose key installs take a few ms (like a real driver's netlink round trip). */
class SlowKeyDriver implements Driver {
  readonly name = 'slow-key';
  readonly reportsTxStatus: boolean;
  /** Driver calls made while an install was still pending (must stay 0). */
  overlapping = 0;
  private pending = 0;

  constructor(readonly sim: SimDriver, private readonly refuse: string, private readonly hang = '') {
    this.reportsTxStatus = sim.reportsTxStatus;
  }

  bsses(): BssAnnouncement[] {
    return this.sim.bsses();
  }

  stations(): StationEntry[] {
    return this.sim.stations();
  }

  start(onEvent: (e: LinkEvent) => void): Promise<void> {
    return this.sim.start(onEvent);
  }

  stop(): Promise<void> {
    return this.sim.stop();
  }

  installPairwiseKey(c: Parameters<Driver['installPairwiseKey']>[0]): Promise<void> {
    this.enter();
    this.pending++;
    return new Promise((resolve, reject) => {
      // A call that never settles (the agent's command timeout must free the chain).
      if (formatMac(c.sta) === this.hang) return;
      setTimeout(() => {
        this.pending--;
        if (formatMac(c.sta) === this.refuse) return reject(new Error('key install refused by the test driver'));
        this.sim.installPairwiseKey(c);
        resolve();
      }, 3);
    });
  }

  installGroupKey(c: Parameters<Driver['installGroupKey']>[0]): void {
    this.enter();
    this.sim.installGroupKey(c);
  }

  removePairwiseKey(c: Parameters<Driver['removePairwiseKey']>[0]): void {
    this.enter();
    this.sim.removePairwiseKey(c);
  }

  transmitEapol(c: Parameters<Driver['transmitEapol']>[0], onTxStatus?: (acked: boolean) => void): void {
    this.enter();
    this.sim.transmitEapol(c, onTxStatus);
  }

  setPortAuthorized(c: Parameters<Driver['setPortAuthorized']>[0]): void {
    this.enter();
    this.sim.setPortAuthorized(c);
  }

  disconnect(c: Parameters<Driver['disconnect']>[0]): void {
    this.enter();
    this.sim.disconnect(c);
  }

  private enter(): void {
    if (this.pending > 0) this.overlapping++;
  }
}

void describe('edge agent with an asynchronous driver', () => {
  void it('applies commands strictly one after the other and answers a rejected install with ok=false', async () => {
    const auth = await startTestAuthenticator(testConfig());
    const t = { agentNumber: 1, bsses: 2, stations: STATIONS, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
    const stations = simStations(t);
    const refused = formatMac(stations[0].mac);
    const sim = new SimDriver({ bsses: simBsses(t), stations, behaviour: { joinSpreadMs: 200, rejoinAfterDisconnect: false }, seed: 1 });
    const driver = new SlowKeyDriver(sim, refused);
    const agent = new EdgeAgent({ agentId: 'ap-1', target: `localhost:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials('ap-1') });
    const disconnected: string[] = [];
    sim.on('disconnected', (sta: string) => disconnected.push(sta));
    try {
      await agent.start();
      assert.ok(await waitFor(() => sim.authorizedCount() === STATIONS - 1 && disconnected.length === 1, 10_000), `authorized ${sim.authorizedCount()}, disconnected ${disconnected.join(', ')}`);
      assert.deepEqual(disconnected, [refused]);
      assert.equal(driver.overlapping, 0, 'a command was applied while a key install was pending');
      assert.deepEqual(sim.violations, []);
      for (const k of sim.keyViews()) if (k.state === 'authorized') assert.ok(k.apTk && k.stationTk && k.apTk.equals(k.stationTk), k.sta);
      assert.equal(agent.counters.commandsFailed, 1);
      // A handshake is a success once the agent confirms its key install: not the refused one.
      assert.equal((await fetchMetrics(auth)).get('airlock_handshakes_total{result="success"}'), STATIONS - 1);
    } finally {
      await agent.stop();
      await auth.stop(500);
    }
  });

  void it('stops reading its stream while maxPendingCommands wait for a slow driver, and reads again once half are applied: every station joins', async () => {
    const LIMIT = 3;
    const auth = await startTestAuthenticator(testConfig());
    const t = { agentNumber: 2, bsses: 2, stations: STATIONS, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
    // All at once: their msg 1/4s and key installs pile up behind the slow installs.
    const sim = new SimDriver({ bsses: simBsses(t), stations: simStations(t), behaviour: { joinSpreadMs: 0, rejoinAfterDisconnect: false }, seed: 2 });
    const driver = new SlowKeyDriver(sim, '');
    // One command per gRPC message (Connect), so that the bound is exact.
    const agent = new EdgeAgent({ agentId: 'ap-2', target: `localhost:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials('ap-2'), batched: false, maxPendingCommands: LIMIT });
    try {
      await agent.start();
      assert.ok(await waitFor(() => sim.authorizedCount() === STATIONS, 15_000), `authorized ${sim.authorizedCount()} of ${STATIONS}`);
      assert.ok(agent.counters.readPauses > 0, 'the commands piled up: reading paused at least once');
      assert.ok(agent.counters.peakPendingCommands <= LIMIT, `at most ${LIMIT} commands waited (saw ${agent.counters.peakPendingCommands})`);
      assert.equal(driver.overlapping, 0);
      assert.deepEqual(sim.violations, []);
      assert.equal(agent.counters.reconnects, 0, 'the stream stayed up');
    } finally {
      await agent.stop();
      await auth.stop(500);
    }
  });

  void it('a driver call that never settles fails after commandTimeoutMs: that station is disconnected, the commands after it are applied', async () => {
    const auth = await startTestAuthenticator(testConfig());
    const t = { agentNumber: 3, bsses: 2, stations: STATIONS, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
    const stations = simStations(t);
    const hung = formatMac(stations[0].mac);
    const sim = new SimDriver({ bsses: simBsses(t), stations, behaviour: { joinSpreadMs: 0, rejoinAfterDisconnect: false }, seed: 3 });
    const driver = new SlowKeyDriver(sim, '', hung);
    const agent = new EdgeAgent({ agentId: 'ap-3', target: `localhost:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials('ap-3'), commandTimeoutMs: 300 });
    const disconnected: [string, number][] = [];
    sim.on('disconnected', (sta: string, reason: number) => disconnected.push([sta, reason]));
    try {
      await agent.start();
      assert.ok(await waitFor(() => sim.authorizedCount() === STATIONS - 1 && disconnected.length === 1, 10_000), `authorized ${sim.authorizedCount()}, disconnected ${JSON.stringify(disconnected)}`);
      assert.deepEqual(disconnected, [[hung, 2]], 'the station whose key install hung: reason 2 (the key is not in place)');
      assert.equal(agent.counters.commandsFailed, 1);
    } finally {
      await agent.stop();
      await auth.stop(500);
    }
  });
});
