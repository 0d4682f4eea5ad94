/**
 * `airlock config check FILE`: validates an authenticator configuration without starting
 * anything, with the environment's AIRLOCK__... overrides as the authenticator would apply
 * them (--no-env: the file alone). Prints every error with its key path; exit 1 when there
 * is any, 0 and "FILE: ok" otherwise.
 */
import { formatConfigErrors, loadConfigFile } from '../config.js';
import { CommandFailure, parseFlags, UsageError, type CliIo, type Command } from './command.js';
import { escapeControls, line } from './terminal-text.js';

const USAGE = 'airlock config check FILE [--no-env]';

export const configCommand: Command = {
  name: 'config',
  summary: 'validate an authenticator configuration file without starting',
  help: `usage: ${USAGE}\n\nPrints every error as FILE: key.path: message, then a count, and exits 1; exits 0 when the file is valid.\n--no-env   ignore AIRLOCK__<KEY>__<KEY> environment overrides`,
  run(args: string[], io: CliIo): void {
    const [sub, ...rest] = args;
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      io.out(configCommand.help);
      return;
    }
    if (sub !== 'check') throw new UsageError(sub === undefined ? `missing subcommand (usage: ${USAGE})` : `unknown subcommand '${sub}' (usage: ${USAGE})`);
    const { values, positionals } = parseFlags(rest, { 'no-env': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } });
    if (values.help === true) {
      io.out(configCommand.help);
      return;
    }
    if (positionals.length !== 1) throw new UsageError(`expected one FILE (usage: ${USAGE})`);
    const file = positionals[0];
    const r = loadConfigFile(file, values['no-env'] === true ? {} : process.env);
    if (r.ok) {
      io.out(line`${file}: ok`);
      return;
    }
    // One line per error: a key path or message that quotes the file cannot add lines or escapes.
    for (const e of r.errors) io.err(escapeControls(formatConfigErrors([e], file)));
    throw new CommandFailure(`${r.errors.length} error${r.errors.length === 1 ? '' : 's'} in ${file}`);
  },
};
