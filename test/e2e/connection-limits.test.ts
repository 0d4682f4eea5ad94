/**
 * Connections that never start TLS (issue 13 item 3; DESIGN.md "Security", "Fairness":
 * file descriptors are shared out). A real authenticator process (mTLS) and floods of raw
 * TCP connections from loopback source addresses (127.0.0.x, bound with localAddress):
 * the per-source cap on connections in their handshake refuses one source's flood while a
 * real agent from another source connects and its stations join, and /healthz answers;
 * the connections admitted are closed after grpc.tls_handshake_timeout_s; the total cap
 * refuses many sources that are each under their own cap; and with the process's
 * open-file limit at 512 the connection cap (512 less grpc.fd_headroom) refuses a flood
 * while the HTTP endpoints, whose per-source cap refuses an idle flood of their own, keep
 * answering, and an agent connects once the flood has timed out. In a cluster the primary
 * applies the caps at accept and the workers report each connection's handshake.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { EdgeAgent, SimDriver, simBsses, simStations } from '@airlock/edge-agent';
import { startAuthenticatorProcess, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { agentCredentials, serverTlsYaml } from '../support/test-pki.js';
import { TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';
import { sharedStoreYaml, startRedis, type RedisServer } from '../support/redis.js';

const HANDSHAKE_TIMEOUT_S = 2;
const PER_SOURCE = 50;
const TOTAL_PENDING = 300;
const STATIONS = 20;

/** One raw TCP connection of a flood: when it connected and when the server closed it. */
interface RawConnection {
  socket: Socket;
  connectedAt?: number;
  closedAt?: number;
}

/**
 * Opens `n` TCP connections to `port` that never send a byte, round-robin from `sources`;
 * resolves once each has connected or closed.
 */
async function flood(port: number, n: number, sources: string[]): Promise<RawConnection[]> {
  const out: RawConnection[] = [];
  const settled: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const socket = connect({ port, host: '127.0.0.1', localAddress: sources[i % sources.length] });
    const c: RawConnection = { socket };
    out.push(c);
    socket.on('error', () => undefined);
    socket.resume(); // read the server's FIN, so 'close' follows it
    settled.push(
      new Promise<void>((resolve) => {
        socket.once('connect', () => {
          c.connectedAt = performance.now();
          resolve();
        });
        socket.once('close', () => {
          c.closedAt = performance.now();
          resolve();
        });
      }),
    );
    if (i % 250 === 249) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(settled);
  return out;
}

const stillOpen = (cs: RawConnection[]): number => cs.filter((c) => c.closedAt === undefined).length;
const destroyAll = (cs: RawConnection[]): void => cs.forEach((c) => c.socket.destroy());

