/**
 * `airlock events [--follow]`: station events in words from the Admin API's StreamEvents,
 * as `hostapd_cli -a` prints AP-STA-CONNECTED and friends — connected, EAP success or
 * failure with identity and method, disconnected with the IEEE 802.11 reason in words.
 * Without --follow: the recent events the authenticator keeps, then exit 0. With --follow:
 * then the live ones, until Ctrl-C (exit 0) or the authenticator ends the stream (exit 0,
 * said on stderr). One line per event; --json: one JSON object per line.
 */
import * as grpc from '@grpc/grpc-js';
import type { StationEvent, StreamEventsResponse } from '@airlock/proto';
import { macFromText, macText } from '../admin/backend.js';
import { CONNECTION_HELP, withAdmin, type Admin } from './admin.js';
import { CommandFailure, UsageError, type CliIo, type Command } from './command.js';
import { escapeJsonControls, line } from './terminal-text.js';

const EVENTS_USAGE = 'airlock events [--follow] [--sta STATION] [--agent AGENT] [--bss BSSID] [connection options] [--json]';

const EVENTS_HELP = `usage: ${EVENTS_USAGE}

Station events in words: connected, EAP success / failure (identity, method), disconnected
(reason). The recent ones the authenticator keeps, then exit; with --follow, then the live
ones until Ctrl-C.

  -f, --follow      go on with the live events
  --sta STATION     only this station's events
  --agent AGENT     only events of this edge agent
  --bss BSSID       only events of this BSS
${CONNECTION_HELP}`;

/** "identity "alice" (EAP-TTLS)", or "" for a station without 802.1X. */
function who(e: StationEvent): string {
  if (e.identity === '' && e.eapMethod === '') return '';
  const id = e.identity === '' ? 'no identity' : `identity ${JSON.stringify(e.identity)}`;
  return e.eapMethod === '' ? id : `${id} (${e.eapMethod})`;
}

/** One event as a line (every value escaped: identities and agent ids are remote input). */
export function eventLine(e: StationEvent): string {
  const head = line`${new Date(Number(e.atUnixMs)).toISOString()} ${e.agentId} ${e.bssid}`;
  const parts: string[] = [];
  switch (e.kind) {
    case 'connected': {
      parts.push(e.akm);
      const w = who(e);
      if (w !== '') parts.push(w);
      if (e.pmksaCached) parts.push('PMKSA cache hit');
      if (e.vlanId > 0) parts.push(`VLAN ${e.vlanId}`);
      parts.push(`joined in ${e.joinMs} ms`);
      return line`${head} connected ${e.sta}: ${parts.join(', ')}`;
    }
    case 'eap-success':
    case 'eap-failure': {
      const w = who(e);
      if (w !== '') parts.push(w);
      if (e.detail !== '') parts.push(e.detail);
      if (e.vlanId > 0) parts.push(`VLAN ${e.vlanId}`);
      return line`${head} EAP ${e.kind === 'eap-success' ? 'success' : 'failure'} ${e.sta}: ${parts.join(', ')}`;
    }
    case 'disconnected': {
      const by = e.initiator === '' ? '' : ` by the ${e.initiator}`;
      const w = who(e);
      return line`${head} disconnected ${e.sta}: ${e.reasonText}${by}${e.detail === '' ? '' : `: ${e.detail}`}${w === '' ? '' : ` [${w}]`}`;
    }
    default:
      return line`${head} ${e.kind} ${e.sta}${e.detail === '' ? '' : `: ${e.detail}`}`;
  }
}

/** One stream item as a line. */
export function itemLine(item: NonNullable<StreamEventsResponse['item']>): string {
  if (item.$case === 'event') return eventLine(item.value);
  const d = item.value;
  const n = Number(d.count);
  if (d.reason === 'slow reader') return `-- ${n} event${n === 1 ? '' : 's'} not shown: this reader fell behind and the authenticator dropped them`;
  const where = d.bssid === '' ? '' : line` of BSS ${d.bssid}${d.agentId === '' ? '' : ` (agent ${d.agentId})`}`;
  return line`-- ${n} event${n === 1 ? '' : 's'}${where} not recorded: ${d.reason}`;
}

/** BigInt-safe compact JSON of one item, with no raw C1 or bidi control. */
function jsonLine(item: NonNullable<StreamEventsResponse['item']>): string {
  const v = item.$case === 'event' ? { type: 'event', ...item.value } : { type: 'dropped', ...item.value };
  return escapeJsonControls(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x)));
}

function macFlag(v: unknown, flag: string): string {
  if (typeof v !== 'string') return '';
  const m = macFromText(v);
  if (m === undefined) throw new UsageError(`--${flag} ${JSON.stringify(v)} is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return macText(m);
}

/** Streams until the end; resolves with how it ended. */
function stream(admin: Admin, req: { follow: boolean; sta: string; agentId: string; bssid: string }, io: CliIo, asJson: boolean): Promise<'end' | 'interrupted'> {
  return new Promise((resolve, reject) => {
    const options: Partial<grpc.CallOptions> = req.follow ? {} : { deadline: admin.deadline() };
    const call = admin.client.streamEvents(req, new grpc.Metadata(), options);
    let interrupted = false;
    const onSigint = (): void => {
      interrupted = true;
      call.cancel();
    };
    process.once('SIGINT', onSigint);
    const done = (): void => {
      process.removeListener('SIGINT', onSigint);
    };
    call.on('data', (r: StreamEventsResponse) => {
      if (r.item !== undefined) io.out(asJson ? jsonLine(r.item) : itemLine(r.item));
    });
    call.on('error', (err: grpc.ServiceError) => {
      done();
      if (interrupted && err.code === grpc.status.CANCELLED) return resolve('interrupted');
      if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) reject(new CommandFailure(`cannot reach the authenticator's Admin API at ${admin.server}: ${err.details || grpc.status[err.code]}`));
      else if (err.code === grpc.status.INVALID_ARGUMENT) reject(new UsageError(err.details));
      else reject(new CommandFailure(err.details || grpc.status[err.code]));
    });
    call.on('end', () => {
      done();
      resolve(interrupted ? 'interrupted' : 'end');
    });
  });
}

export const eventsCommand: Command = {
  name: 'events',
  summary: 'station events in words (connected, EAP success/failure, disconnected); --follow for the live ones',
  help: EVENTS_HELP,
  run: (args, io) =>
    withAdmin(EVENTS_HELP, args, { follow: { type: 'boolean', short: 'f', default: false }, sta: { type: 'string' }, agent: { type: 'string' }, bss: { type: 'string' } } as const, io, async (admin, v, positionals) => {
      if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (usage: ${EVENTS_USAGE})`);
      const agentId = typeof v.agent === 'string' ? v.agent : '';
      if (v.agent !== undefined && (agentId === '' || agentId.length > 128)) throw new UsageError('--agent: an agent id of 1..128 characters');
      const req = { follow: v.follow === true, sta: macFlag(v.sta, 'sta'), agentId, bssid: macFlag(v.bss, 'bss') };
      const how = await stream(admin, req, io, v.json === true);
      if (how === 'end' && req.follow) io.err('airlock events: the authenticator ended the stream');
    }),
};
