/**
 * `airlock reload`: the authenticator reads its configuration file again and applies it, as
 * SIGHUP does, through the Admin API (ReloadConfig): in a cluster, every worker checks it and
 * then every worker applies it. Prints "applied" and what changed, or every error one per
 * line. Exit 0 applied, 1 rejected (the running configuration stays) or unreachable, 2 usage.
 */
import * as grpc from '@grpc/grpc-js';
import type { ReloadConfigResponse } from '@airlock/proto';
import { call, CONNECTION_HELP, json, withAdmin } from './admin.js';
import { CommandFailure, UsageError, type Command } from './command.js';
import { line } from './terminal-text.js';

const USAGE = 'airlock reload [connection options] [--json]';

/** What an applied reload did, for a person. */
export function reloadText(r: ReloadConfigResponse): string {
  const lines = [r.changed.length === 0 ? line`applied ${r.file}: nothing changed` : line`applied ${r.file}: ${r.changed.join(', ')} changed`];
  if (r.restartNeeded.length > 0) lines.push(line`restart needed for: ${r.restartNeeded.join(', ')} (their running values stay until then)`);
  return lines.join('\n');
}

export const reloadCommand: Command = {
  name: 'reload',
  summary: 'read the configuration file again and apply it (as SIGHUP): "applied", or every error',
  help: `usage: ${USAGE}

The authenticator reads its configuration file again and applies what can change without
dropping anyone (networks, radius, agents), as on SIGHUP. A file that does not validate, or a
change it refuses (an SSID that BSSes serve cannot go), is rejected as a whole: every error is
printed, one per line, and the running configuration stays.
Exit 0 applied, 1 rejected (or the authenticator unreachable), 2 usage.

${CONNECTION_HELP}`,
  run: (args, io) =>
    withAdmin(reloadCommand.help, args, {}, io, async (admin, v, positionals) => {
      if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (usage: ${USAGE})`);
      const r = await call<ReloadConfigResponse>(admin, (o, done) => admin.client.reloadConfig({}, new grpc.Metadata(), o, done));
      if (v.json === true) io.out(json(r));
      else if (r.applied) io.out(reloadText(r));
      if (r.applied) return;
      if (v.json !== true) for (const e of r.errors) io.err(line`${e}`);
      throw new CommandFailure(`rejected (${r.errors.length} error${r.errors.length === 1 ? '' : 's'}); the running configuration stays`);
    }),
};