/** A sim agent (mTLS as `id`) with `stations` stations on 2 BSSes of agent number `n`. */
function simAgent(auth: AuthenticatorProcess, id: string, n: number): { agent: EdgeAgent; driver: SimDriver } {
  const t = { agentNumber: n, bsses: 2, stations: STATIONS, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
  const driver = new SimDriver({ bsses: simBsses(t), stations: simStations(t), behaviour: { joinSpreadMs: 500 }, seed: n });
  const agent = new EdgeAgent({ agentId: id, target: `localhost:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials(id) });
  return { agent, driver };
}

/** Polls /healthz every 100 ms until stopped; resolves with the statuses seen (0 for a failed request). */
function pollHealth(auth: AuthenticatorProcess): { stop(): Promise<number[]> } {
  const seen: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        seen.push((await fetch(`http://127.0.0.1:${auth.httpPort}/healthz`, { signal: AbortSignal.timeout(2000) })).status);
      } catch {
        seen.push(0);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return seen;
    },
  };
}

/** Log lines (pino JSON) of `auth` whose msg starts with `prefix`. */
function logLines(auth: AuthenticatorProcess, prefix: string): Record<string, unknown>[] {
  return readFileSync(auth.logFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => typeof l.msg === 'string' && l.msg.startsWith(prefix));
}

const metric = (m: Map<string, number>, key: string): number => m.get(key) ?? 0;
const refused = (reason: string, listener = 'agentlink'): string => `airlock_connections_refused_total{listener="${listener}",reason="${reason}"}`;
const TIMEOUTS = 'airlock_connection_handshake_failures_total{reason="timeout"}';

void describe('AgentLink connections before TLS: caps and the handshake timeout', () => {
  let dir: string;
  let auth: AuthenticatorProcess;
  const agents: EdgeAgent[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-connection-limits-'));
    auth = await startAuthenticatorProcess('limits', dir, {
      grpc: { plaintext: false, tls: serverTlsYaml(), tls_handshake_timeout_s: HANDSHAKE_TIMEOUT_S, max_pending_handshakes: TOTAL_PENDING, max_pending_handshakes_per_source: PER_SOURCE },
      log: { level: 'info' },
      networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 }],
    });
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await auth.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it("one source's flood is refused past its pending cap and timed out, while an agent from another source joins and /healthz answers", async () => {
    const health = pollHealth(auth);
    const t0 = performance.now();
    const flooding = flood(auth.grpcPort, 3000, ['127.0.0.2']);
    // The agent connects from 127.0.0.1 while the flood comes in.
    const { agent, driver } = simAgent(auth, 'ap-1', 1);
    agents.push(agent);
    await agent.start();
    const conns = await flooding;
    const floodS = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 300));
    const openAfterFlood = stillOpen(conns);
    const during = await auth.metrics();
    assert.ok(await waitFor(() => driver.authorizedCount() === STATIONS, 20_000), `the agent from another source joined its stations: ${driver.authorizedCount()}/${STATIONS}`);
    // Past the deadline every flood connection is closed.
    assert.ok(await waitFor(() => stillOpen(conns) === 0, (HANDSHAKE_TIMEOUT_S + 3) * 1000), `flood connections still open: ${stillOpen(conns)}`);
    const statuses = await health.stop();
    const m = await auth.metrics();
    const lived = conns.filter((c) => c.connectedAt !== undefined && c.closedAt !== undefined && c.closedAt - c.connectedAt > 1000).map((c) => (c.closedAt! - c.connectedAt!) / 1000);
    console.log(
      `3000 connections from 127.0.0.2 in ${floodS.toFixed(1)} s: ${metric(m, refused('source_pending'))} refused (source_pending), ${openAfterFlood} open 0.3 s after, ` +
        `${metric(m, TIMEOUTS)} timed out after ${Math.min(...lived).toFixed(2)}..${Math.max(...lived).toFixed(2)} s; pending during ${metric(during, 'airlock_connections_pending')}, ` +
        `/healthz ${statuses.length} answers (${statuses.filter((s) => s !== 200).length} not 200); stations ${driver.authorizedCount()}/${STATIONS}`,
    );
    assert.ok(openAfterFlood <= PER_SOURCE, `at most ${PER_SOURCE} of the flood held at once: ${openAfterFlood}`);
    assert.ok(metric(during, 'airlock_connections_pending') <= PER_SOURCE + 1, `pending during the flood: ${metric(during, 'airlock_connections_pending')}`);
    assert.ok(metric(m, refused('source_pending')) >= 3000 - 3 * PER_SOURCE, `refused: ${metric(m, refused('source_pending'))}`);
    // Every flood connection was either refused at accept or closed by the deadline.
    assert.equal(metric(m, refused('source_pending')) + metric(m, TIMEOUTS), 3000);
    assert.equal(lived.length, metric(m, TIMEOUTS), 'the connections that lived are the ones timed out');
    // From the client's 'connect' event, which a busy client loop may see late.
    for (const s of lived) assert.ok(s >= HANDSHAKE_TIMEOUT_S - 0.5 && s <= HANDSHAKE_TIMEOUT_S + 1.5, `closed ${s.toFixed(2)} s after it connected, not about ${HANDSHAKE_TIMEOUT_S} s`);
    assert.ok(statuses.length >= 5 && statuses.every((s) => s === 200), `/healthz during the flood: ${statuses.join(',')}`);
    assert.equal(metric(m, 'airlock_connections_pending'), 0);
    assert.equal(metric(m, 'airlock_connections_open'), 1, "the agent's connection");
    // Thousands of refusals, a handful of lines saying how many were held back.
    const lines = logLines(auth, 'connection refused');
    assert.ok(lines.length >= 1 && lines.length <= 10, `${lines.length} refusal lines`);
    assert.equal(lines[0].source, '127.0.0.2');
  });

  void it('a connection that does not speak TLS is closed at once; one that stalls inside its ClientHello record at the deadline', async () => {
    const before = await auth.metrics();
    const [http1, stalled] = await flood(auth.grpcPort, 2, ['127.0.0.3']);
    http1.socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    // A TLS handshake record header announcing 512 bytes, and 100 of them.
    stalled.socket.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), Buffer.alloc(100)]));
    assert.ok(await waitFor(() => stillOpen([http1, stalled]) === 0, (HANDSHAKE_TIMEOUT_S + 2) * 1000), 'both closed');
    const m = await auth.metrics();
    const delta = (k: string): number => metric(m, k) - metric(before, k);
    assert.ok(http1.closedAt! - http1.connectedAt! < 1000, `not TLS: closed after ${(http1.closedAt! - http1.connectedAt!).toFixed(0)} ms`);
    const stalledS = (stalled.closedAt! - stalled.connectedAt!) / 1000;
    assert.ok(stalledS >= HANDSHAKE_TIMEOUT_S - 0.5 && stalledS <= HANDSHAKE_TIMEOUT_S + 1.5, `stalled: closed after ${stalledS.toFixed(2)} s`);
    assert.equal(delta('airlock_connection_handshake_failures_total{reason="tls"}'), 1);
    assert.equal(delta(TIMEOUTS), 1);
  });

  void it('many sources, each under its own cap, are refused past the total cap; the agent keeps its stations', async () => {
    const before = await auth.metrics();
    const sources = Array.from({ length: 10 }, (_v, i) => `127.0.0.${10 + i}`);
    const conns = await flood(auth.grpcPort, 450, sources);
    await new Promise((r) => setTimeout(r, 300));
    const openAfterFlood = stillOpen(conns);
    const during = await auth.metrics();
    assert.ok(await waitFor(() => stillOpen(conns) === 0, (HANDSHAKE_TIMEOUT_S + 3) * 1000), `flood connections still open: ${stillOpen(conns)}`);
    const m = await auth.metrics();
    const delta = (k: string): number => metric(m, k) - metric(before, k);
    console.log(`450 connections from 10 sources: ${delta(refused('pending'))} refused (pending), ${delta(refused('source_pending'))} (source_pending), ${openAfterFlood} open 0.3 s after, ${delta(TIMEOUTS)} timed out`);
    assert.ok(openAfterFlood <= TOTAL_PENDING, `at most ${TOTAL_PENDING} held at once: ${openAfterFlood}`);
    assert.ok(metric(during, 'airlock_connections_pending') <= TOTAL_PENDING, `pending: ${metric(during, 'airlock_connections_pending')}`);
    assert.ok(delta(refused('pending')) >= 1, 'the total cap refused some');
    assert.equal(delta(refused('source_pending')), 0, 'no source was over its own cap');
    assert.equal(delta(refused('pending')) + delta(TIMEOUTS), 450);
    assert.equal(metric(m, 'airlock_connections_open'), 1, "the agent's connection is untouched");
    assert.equal(metric(m, 'airlock_stations{state="authorized"}'), STATIONS);
  });
});

