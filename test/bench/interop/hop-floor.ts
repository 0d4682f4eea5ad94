/**
 * The cost of one extra process hop on this machine, for reading the side-by-side ratio:
 * hostapd relays an EAPOL round trip inside one process, airlock adds a round trip between
 * two processes (agent -> authenticator -> agent) per EAPOL exchange. This measures the
 * smallest such round trip Node can do here - a UDP datagram to an echo process (another
 * node) and back over loopback, one at a time with a pause between them as in an EAP
 * conversation, so both processes sleep and wake as the agent and authenticator do - with
 * no gRPC, protobuf or authenticator work in it.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { quantile } from '../support/stats.js';

const ECHO = `
const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(0, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n'));
`;

/** Median and p90 (ms) of `samples` round trips of a 200-byte datagram with `gapMs` between them. */
export async function processHopRtt(samples = 2000, gapMs = 1): Promise<{ medianMs: number; p90Ms: number; samples: number }> {
  const child = spawn(process.execPath, ['-e', ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
  const sock = createSocket('udp4');
  try {
    const [first] = (await once(child.stdout, 'data')) as [Buffer];
    const port = Number(first.toString().trim());
    if (!Number.isInteger(port) || port <= 0) throw new Error(`echo process printed ${JSON.stringify(first.toString())}`);
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    const payload = Buffer.alloc(200);
    const rtts: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      const answered = once(sock, 'message');
      sock.send(payload, port, '127.0.0.1');
      await answered;
      rtts.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, gapMs));
    }
    // The first hundred warm both processes up.
    const kept = rtts.slice(Math.min(100, rtts.length - 1));
    return { medianMs: quantile(kept, 0.5), p90Ms: quantile(kept, 0.9), samples: kept.length };
  } finally {
    sock.close();
    child.kill();
  }
}
