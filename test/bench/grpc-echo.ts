#!/usr/bin/env node
/**
 * `node test/dist/bench/grpc-echo.js [--n 50000]`: what one AgentLink message costs in
 * grpc-js + protobuf on this machine, without any authenticator logic. A server process
 * answers every EapolReceived with a TransmitEapol; the client (this process) keeps 256
 * messages in flight, then one at a time, over Connect (a gRPC message per message) and
 * over ConnectBatched (batches of 16). Prints the server process's CPU per message
 * received and answered, from /proc (10 ms ticks), one JSON line per mode.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { AgentLinkClient, AgentLinkService, type AgentBatch, type AgentMessage, type ControllerBatch, type ControllerMessage } from '@airlock/proto';
import { procCpuUs } from '../support/proc.js';

const frame = Buffer.alloc(121, 1);
const bssid = Buffer.alloc(6, 2);
const sta = Buffer.alloc(6, 3);

function answer(m: AgentMessage, seq: bigint): ControllerMessage {
  const v = m.body?.$case === 'eapolReceived' ? m.body.value : { bssid, sta, frame };
  return { seq, body: { $case: 'transmitEapol', value: { bssid: v.bssid, sta: v.sta, frame: v.frame, protected: false, wantTxStatus: false } } };
}

/** The server process: echoes on both RPCs; prints its port. */
function serve(): void {
  const server = new grpc.Server();
  server.addService(AgentLinkService, {
    connect: (call: grpc.ServerDuplexStream<AgentMessage, ControllerMessage>) => {
      let seq = 0n;
      call.on('data', (m: AgentMessage) => call.write(answer(m, ++seq)));
      call.on('end', () => call.end());
    },
    connectBatched: (call: grpc.ServerDuplexStream<AgentBatch, ControllerBatch>) => {
      let seq = 0n;
      call.on('data', (b: AgentBatch) => call.write({ messages: b.messages.map((m) => answer(m, ++seq)) }));
      call.on('end', () => call.end());
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    process.send?.({ port });
  });
}

async function drive(port: number, n: number, window: number, batch: number): Promise<void> {
  const client = new AgentLinkClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const msg = (seq: number): AgentMessage => ({ seq: BigInt(seq), body: { $case: 'eapolReceived', value: { bssid, sta, frame } } });
  let sent = 0;
  let got = 0;
  await new Promise<void>((resolve) => {
    if (batch === 1) {
      const call = client.connect();
      call.on('error', () => undefined); // the server goes away at the end
      const pump = (): void => {
        while (sent < n && sent - got < window) call.write(msg(++sent));
      };
      call.on('data', () => (++got === n ? (call.end(), resolve()) : pump()));
      pump();
    } else {
      const call = client.connectBatched();
      call.on('error', () => undefined);
      const pump = (): void => {
        while (sent < n && sent - got < window) {
          const messages: AgentMessage[] = [];
          while (messages.length < batch && sent < n) messages.push(msg(++sent));
          call.write({ messages });
        }
      };
      call.on('data', (b: ControllerBatch) => {
        got += b.messages.length;
        if (got === n) {
          call.end();
          resolve();
        } else pump();
      });
      pump();
    }
  });
  client.close();
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--n');
  const n = i > 0 ? Number(process.argv[i + 1]) : 50_000;
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  try {
    for (const [mode, window, batch] of [['Connect, 256 in flight', 256, 1], ['Connect, one at a time', 1, 1], ['ConnectBatched, batches of 16, 256 in flight', 256, 16]] as const) {
      await drive(port, 2000, window, batch); // warm-up
      const cpu0 = procCpuUs(child.pid!);
      const t0 = performance.now();
      await drive(port, n, window, batch);
      const ms = performance.now() - t0;
      const us = (procCpuUs(child.pid!) - cpu0) / n;
      process.stdout.write(`${JSON.stringify({ benchmark: 'grpc-echo', mode, messages: n, server_cpu_us_per_message: Math.round(us * 10) / 10, messages_per_s: Math.round((n / ms) * 1000) })}\n`);
    }
  } finally {
    child.kill();
  }
}

if (process.argv.includes('--serve')) serve();
else await main();