void describe('the connection cap keeps open-file headroom (open-file limit 512)', () => {
  let dir: string;
  let auth: AuthenticatorProcess;
  const agents: EdgeAgent[] = [];
  const floods: RawConnection[][] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-connection-fd-'));
    auth = await startAuthenticatorProcess(
      'fd-limit',
      dir,
      {
        // Only the connection cap binds here: the handshake caps are far above the flood.
        grpc: { plaintext: false, tls: serverTlsYaml(), tls_handshake_timeout_s: 3, max_pending_handshakes: 5000, max_pending_handshakes_per_source: 5000 },
        http: { max_connections: 64 },
        log: { level: 'info' },
        networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 }],
      },
      { fdLimit: 512 },
    );
  });
  after(async () => {
    for (const f of floods) destroyAll(f);
    await Promise.all(agents.map((a) => a.stop()));
    await auth.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('a flood is refused past 512 - fd_headroom connections; /healthz and /metrics answer, an idle HTTP flood is capped per source, and an agent connects after', async () => {
    const m0 = await auth.metrics();
    assert.equal(metric(m0, 'airlock_connections_limit'), 512 - 256, 'derived from the open-file limit less grpc.fd_headroom (256)');
    const health = pollHealth(auth);
    const sources = Array.from({ length: 10 }, (_v, i) => `127.0.0.${30 + i}`);
    const conns = await flood(auth.grpcPort, 1000, sources);
    floods.push(conns);
    // An idle flood of the HTTP port from one source: a quarter of http.max_connections is its share.
    const httpConns = await flood(auth.httpPort, 100, ['127.0.0.40']);
    floods.push(httpConns);
    await new Promise((r) => setTimeout(r, 300));
    const openAfterFlood = stillOpen(conns);
    const httpOpen = stillOpen(httpConns);
    const during = await auth.metrics();
    const metricsOk = (await fetch(`http://127.0.0.1:${auth.httpPort}/metrics`)).status;
    assert.ok(await waitFor(() => stillOpen(conns) === 0, 6000), `flood connections still open: ${stillOpen(conns)}`);
    const statuses = await health.stop();
    const m = await auth.metrics();
    console.log(
      `open-file limit 512: 1000 AgentLink connections from 10 sources: ${metric(m, refused('connections'))} refused (connections), ${openAfterFlood} open 0.3 s after ` +
        `(open ${metric(during, 'airlock_connections_open')}), ${metric(m, TIMEOUTS)} timed out; 100 idle HTTP connections from one source: ` +
        `${metric(m, refused('source_connections', 'http'))} refused, ${httpOpen} open; /healthz ${statuses.length} answers (${statuses.filter((s) => s !== 200).length} not 200)`,
    );
    assert.ok(openAfterFlood <= 512 - 256, `at most 256 held at once: ${openAfterFlood}`);
    assert.ok(metric(during, 'airlock_connections_open') <= 512 - 256, `open: ${metric(during, 'airlock_connections_open')}`);
    assert.ok(metric(m, refused('connections')) >= 1000 - 2 * 256, `refused: ${metric(m, refused('connections'))}`);
    assert.equal(metric(m, refused('connections')) + metric(m, TIMEOUTS), 1000);
    assert.equal(httpOpen, 64 / 4, 'one source holds a quarter of http.max_connections');
    assert.equal(metric(m, refused('source_connections', 'http')), 100 - 64 / 4);
    assert.equal(metricsOk, 200);
    assert.ok(statuses.length >= 5 && statuses.every((s) => s === 200), `/healthz during the flood: ${statuses.join(',')}`);
    assert.doesNotMatch(readFileSync(auth.logFile, 'utf8'), /EMFILE/, 'the process never ran out of descriptors');
    // The flood is gone: an agent connects and joins its stations.
    const { agent, driver } = simAgent(auth, 'ap-2', 2);
    agents.push(agent);
    await agent.start();
    assert.ok(await waitFor(() => driver.authorizedCount() === STATIONS, 20_000), `stations after the flood: ${driver.authorizedCount()}/${STATIONS}`);
  });
});

