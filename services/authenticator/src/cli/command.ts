/**
 * The `airlock` command line: subcommands, their errors and exit codes.
 * Exit 0 success, 2 usage error, 1 failure; an error is one line on stderr.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes: stdout and stderr, one line per call. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** One `airlock <name> ...` subcommand. */
export interface Command {
  name: string;
  /** One line for `airlock --help`. */
  summary: string;
  /** Full help text, printed by `airlock <name> --help`. */
  help: string;
  /** Runs with the arguments after the command name; throws UsageError or CommandFailure. */
  run(args: string[], io: CliIo): void | Promise<void>;
}

/** The command line was wrong: exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The command was understood but could not be done: exit 1. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
}

/** Exit status of a usage error. */
export const EXIT_USAGE = 2;
/** Exit status of a failure. */
export const EXIT_FAILURE = 1;

/** node:util parseArgs, with its errors turned into UsageError with a short message. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) {
      // node's messages go on to explain '--' positionals: keep the first sentence.
      throw new UsageError((e.message ?? 'bad arguments').split(/\.\s/)[0].replace(/\.$/, ''));
    }
    throw err;
  }
}

/** Makes any message fit on one line. */
export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, '; ').trim();
}
