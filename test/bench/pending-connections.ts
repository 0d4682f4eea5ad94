#!/usr/bin/env node
/**
 * What a connection that never completes TLS costs the authenticator (issue 13 item 3):
 *
 *   node test/dist/bench/pending-connections.js [--n 10000] [--sources 100] [--modes idle,stalled]
 *        [--settle-ms 3000] [--main PATH --baseline]
 *
 * A real authenticator process (mTLS, the test PKI) and `--n` TCP connections to its
 * AgentLink port from `--sources` loopback addresses (127.0.x.y), opened in this process.
 * Modes: `idle` connections send nothing (the flood of the issue); `stalled` ones send the
 * 5-byte header of a TLS handshake record and nothing after; `hello` ones send a whole
 * ClientHello (recorded from node:tls) and nothing after, so the server's TLS state exists
 * and its handshake waits for the client's certificate. Before the connections, and
 * `--settle-ms` after the authenticator holds a descriptor for each (/proc/<pid>/fd), its
 * RSS (/proc/<pid>/status) and V8 heap used (its /metrics) are read; one JSON line per
 * mode with both per connection. The caps are raised so that all are held, and the
 * handshake timeout set to its maximum (300 s) so that none is closed before the
 * measurement.
 *
 * `--main PATH --baseline`: another build's main.js (for instance the commit before the
 * connection gate, in a git worktree), given a configuration without the gate's keys.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAuthenticatorProcess, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { serverTlsYaml } from '../support/test-pki.js';
import { recorder } from './support/record.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    sources: { type: 'string', default: '100' },
    modes: { type: 'string', default: 'idle,stalled,hello' },
    'settle-ms': { type: 'string', default: '3000' },
    main: { type: 'string' },
    baseline: { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
  },
});
const record = recorder('pending-connections', values.record, `node test/dist/bench/pending-connections.js ${process.argv.slice(2).join(' ')}`);
const N = Number(values.n);
const SOURCES = Number(values.sources);
const SETTLE_MS = Number(values['settle-ms']);
const MODES = values.modes.split(',');
for (const m of MODES) if (m !== 'idle' && m !== 'stalled' && m !== 'hello') throw new Error(`--modes: idle, stalled or hello, got ${m}`);
if (!(N >= 1 && SOURCES >= 1 && SOURCES <= 250 * 250)) throw new Error('--n >= 1, --sources 1..62500');

/** A TLS handshake record header (content type 22, TLS 1.0 record version, 512 bytes announced). */
const TLS_RECORD_HEADER = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]);

/** A ClientHello as node:tls sends it (the first TLS record of a connection), recorded on a local socket. */
async function recordClientHello(): Promise<Buffer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hello = new Promise<Buffer>((resolve) => {
    server.once('connection', (s: Socket) => {
      let got = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 5 && got.length >= 5 + got.readUInt16BE(3)) {
          resolve(got.subarray(0, 5 + got.readUInt16BE(3)));
          s.destroy();
        }
      });
    });
  });
  const client = tlsConnect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', servername: 'localhost', ALPNProtocols: ['h2'] });
  client.on('error', () => undefined);
  const record = await hello;
  client.destroy();
  server.close();
  return record;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const source = (i: number): string => `127.0.${1 + Math.floor((i % SOURCES) / 250)}.${1 + ((i % SOURCES) % 250)}`;

interface Memory {
  rssKb: number;
  heapBytes: number;
}

/** The median of three readings, 200 ms apart. */
async function memory(auth: AuthenticatorProcess): Promise<Memory> {
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < 3; i++) {
    rss.push(auth.rssKb());
    heap.push((await auth.metrics()).get('nodejs_heap_size_used_bytes') ?? NaN);
    await sleep(200);
  }
  const mid = (xs: number[]): number => xs.sort((a, b) => a - b)[1];
  return { rssKb: mid(rss), heapBytes: mid(heap) };
}

