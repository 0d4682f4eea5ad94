/**
 * A reload (AuthenticatorService.reload, what SIGHUP runs) moves RADIUS to another server:
 * the next Access-Request goes to the new one, the old one hears nothing more, and the
 * agent's stream is not touched. The servers here are plain UDP sockets that count what
 * arrives (the authentications time out, which does not matter for where they are sent).
 * airlock_radius_server_up has one series per configured server: the old server's goes away.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { EdgeAgent, SimDriver, simBsses } from '@airlock/edge-agent';
import { AKM } from '@airlock/rsn';
import { parsePrometheusText, type RunningAuthenticator } from '@airlock/authenticator';
import { CORP_SSID, stationMac, ttlsStationSpec } from '../support/enterprise.js';
import { agentCredentials, testPki } from '../support/test-pki.js';
import { startTestAuthenticator, testConfig, waitFor } from '../support/topology.js';

interface Listener {
  port: number;
  received: number;
  close(): Promise<void>;
}

async function listen(): Promise<Listener> {
  const s = dgram.createSocket('udp4');
  const l: Listener = { port: 0, received: 0, close: () => new Promise((r) => s.close(() => r())) };
  s.on('message', () => l.received++);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  l.port = s.address().port;
  return l;
}

void describe('configuration reload: RADIUS servers', () => {
  let a: Listener;
  let b: Listener;
  let auth: RunningAuthenticator;
  let agent: EdgeAgent;
  const corp = { ssid: CORP_SSID, akms: ['8021x' as const], passphrases: [], stationPsks: [], groupRekeyS: 0, rekeyGtkOnLeave: false };
  const radius = (port: number, secret: string) => [{ name: `r${port}`, host: '127.0.0.1', authPort: port, acctPort: port, secret }];
  /** airlock_radius_server_up, server name -> value. */
  const serversUp = async (): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    for (const [k, v] of parsePrometheusText(await auth.metrics.registry.metrics())) {
      const m = /^airlock_radius_server_up\{server="([^"]+)"\}$/.exec(k);
      if (m !== null) out.set(m[1], v);
    }
    return out;
  };

  before(async () => {
    a = await listen();
    b = await listen();
    auth = await startTestAuthenticator(testConfig([corp], (c) => {
      c.radius.servers = radius(a.port, 'secret a');
      c.radius.timeoutMs = 100;
      c.radius.maxRetransmits = 0;
      c.eap.quietPeriodS = 0;
    }));
    const bsses = simBsses({ agentNumber: 1, bsses: 1, stations: 0, ssid: CORP_SSID, passphrase: '' }).map((x) => ({ ...x, akm: AKM.IEEE8021X }));
    const ca = readFileSync(testPki().ca.cert, 'utf8');
    const driver = new SimDriver({ bsses, stations: [ttlsStationSpec(stationMac(70, 1), 'alice', 'pw', ca)], behaviour: { joinSpreadMs: 50, awayMs: [100, 200], rejoinAfterDisconnect: true }, seed: 9 });
    agent = new EdgeAgent({ agentId: 'ap-1', target: `127.0.0.1:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials('ap-1') });
    await agent.start();
  });
  after(async () => {
    await agent?.stop();
    await auth?.stop(200);
    await a?.close();
    await b?.close();
  });

  void it('after the reload, Access-Requests go to the new server only; the agent stream stays', async () => {
    assert.ok(await waitFor(() => a.received > 0, 10_000), 'the first server hears the station');
    // Neither server ever answers: each is marked dead once its first request times out.
    assert.ok(await waitFor(async () => (await serversUp()).get(`r${a.port}`) === 0, 5000), 'the first server marked dead');
    assert.deepEqual([...(await serversUp()).keys()], [`r${a.port}`]);
    const next = testConfig([corp], (c) => {
      c.radius.servers = radius(b.port, 'secret b');
      c.radius.timeoutMs = 100;
      c.radius.maxRetransmits = 0;
      c.eap.quietPeriodS = 0;
    });
    const r = await auth.reload(next);
    assert.deepEqual(r, { ok: true, applied: ['radius'], restartNeeded: [] });
    assert.deepEqual([...(await serversUp()).keys()], [`r${b.port}`], 'the old server removed from airlock_radius_server_up, the new one there');
    const aAfter = a.received;
    assert.ok(await waitFor(() => b.received > 0, 10_000), 'the new server hears the station');
    // In-flight requests of the old client had no retransmissions left (max_retransmits 0).
    assert.equal(a.received, aAfter, 'nothing more to the old server');
    assert.deepEqual(auth.service.agents(), ['ap-1']);
    // The removed server's series is gone; the new one's follows the new client.
    assert.ok(await waitFor(async () => (await serversUp()).get(`r${b.port}`) === 0, 5000), 'the new server marked dead');
    assert.deepEqual([...(await serversUp())], [[`r${b.port}`, 0]], 'only the configured server');
  });
});
