#!/usr/bin/env node
/**
 * `node test/dist/bench/grpc-streams.js [--n 2000] [--layer grpc-mtls|tls|grpc|http2|tcp] [--settle-ms 3000] [--record]`: what an idle
 * AgentLink stream costs the server on this machine without any authenticator logic — the
 * floor under the scale scenario's RSS per agent stream — and the layers under it. A server
 * process (with --expose-gc) keeps every stream; this process opens `--n`, each on its own
 * TCP connection as an AP's would be, sends one message on each, and asks the server for its
 * RSS and V8 heap (after a GC) before and after. Layers: grpc-mtls (grpc-js serving
 * ConnectBatched over mutual TLS, as agents connect), tls (node:tls alone, mutual TLS, one
 * connection), grpc (grpc-js, plaintext), http2 (node:http2 alone: one session and one open
 * stream per connection), tcp (node:net alone). Without --layer, all of them; one JSON line
 * each. `--settle-ms`: the pause between the last stream open and the measurement. The
 * certificates are RSA 2048, made for the run (a CA, the server's, one client's).
 */
import { fork } from 'node:child_process';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { createCa, issueCertificate, type Pem } from '@airlock/pki';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { AgentLinkClient, AgentLinkService, type AgentBatch, type ControllerBatch } from '@airlock/proto';
import { recorder } from './support/record.js';

type Layer = 'grpc-mtls' | 'tls' | 'grpc' | 'http2' | 'tcp';
const LAYERS: readonly Layer[] = ['grpc-mtls', 'tls', 'grpc', 'http2', 'tcp'];
const DESCRIPTION: Record<Layer, string> = {
  'grpc-mtls': 'grpc-js ConnectBatched over mutual TLS (RSA 2048), one connection per stream',
  tls: 'node:tls alone, mutual TLS (RSA 2048), one connection',
  grpc: 'grpc-js ConnectBatched, plaintext HTTP/2, one connection per stream',
  http2: 'node:http2 alone, one session with one open stream per connection',
  tcp: 'node:net alone, one connection',
};

interface Memory {
  rss: number;
  heap: number;
  calls: number;
}

/** The run's certificates: a CA, the server's (localhost), one client's. */
interface RunPki {
  ca: string;
  server: Pem;
  client: Pem;
}

function makePki(): RunPki {
  const ca = createCa({ commonName: 'grpc-streams bench CA' });
  return { ca: ca.cert, server: issueCertificate(ca, { commonName: 'localhost', usage: 'server', dnsNames: ['localhost'] }), client: issueCertificate(ca, { commonName: 'bench-agent', usage: 'client' }) };
}

function serve(layer: Layer, pki: RunPki): void {
  const kept: unknown[] = [];
  const memory = (): Memory => {
    (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss, heap: m.heapUsed, calls: kept.length };
  };
  const ready = (port: number): void => {
    process.send?.({ port, ...memory() });
  };
  process.on('message', () => process.send?.(memory()));
  if (layer === 'tcp') {
    const srv = net.createServer((sock) => {
      kept.push(sock);
      sock.on('data', () => undefined);
      sock.on('error', () => undefined);
    });
    srv.listen(0, '127.0.0.1', () => ready((srv.address() as net.AddressInfo).port));
    return;
  }
  if (layer === 'tls') {
    const srv = tls.createServer({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca, requestCert: true, rejectUnauthorized: true }, (sock) => {
      kept.push(sock);
      sock.on('data', () => undefined);
      sock.on('error', () => undefined);
    });
    srv.listen(0, '127.0.0.1', () => ready((srv.address() as net.AddressInfo).port));
    return;
  }
  if (layer === 'http2') {
    const srv = http2.createServer();
    srv.on('stream', (stream) => {
      kept.push(stream);
      stream.respond({ ':status': 200 });
      stream.write('x');
      stream.on('data', () => undefined);
      stream.on('error', () => undefined);
    });
    srv.listen(0, '127.0.0.1', () => ready((srv.address() as net.AddressInfo).port));
    return;
  }
  const server = new grpc.Server({ 'grpc.keepalive_time_ms': 20_000, 'grpc.keepalive_timeout_ms': 10_000, 'grpc.keepalive_permit_without_calls': 1 });
  server.addService(AgentLinkService, {
    connect: () => undefined,
    connectBatched: (call: grpc.ServerDuplexStream<AgentBatch, ControllerBatch>) => {
      kept.push(call);
      call.on('data', () => undefined);
      call.on('error', () => undefined);
    },
  });
  const creds =
    layer === 'grpc-mtls'
      ? grpc.ServerCredentials.createSsl(Buffer.from(pki.ca), [{ cert_chain: Buffer.from(pki.server.cert), private_key: Buffer.from(pki.server.key) }], true)
      : grpc.ServerCredentials.createInsecure();
  server.bindAsync('127.0.0.1:0', creds, (err, port) => {
    if (err) throw err;
    ready(port);
  });
}