/** Opens the connections; resolves with them once each has connected (or failed). */
async function open(port: number, mode: string): Promise<{ sockets: Socket[]; connected: number }> {
  const first = mode === 'hello' ? await recordClientHello() : mode === 'stalled' ? TLS_RECORD_HEADER : undefined;
  const sockets: Socket[] = [];
  let connected = 0;
  const done: Promise<void>[] = [];
  for (let i = 0; i < N; i++) {
    const s = connect({ port, host: '127.0.0.1', localAddress: source(i) });
    sockets.push(s);
    s.on('error', () => undefined);
    s.resume(); // a connection the server closes ends here too (held counts open ones)
    done.push(new Promise<void>((resolve) => {
      s.once('connect', () => {
        connected++;
        if (first !== undefined) s.write(first);
        resolve();
      });
      s.once('close', () => resolve());
    }));
    // The listen backlog is 511: pace the SYNs so none is dropped (a dropped SYN waits 1 s).
    if (i % 200 === 199) await sleep(20);
  }
  await Promise.all(done);
  return { sockets, connected };
}

async function measure(mode: string, workDir: string): Promise<Record<string, unknown>> {
  const gate = values.baseline ? {} : { tls_handshake_timeout_s: 300, max_pending_handshakes: N + 16, max_pending_handshakes_per_source: Math.ceil(N / SOURCES) + 16 };
  const tls: Record<string, string> = { ...serverTlsYaml() };
  // A baseline build from before the certificate roles and the Admin socket knows neither
  // agent_ca nor operator_ca nor admin.socket (undefined: left out of the file).
  if (values.baseline) delete tls.agent_ca;
  const admin = values.baseline ? { admin: { socket: undefined, tls } } : {};
  const auth = await startAuthenticatorProcess(`pending-${mode}`, workDir, {
    grpc: { plaintext: false, tls, ...gate },
    ...admin,
    log: { level: 'warn' },
    networks: [{ ssid: 'airlock-bench', akms: ['psk'], passphrases: ['correct horse battery'], group_rekey_s: 0 }],
  }, { main: values.main });
  let sockets: Socket[] = [];
  try {
    await sleep(1000);
    const fds = (): number => readdirSync(`/proc/${auth.pid}/fd`).length;
    const fdsBefore = fds();
    const before = await memory(auth);
    const t0 = performance.now();
    const opened = await open(auth.grpcPort, mode);
    sockets = opened.sockets;
    const openS = (performance.now() - t0) / 1000;
    // Every connection accepted (a descriptor each), and the server's work on them done
    // (hello: a TLS handshake each, up to where it waits for the client).
    for (let waited = 0; waited < 60_000 && fds() - fdsBefore < opened.connected; waited += 250) await sleep(250);
    await sleep(SETTLE_MS);
    const after = await memory(auth);
    const held = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
    const serverHeld = fds() - fdsBefore;
    const m = await auth.metrics();
    const per = (x: number): number => Math.round((x / N) * 100) / 100;
    return {
      benchmark: 'pending-connections',
      mode,
      build: values.baseline ? 'baseline' : 'current',
      n: N,
      sources: SOURCES,
      connected: opened.connected,
      held,
      server_fds: serverHeld,
      server_pending: m.get('airlock_connections_pending') ?? null,
      rss_kb_per_connection: per(after.rssKb - before.rssKb),
      heap_kb_per_connection: per((after.heapBytes - before.heapBytes) / 1024),
      rss_mb_before: Math.round(before.rssKb / 1024),
      rss_mb_after: Math.round(after.rssKb / 1024),
      open_s: Math.round(openS * 10) / 10,
    };
  } finally {
    for (const s of sockets) s.destroy();
    await auth.stop();
  }
}

const workDir = mkdtempSync(join(tmpdir(), 'airlock-bench-pending-'));
for (const mode of MODES) {
  const line = await measure(mode, workDir);
  if (typeof line.held !== 'number' || line.held < N || (line.server_fds as number) < N) throw new Error(`only ${String(line.held)} of ${N} connections were held (logs in ${workDir}): ${JSON.stringify(line)}`);
  process.stdout.write(`${JSON.stringify(line)}\n`);
  record(line);
}
rmSync(workDir, { recursive: true, force: true });
// Sockets of the finished runs may hold the loop open.
process.exit(0);
