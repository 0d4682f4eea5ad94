/**
 * FreeRADIUS's radclient (Debian package freeradius-utils, pulled in by freeradius) as a
 * policy server sending Disconnect-Request and CoA-Request (RFC 5176) in tests.
 */
import { spawn } from 'node:child_process';

/** The binary. */
export const RADCLIENT = '/usr/bin/radclient';

/** What radclient printed of the answer: its Code name and attributes (name -> values), or none. */
export interface Reply {
  code: string | undefined;
  attrs: Map<string, string[]>;
  exit: number;
  out: string;
}

/**
 * Runs radclient once: `lines` are the request's attributes (radclient's input format),
 * sent to `port` as `command` (disconnect | coa) with `secret`; -x prints the reply's
 * attributes; -t/-r: wait `timeoutSec` per try, `retries` tries.
 */
export function radclient(port: number, command: 'disconnect' | 'coa', lines: string[], o: { secret: string; timeoutSec?: number; retries?: number }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const args = ['-x', '-t', String(o.timeoutSec ?? 2), '-r', String(o.retries ?? 1), `127.0.0.1:${port}`, command, o.secret];
    const child = spawn(RADCLIENT, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (exit) => {
      const attrs = new Map<string, string[]>();
      let code: string | undefined;
      let inReply = false;
      for (const line of out.split('\n')) {
        const received = /^Received (\S+) Id /.exec(line);
        if (received !== null) {
          code = received[1];
          inReply = true;
          continue;
        }
        if (!line.startsWith('\t')) {
          inReply = false;
          continue;
        }
        const m = /^\t(\S+) = (.*)$/.exec(line);
        if (inReply && m !== null) attrs.set(m[1], [...(attrs.get(m[1]) ?? []), m[2].replace(/^"(.*)"$/, '$1')]);
      }
      resolve({ code, attrs, exit: exit ?? -1, out });
    });
    child.stdin.end(lines.join('\n') + '\n');
  });
}

export const nowSec = (): number => Math.floor(Date.now() / 1000);
/** The attributes every good request carries: a current Event-Timestamp and a Message-Authenticator. */
export const signed = (lines: string[], stamp = nowSec()): string[] => [...lines, `Event-Timestamp = ${stamp}`, 'Message-Authenticator = 0x00'];
