#!/usr/bin/env node
/**
 * `airlock <command> ...`: the operator's command line. Commands are registered in
 * COMMANDS; each is a module of this folder exporting a {@link Command}.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AUTHENTICATOR_VERSION } from '../version.js';
import { CommandFailure, EXIT_FAILURE, EXIT_USAGE, oneLine, UsageError, type CliIo, type Command } from './command.js';
import { agentsCommand, disconnectCommand, explainCommand, rekeyCommand, stationsCommand } from './admin.js';
import { configCommand } from './config.js';
import { eventsCommand } from './events.js';
import { radiusCommand } from './radius.js';
import { reloadCommand } from './reload.js';
import { pkiCommand } from './pki.js';
import { escapeControls, line } from './terminal-text.js';

/** Every subcommand, in the order `airlock --help` lists them. */
export const COMMANDS: readonly Command[] = [agentsCommand, stationsCommand, explainCommand, eventsCommand, disconnectCommand, rekeyCommand, radiusCommand, reloadCommand, configCommand, pkiCommand];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return ['usage: airlock <command> [options]   (airlock <command> --help for details; airlock --version)', '', 'commands:', ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)].join('\n');
}

/**
 * The last guard before the terminal: each line of what a command prints with its control
 * characters escaped, the line breaks kept. It cannot tell a line break inside a value
 * from one between lines: table cells and free-text lines escape their values first.
 */
function guarded(io: CliIo): CliIo {
  const lines = (text: string): string => text.split('\n').map(escapeControls).join('\n');
  return { out: (l) => io.out(lines(l)), err: (l) => io.err(lines(l)) };
}

/** Runs one command line and returns the exit status; never throws. */
export async function runCli(argv: string[], terminal: CliIo): Promise<number> {
  const io = guarded(terminal);
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return 0;
  }
  if (name === '--version' || name === 'version') {
    io.out(`airlock ${AUTHENTICATOR_VERSION}`);
    return 0;
  }
  if (name === undefined) {
    io.err(`airlock: missing command (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see airlock --help)`);
    return EXIT_USAGE;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.err(line`airlock: unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
    return EXIT_USAGE;
  }
  try {
    await command.run(rest, io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(line`airlock ${name}: ${oneLine(err.message)}`);
      return EXIT_USAGE;
    }
    if (err instanceof CommandFailure) {
      io.err(line`airlock ${name}: ${oneLine(err.message)}`);
      return EXIT_FAILURE;
    }
    // A bug, not an operator error: still one line, the stack only on request.
    io.err(line`airlock ${name}: internal error: ${oneLine(err instanceof Error ? err.message : String(err))}`);
    if (process.env.AIRLOCK_DEBUG === '1' && err instanceof Error && err.stack !== undefined) io.err(err.stack);
    return EXIT_FAILURE;
  }
}

/** True when this module is the process entry point (also via the npm bin symlink). */
function isMain(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const io: CliIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };
  process.exitCode = await runCli(process.argv.slice(2), io);
}
