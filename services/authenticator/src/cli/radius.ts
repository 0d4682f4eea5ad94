/**
 * `airlock radius`: the RADIUS servers as the authenticator's client sees them (state and
 * since when, RTT last and smoothed, last error), and `airlock radius test USER PASSWORD`, a
 * radtest through the authenticator's own RADIUS client, secret and failover (Admin API
 * ListRadiusServers, TestRadius). A table or lines by default, `--json` for scripts.
 * Exit 0 done (test: Access-Accept), 1 Reject / timeout / unreachable / refused, 2 usage.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { ListRadiusServersResponse, RadiusServerInfo, TestRadiusResponse } from '@airlock/proto';
import { age, call, CONNECTION_HELP, json, table, withAdmin } from './admin.js';
import { CommandFailure, UsageError, type CliIo, type Command } from './command.js';
import { line } from './terminal-text.js';

const LIST_USAGE = 'airlock radius [list] [connection options] [--json]';
const TEST_USAGE = 'airlock radius test USER PASSWORD|- [connection options] [--json]';
/** A test may wait for every server with all its retransmissions (radius.timeout_ms, max_retransmits). */
const TEST_TIMEOUT_S = 120;
/** RFC 2865: User-Name at most 253 octets; User-Password at most 128 (§5.2). */
const MAX_USER = 253;
const MAX_PASSWORD = 128;

/** "1.2 ms / 1.4 ms" ("-" before the first answer). */
function rtt(s: RadiusServerInfo): string {
  return s.lastRttMs === 0 && s.smoothedRttMs === 0 ? '-' : `${s.lastRttMs.toFixed(1)} / ${s.smoothedRttMs.toFixed(1)} ms`;
}

/** The servers' table. */
export function radiusTable(servers: RadiusServerInfo[], now = Date.now()): string {
  const rows = servers.map((s) => [
    s.name,
    s.address,
    // A cluster: how many of the workers' clients hold it dead (any makes it dead).
    s.workers > 1 && s.workersDead > 0 ? `${s.state} (${s.workersDead}/${s.workers} workers dead)` : s.state,
    age(Number(s.sinceUnixMs), now),
    rtt(s),
    String(s.inFlight),
    String(s.timeouts),
    s.lastError === '' ? '-' : `${s.lastError} (${age(Number(s.lastErrorUnixMs), now)})`,
  ]);
  return table(['SERVER', 'ADDRESS', 'STATE', 'SINCE', 'RTT LAST/SMOOTHED', 'IN FLIGHT', 'TIMEOUTS', 'LAST ERROR'], rows);
}

const CODE_NAMES: Record<string, string> = { accept: 'Access-Accept', reject: 'Access-Reject', challenge: 'Access-Challenge' };

/** The test's answer for a person: the result line, then the reply attributes that matter. */
export function radiusTestText(r: TestRadiusResponse): string {
  if (r.result === 'timeout') return line`no RADIUS server answered (tried ${r.tried.join(', ') || 'none'})`;
  const lines = [line`${CODE_NAMES[r.result] ?? r.result} from ${r.server} in ${r.rttMs.toFixed(1)} ms`];
  // Every value from the server goes through the `line` tag: none can move the cursor.
  for (const m of r.replyMessage === '' ? [] : r.replyMessage.split('\n')) lines.push(line`  Reply-Message: ${m}`);
  if (r.sessionTimeoutS > 0) lines.push(line`  Session-Timeout: ${r.sessionTimeoutS} s`);
  if (r.vlan !== '') lines.push(line`  VLAN: ${r.vlan}`);
  if (r.classes > 0) lines.push(line`  Class: ${r.classes} attribute${r.classes === 1 ? '' : 's'} (echoed in accounting)`);
  if (r.result === 'challenge') lines.push('  (the server asks for more than PAP: is this user set up for EAP only?)');
  return lines.join('\n');
}

/** The password: the argument, or with "-" the first line of stdin. */
function password(arg: string): string {
  if (arg !== '-') return arg;
  let text: string;
  try {
    text = readFileSync(0, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the password from stdin (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return text.split(/\r?\n/)[0];
}

async function list(args: string[], io: CliIo): Promise<void> {
  await withAdmin(radiusCommand.help, args, {}, io, async (admin, v, positionals) => {
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (usage: ${LIST_USAGE})`);
    const { servers } = await call<ListRadiusServersResponse>(admin, (o, done) => admin.client.listRadiusServers({}, new grpc.Metadata(), o, done));
    if (v.json === true) return io.out(json(servers));
    if (servers.length === 0) return io.out('no RADIUS server is configured (radius.servers)');
    io.out(radiusTable(servers));
  });
}

async function test(args: string[], io: CliIo): Promise<void> {
  await withAdmin(TEST_HELP, args, {}, io, async (admin, v, positionals) => {
    if (positionals.length !== 2) throw new UsageError(`expected USER and PASSWORD (usage: ${TEST_USAGE})`);
    const userName = positionals[0];
    const pw = password(positionals[1]);
    if (userName === '' || Buffer.byteLength(userName) > MAX_USER) throw new UsageError(`USER must be 1..${MAX_USER} octets`);
    if (pw === '' || Buffer.byteLength(pw) > MAX_PASSWORD) throw new UsageError(`PASSWORD must be 1..${MAX_PASSWORD} octets (RFC 2865 5.2)`);
    const r = await call<TestRadiusResponse>(admin, (o, done) => admin.client.testRadius({ userName, password: pw }, new grpc.Metadata(), o, done));
    if (v.json === true) io.out(json(r));
    else if (r.result !== 'timeout') io.out(radiusTestText(r));
    if (r.result === 'accept') return;
    // Not accepted: exit 1, with the reason on stderr.
    throw new CommandFailure(r.result === 'timeout' ? radiusTestText(r) : `${CODE_NAMES[r.result] ?? r.result} from ${r.server}`);
  }, TEST_TIMEOUT_S);
}

const TEST_HELP = `usage: ${TEST_USAGE}

A PAP Access-Request (User-Password hidden, Message-Authenticator) through the authenticator's
own RADIUS client, shared secret and failover, as radtest would send it from the authenticator.
Prints Access-Accept / Access-Reject / no answer, the server that answered, the round-trip time
and the reply attributes that matter (Reply-Message, Session-Timeout, VLAN).
Exit 0 on Access-Accept, 1 on Access-Reject, no answer or an error, 2 on a usage error.
PASSWORD "-" reads it from the first line of stdin (an argument is visible in ps).
The authenticator runs one test at a time and a few per minute. --timeout-s defaults to ${TEST_TIMEOUT_S} here:
with every server dead the answer takes all their retransmissions.

${CONNECTION_HELP}`;

export const radiusCommand: Command = {
  name: 'radius',
  summary: 'the RADIUS servers: state, since when, RTT, last error; `radius test USER PASSWORD` (radtest)',
  help: `usage: ${LIST_USAGE}
       ${TEST_USAGE}

Lists the RADIUS servers as the authenticator's client sees them: alive or dead and since when,
the round-trip time of the last answer and smoothed, requests in flight, unanswered requests,
the last error (a wrong shared secret shows as dropped responses). \`airlock radius test --help\`
for the test.

${CONNECTION_HELP}`,
  run: (args, io) => {
    const [sub, ...rest] = args;
    if (sub === 'test') return test(rest, io);
    if (sub === 'list') return list(rest, io);
    return list(args, io);
  },
};
