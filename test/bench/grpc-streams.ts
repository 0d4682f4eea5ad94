#!/usr/bin/env node
/**
 * `node test/dist/bench/grpc-streams.js [--n 2000]`: what an idle AgentLink stream costs a
 * bare grpc-js server on this machine, without any authenticator logic — the floor under
 * the scale scenario's RSS per agent stream. A server process (with --expose-gc) serves
 * ConnectBatched and keeps every call; this process opens `--n` streams, each on its own
 * TCP connection as an AP's would be, sends one message on each, and asks the server for
 * its RSS and V8 heap (after a GC) before and after. Prints one JSON line.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { AgentLinkClient, AgentLinkService, type AgentBatch, type ControllerBatch } from '@airlock/proto';

interface Memory {
  rss: number;
  heap: number;
  calls: number;
}

function serve(): void {
  const calls: grpc.ServerDuplexStream<AgentBatch, ControllerBatch>[] = [];
  const server = new grpc.Server({ 'grpc.keepalive_time_ms': 20_000, 'grpc.keepalive_timeout_ms': 10_000, 'grpc.keepalive_permit_without_calls': 1 });
  server.addService(AgentLinkService, {
    connect: () => undefined,
    connectBatched: (call: grpc.ServerDuplexStream<AgentBatch, ControllerBatch>) => {
      calls.push(call);
      call.on('data', () => undefined);
      call.on('error', () => undefined);
    },
  });
  const memory = (): Memory => {
    (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss, heap: m.heapUsed, calls: calls.length };
  };
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    process.send?.({ port, ...memory() });
  });
  process.on('message', () => process.send?.(memory()));
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--n');
  const n = i > 0 ? Number(process.argv[i + 1]) : 2000;
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = (): Promise<Memory> => new Promise((resolve) => {
    child.once('message', (m: Memory) => resolve(m));
    child.send('memory');
  });
  const first = await new Promise<Memory & { port: number }>((resolve) => child.once('message', (m: Memory & { port: number }) => resolve(m)));
  const clients: AgentLinkClient[] = [];
  try {
    for (let k = 0; k < n; k++) {
      const c = new AgentLinkClient(`127.0.0.1:${first.port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
      clients.push(c);
      const call = c.connectBatched();
      call.on('error', () => undefined);
      call.on('data', () => undefined);
      call.write({ messages: [{ seq: 1n, body: { $case: 'stationCounters', value: { bssid: Buffer.alloc(6), sta: Buffer.alloc(6), rxBytes: 0n, txBytes: 0n, rxPackets: 0n, txPackets: 0n } } }] });
    }
    let m = await ask();
    for (let tries = 0; m.calls < n && tries < 100; tries++) {
      await new Promise((r) => setTimeout(r, 200));
      m = await ask();
    }
    await new Promise((r) => setTimeout(r, 3000));
    m = await ask();
    process.stdout.write(`${JSON.stringify({ benchmark: 'grpc-streams', streams: m.calls, server_rss_kb_per_stream: Math.round(((m.rss - first.rss) / n / 1024) * 10) / 10, server_heap_kb_per_stream: Math.round(((m.heap - first.heap) / n / 1024) * 10) / 10, connection: 'plaintext HTTP/2, one per stream' })}\n`);
  } finally {
    for (const c of clients) c.close();
    child.kill();
  }
}

if (process.argv.includes('--serve')) serve();
else await main();