/** Opens one idle stream (its own connection) of `layer`; returns how to close it. */
function open(layer: Layer, port: number, pki: RunPki): () => void {
  if (layer === 'tls') {
    const sock = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca, cert: pki.client.cert, key: pki.client.key });
    sock.on('error', () => undefined);
    sock.write('hello');
    return () => sock.destroy();
  }
  if (layer === 'tcp') {
    const sock = net.connect(port, '127.0.0.1');
    sock.on('error', () => undefined);
    sock.write('hello');
    return () => sock.destroy();
  }
  if (layer === 'http2') {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    const req = session.request({ ':method': 'POST', ':path': '/airlock.v1.AgentLink/ConnectBatched' });
    req.on('error', () => undefined);
    req.on('data', () => undefined);
    req.write('hello');
    return () => session.destroy();
  }
  const c =
    layer === 'grpc-mtls'
      ? new AgentLinkClient(`localhost:${port}`, grpc.credentials.createSsl(Buffer.from(pki.ca), Buffer.from(pki.client.key), Buffer.from(pki.client.cert)), { 'grpc.use_local_subchannel_pool': 1 })
      : new AgentLinkClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const call = c.connectBatched();
  call.on('error', () => undefined);
  call.on('data', () => undefined);
  call.write({ messages: [{ seq: 1n, body: { $case: 'stationCounters', value: { bssid: Buffer.alloc(6), sta: Buffer.alloc(6), rxBytes: 0n, txBytes: 0n, rxPackets: 0n, txPackets: 0n } } }] });
  return () => c.close();
}

async function measure(layer: Layer, n: number, settleMs: number, pki: RunPki, record: (line: Record<string, unknown>) => void): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', layer], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send(pki);
  const ask = (): Promise<Memory> => new Promise((resolve) => {
    child.once('message', (m: Memory) => resolve(m));
    child.send('memory');
  });
  const first = await new Promise<Memory & { port: number }>((resolve) => child.once('message', (m: Memory & { port: number }) => resolve(m)));
  const closers: (() => void)[] = [];
  try {
    for (let k = 0; k < n; k++) {
      closers.push(open(layer, first.port, pki));
      if (k % 100 === 99) await new Promise((r) => setTimeout(r, 20));
    }
    let m = await ask();
    for (let tries = 0; m.calls < n && tries < 100; tries++) {
      await new Promise((r) => setTimeout(r, 200));
      m = await ask();
    }
    await new Promise((r) => setTimeout(r, settleMs));
    m = await ask();
    const line = { benchmark: 'grpc-streams', layer, streams: m.calls, server_rss_kb_per_stream: Math.round(((m.rss - first.rss) / n / 1024) * 10) / 10, server_heap_kb_per_stream: Math.round(((m.heap - first.heap) / n / 1024) * 10) / 10, connection: DESCRIPTION[layer] };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    record(line);
  } finally {
    for (const close of closers) close();
    child.kill();
  }
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--n');
  const n = i > 0 ? Number(process.argv[i + 1]) : 2000;
  const l = process.argv.indexOf('--layer');
  const chosen = l > 0 ? [process.argv[l + 1] as Layer] : [...LAYERS];
  const s = process.argv.indexOf('--settle-ms');
  const settleMs = s > 0 ? Number(process.argv[s + 1]) : 3000;
  if (!Number.isInteger(n) || n < 1) throw new Error('--n: a positive integer');
  if (!Number.isInteger(settleMs) || settleMs < 0) throw new Error('--settle-ms: an integer >= 0');
  const record = recorder('grpc-streams', process.argv.includes('--record'), `node test/dist/bench/grpc-streams.js ${process.argv.slice(2).join(' ')}`);
  const pki = makePki();
  for (const layer of chosen) {
    if (!LAYERS.includes(layer)) throw new Error(`--layer: one of ${LAYERS.join(', ')}`);
    await measure(layer, n, settleMs, pki, record);
  }
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt > 0) {
  // The parent sends the run's certificates first, then asks for memory figures.
  process.once('message', (pki: RunPki) => serve(process.argv[serveAt + 1] as Layer, pki));
} else await main();