/** A gRPC health check over mTLS as agent `id`, on a connection of its own, left open (close the client). */
function healthCheck(auth: AuthenticatorProcess, id: string): { client: grpc.Client; answer: Promise<string> } {
  const client = new grpc.Client(`localhost:${auth.grpcPort}`, agentCredentials(id), { 'grpc.use_local_subchannel_pool': 1 });
  const answer = new Promise<string>((resolve) => {
    client.makeUnaryRequest('/grpc.health.v1.Health/Check', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), { deadline: Date.now() + 5000 }, (err, res) => {
      resolve(err !== null ? `error ${err.code}` : res?.toString('hex') ?? 'none');
    });
  });
  return { client, answer };
}

void describe('the caps in a cluster (cluster.workers: 2)', () => {
  let dir: string;
  let auth: AuthenticatorProcess;
  let redis: RedisServer;
  const agents: EdgeAgent[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-connection-cluster-'));
    redis = await startRedis();
    auth = await startAuthenticatorProcess('cluster', dir, {
      redis: sharedStoreYaml(redis),
      grpc: { plaintext: false, tls: serverTlsYaml(), tls_handshake_timeout_s: HANDSHAKE_TIMEOUT_S, max_pending_handshakes_per_source: 3 },
      cluster: { workers: 2 },
      log: { level: 'info' },
      networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 }],
    }, { readyTimeoutMs: 30_000 });
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await auth.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it("the primary refuses one source's flood; the workers time it out and report established connections, so another source connects again and again", async () => {
    const conns = await flood(auth.grpcPort, 200, ['127.0.0.50']);
    await new Promise((r) => setTimeout(r, 300));
    const openAfterFlood = stillOpen(conns);
    // Connections from 127.0.0.1 one after another, twice its cap of 3, all kept open: each
    // is established (its worker says so) and stops counting as pending at the primary.
    const checks: string[] = [];
    const clients: grpc.Client[] = [];
    for (let i = 0; i < 6; i++) {
      const h = healthCheck(auth, 'ap-3');
      clients.push(h.client);
      checks.push(await h.answer);
    }
    for (const c of clients) c.close();
    const { agent, driver } = simAgent(auth, 'ap-3', 3);
    agents.push(agent);
    await agent.start();
    assert.ok(await waitFor(() => driver.authorizedCount() === STATIONS, 20_000), `stations: ${driver.authorizedCount()}/${STATIONS}`);
    assert.ok(await waitFor(() => stillOpen(conns) === 0, (HANDSHAKE_TIMEOUT_S + 3) * 1000), `flood connections still open: ${stillOpen(conns)}`);
    // The workers' counts reach the primary's /metrics at the next scrape.
    let m = await auth.metrics();
    await waitFor(async () => {
      m = await auth.metrics();
      return metric(m, refused('source_pending')) + metric(m, TIMEOUTS) >= 200 && metric(m, 'airlock_connections_open') === 1;
    }, 5000);
    console.log(`cluster: 200 connections from 127.0.0.50: ${metric(m, refused('source_pending'))} refused by the primary, ${openAfterFlood} open 0.3 s after, ${metric(m, TIMEOUTS)} timed out in the workers; health checks ${checks.join(',')}`);
    assert.ok(openAfterFlood <= 3, `held at once: ${openAfterFlood}`);
    assert.equal(metric(m, refused('source_pending')) + metric(m, TIMEOUTS), 200);
    assert.deepEqual(checks, Array<string>(6).fill('0801'), 'every health check from 127.0.0.1 was SERVING');
    assert.equal(metric(m, 'airlock_connections_pending'), 0);
    assert.equal(metric(m, 'airlock_connections_open'), 1, "the agent's connection");
  });
});
