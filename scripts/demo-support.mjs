// What both demos (npm start, npm run demo:enterprise) share: picking loopback ports and the
// Admin API socket path, and the live status line read once a second from the
// authenticator's /metrics.
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';

/** `preferred` when it is free on 127.0.0.1, else a free port. */
export async function freePort(preferred) {
  const tryPort = (p) => new Promise((resolve) => {
    const s = createServer().once('error', () => resolve(undefined)).listen(p, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
  return (await tryPort(preferred)) ?? tryPort(0);
}

/** `preferred` when that UDP port is free on 127.0.0.1, else any free one. */
export async function freeUdpPort(preferred) {
  const tryPort = (p) => new Promise((resolve) => {
    const s = createSocket('udp4').once('error', () => resolve(undefined));
    s.bind(p, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
  return (await tryPort(preferred)) ?? tryPort(0);
}

/**
 * The path of the authenticator's Admin API socket in `dir`: `name`.sock, unless another
 * demo's authenticator answers there (then one with this process id).
 */
export async function freeSocketPath(dir, name) {
  const path = join(dir, `${name}.sock`);
  if (!existsSync(path)) return path;
  const live = await new Promise((resolve) => {
    const s = createConnection(path).once('connect', () => { s.destroy(); resolve(true); }).once('error', () => resolve(false));
  });
  return live ? join(dir, `${name}-${process.pid}.sock`) : path;
}

/**
 * Starts printing; `details(m)` adds text inside the station parenthesis, `suffix(m)` at the
 * end. On a TTY the line is rewritten in place, otherwise one line per second.
 */
export function startStatusLine({ metrics, histogramQuantile, total, isStopping, details = () => '', suffix = () => '' }) {
  const tty = process.stdout.isTTY;
  let lastSuccess;
  let lastAt;
  const start = Date.now();
  return setInterval(async () => {
    const m = await metrics();
    if (m === undefined || isStopping()) return;
    const get = (k) => m.get(k) ?? 0;
    const success = get('airlock_handshakes_total{result="success"}');
    const now = Date.now();
    const rate = lastSuccess === undefined ? 0 : ((success - lastSuccess) * 1000) / (now - lastAt);
    lastSuccess = success;
    lastAt = now;
    const p99 = histogramQuantile(m, 'airlock_join_duration_seconds', 0.99);
    const failures = ['mic_failure', 'timeout', 'rejected'].reduce((s, r) => s + get(`airlock_handshakes_total{result="${r}"}`), 0);
    const line =
      `[${String(Math.round((now - start) / 1000)).padStart(4)}s] agents ${get('airlock_agents_connected')}` +
      ` | stations authorized ${get('airlock_stations{state="authorized"}')}/${total}` +
      ` (${details(m)}authenticating ${get('airlock_stations{state="authenticating"}')})` +
      ` | handshakes/s ${rate.toFixed(1)} (total ${success}, failed ${failures})` +
      ` | join p99 ${formatMs(p99)}${suffix(m)}`;
    process.stdout.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }, 1000);
}

/** "12.3 ms" for a value in seconds, "-" when there is none. */
export function formatMs(seconds) {
  return Number.isNaN(seconds) ? '-' : `${(seconds * 1000).toFixed(1)} ms`;
}
