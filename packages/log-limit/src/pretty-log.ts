/**
 * The pretty log format (`--log-format pretty`, issue 14 "Readable logs"): pino's JSON lines
 * rewritten for a person at a terminal as `HH:MM:SS.mmm LEVEL message key=value ...`,
 * coloured on a TTY only (and never with NO_COLOR set, https://no-color.org).
 *
 * It is a pino destination: it reads the JSON line pino wrote, after pino's redaction and
 * the services' formatters, so it prints nothing the JSON line does not hold. On top of that
 * it censors values under the secret key names itself (at any depth, also inside arrays:
 * the edge agent's logger has no redaction of its own), and every message, key and value
 * goes through the terminal escapes (terminal-text.ts), so a string from the network cannot
 * move the cursor, clear the screen or fake a line. A JSON line it cannot read is printed
 * escaped, as it is.
 */
import { REDACTED, SECRET_LOG_KEY_SET } from './secret-keys.js';
import { escapeControls, escapeJsonControls } from './terminal-text.js';

/** The log formats of both services: pino JSON lines (the default) or the pretty format. */
export type LogFormat = 'json' | 'pretty';

/** Every LogFormat, for option and config checks. */
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/** How pretty lines are written. */
export interface PrettyLogOptions {
  /** ANSI colours (level names, dimmed keys): for a terminal only. */
  colour: boolean;
  /** The time of day in UTC instead of local time. */
  utc?: boolean;
}

/** Where pretty lines go: process.stdout, a pino.destination(1), a test's collector. */
export interface TextSink {
  write(text: string): unknown;
}

/** Keys every line of a process carries (pino's base bindings and name): left out. */
const PROCESS_KEYS: ReadonlySet<string> = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'name', 'service']);

const LEVELS: Readonly<Record<number, { label: string; colour: string }>> = {
  10: { label: 'TRACE', colour: '\x1b[90m' },
  20: { label: 'DEBUG', colour: '\x1b[36m' },
  30: { label: 'INFO', colour: '\x1b[32m' },
  40: { label: 'WARN', colour: '\x1b[33m' },
  50: { label: 'ERROR', colour: '\x1b[31m' },
  60: { label: 'FATAL', colour: '\x1b[1;31m' },
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

/** Nested objects deeper than this are printed as JSON (after censoring). */
const MAX_FLATTEN_DEPTH = 4;

/** A bare value: no space, quote, '=', backslash, and nothing escapeControls would change. */
const BARE = /^[^\s"'=\\]+$/u;

/** True when `isTTY` and the environment ask for colours (NO_COLOR unset or empty). */
export function wantsColour(isTTY: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

function isSecretKey(k: string): boolean {
  return SECRET_LOG_KEY_SET.has(k.toLowerCase());
}

/** `v` with every value under a secret key name replaced, at any depth (also in arrays). */
function censor(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(censor);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = isSecretKey(k) ? REDACTED : censor(x);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** One value as the right-hand side of key=value: bare when that is unambiguous, else JSON. */
function valueText(v: unknown): string {
  if (typeof v === 'string') return v !== '' && BARE.test(v) && escapeControls(v) === v ? v : escapeJsonControls(JSON.stringify(v));
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  const json = JSON.stringify(censor(v));
  return json === undefined ? 'undefined' : escapeJsonControls(json);
}

/**
 * The frames of a serialized Error's stack when the stack is exactly "TYPE: MESSAGE" followed
 * by V8 frame lines ("    at ..."); undefined otherwise (then the stack is one escaped value,
 * so that a line break inside a remote message can never start a line of its own).
 */
function stackFrames(e: Record<string, unknown>): string[] | undefined {
  const { stack, message, type } = e;
  if (typeof stack !== 'string' || typeof message !== 'string') return undefined;
  const head = `${typeof type === 'string' ? type : 'Error'}: ${message}`;
  if (!stack.startsWith(`${head}\n`)) return undefined;
  const frames = stack.slice(head.length + 1).split('\n');
  return frames.every((f) => /^\s+at \S/.test(f)) ? frames.map((f) => `    ${escapeControls(f.trim())}`) : undefined;
}

/** Appends `key=value` pairs of `obj` (nested objects as dotted keys) and stack frames to `trailer`. */
function flatten(obj: Record<string, unknown>, prefix: string, depth: number, pairs: string[], trailer: string[], key: (k: string) => string): void {
  const frames = stackFrames(obj);
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (v === undefined) continue;
    if (depth === 0 && PROCESS_KEYS.has(k)) continue;
    const name = `${prefix}${escapeControls(k)}`;
    if (isSecretKey(k)) pairs.push(`${key(name)}=${REDACTED}`);
    else if (k === 'stack' && frames !== undefined) trailer.push(...frames);
    else if (isPlainObject(v) && Object.keys(v).length > 0 && depth < MAX_FLATTEN_DEPTH) flatten(v, `${name}.`, depth + 1, pairs, trailer, key);
    else pairs.push(`${key(name)}=${valueText(v)}`);
  }
}

function twoDigits(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** HH:MM:SS.mmm of a Unix time in ms. */
function timeOfDay(ms: number, utc: boolean): string {
  const d = new Date(ms);
  const [h, m, s, milli] = utc ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()] : [d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()];
  return `${twoDigits(h)}:${twoDigits(m)}:${twoDigits(s)}.${twoDigits(milli, 3)}`;
}

/**
 * One pino JSON line as pretty text, ending in a line break: `HH:MM:SS.mmm LEVEL message
 * key=value ...`, then the frames of a logged Error's stack, indented, one per line.
 */
export function prettyLogLine(json: string, options: PrettyLogOptions): string {
  let record: unknown;
  try {
    record = JSON.parse(json);
  } catch {
    record = undefined;
  }
  if (!isPlainObject(record)) return `${escapeControls(json.replace(/\r?\n$/, ''))}\n`;
  const colour = options.colour;
  const levelNumber = typeof record.level === 'number' ? record.level : 30;
  const level = LEVELS[levelNumber] ?? { label: `L${levelNumber}`, colour: '' };
  const time = typeof record.time === 'number' ? timeOfDay(record.time, options.utc === true) : '--:--:--.---';
  const label = level.label.padEnd(5);
  const head = [colour ? `${DIM}${time}${RESET}` : time, colour ? `${level.colour}${label}${RESET}` : label];
  if (typeof record.msg === 'string') head.push(escapeControls(record.msg));
  else if (record.msg !== undefined) head.push(valueText(record.msg));
  const pairs: string[] = [];
  const trailer: string[] = [];
  flatten(record, '', 0, pairs, trailer, colour ? (k) => `${DIM}${k}${RESET}` : (k) => k);
  const text = [...head, ...pairs].join(' ');
  return `${[text, ...trailer].join('\n')}\n`;
}

/**
 * A pino destination writing the pretty format to `out`: give it to pino as its stream.
 * Each write of pino is one JSON line (a write holding several lines is split).
 */
export function prettyLogDestination(out: TextSink, options: PrettyLogOptions): { write(chunk: string): void } {
  return {
    write(chunk: string): void {
      let text = '';
      for (const line of chunk.split('\n')) if (line.trim() !== '') text += prettyLogLine(line, options);
      if (text !== '') out.write(text);
    },
  };
}
