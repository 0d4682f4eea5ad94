/**
 * The edge agent's logger: pino JSON lines on stdout (the default), or with --log-format
 * pretty the same lines for a terminal (@airlock/log-limit pretty-log.ts: censors secret key
 * names, escapes control characters from remote text, colours only on a TTY).
 */
import { LOG_FORMATS, prettyLogDestination, wantsColour, type LogFormat } from '@airlock/log-limit';
import { pino, type Logger } from 'pino';

/** The log format of `--log-format`, or undefined when the value is not one. */
export function logFormatOf(value: string | undefined): LogFormat | undefined {
  const v = value ?? 'json';
  return (LOG_FORMATS as readonly string[]).includes(v) ? (v as LogFormat) : undefined;
}

/** The agent's root logger at `level` in `format`. */
export function agentLogger(level: string, format: LogFormat): Logger {
  const options = { level, base: { service: 'edge-agent' } };
  if (format === 'json') return pino(options);
  return pino(options, prettyLogDestination(pino.destination(1), { colour: wantsColour(process.stdout.isTTY) }));
}
