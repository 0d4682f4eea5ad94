/**
 * Timing of one EAP authentication from wpa_supplicant's own debug log (`-dd -t`: every
 * line starts with "SECONDS.MICROSECONDS: "). Pure functions of log lines.
 *
 * wpa_supplicant 2.10 lines used (seen on this machine):
 *   "IF: CTRL-EVENT-EAP-STARTED EAP authentication started"   (right after it received
 *        the first EAP-Request, the Request/Identity)
 *   "IF: CTRL-EVENT-EAP-METHOD EAP vendor 0 method 25 (PEAP) selected"
 *   "TX EAPOL: dst=MAC"                  (each EAPOL frame it sends)
 *   "IF: RX EAPOL from MAC"              (each EAPOL frame it receives)
 *   "EAP: Received EAP-Request id=N method=M ..."
 *   "IF: CTRL-EVENT-EAP-SUCCESS EAP authentication completed successfully"
 *   "IF: CTRL-EVENT-EAP-FAILURE EAP authentication failed"
 */

const TS = /^(\d+)\.(\d{6}): /;

/** The timestamp of a `-t` log line in microseconds since the epoch, or undefined. */
export function lineTimeUs(line: string): number | undefined {
  const m = TS.exec(line);
  return m === null ? undefined : Number(m[1]) * 1e6 + Number(m[2]);
}

/** One authentication, as the supplicant saw it. */
export interface AuthTiming {
  /** CTRL-EVENT-EAP-STARTED to CTRL-EVENT-EAP-SUCCESS. */
  totalMs: number;
  /** EAPOL frames the supplicant sent in between (its EAP-Responses): the round trips through the authenticator. */
  exchanges: number;
  /** Sum over those frames of the time from sending one to receiving the next EAPOL frame: the authenticator, RADIUS, FreeRADIUS and the wire. */
  waitMs: number;
  /** The rest: the supplicant's own work (TLS, MSCHAPv2) and its logging. */
  supplicantMs: number;
  /** Each wait, in order (ms). */
  waitsMs: number[];
  /** EAP-Requests received with an identifier seen before in this authentication (authenticator retransmissions). */
  retransmissions: number;
  /** EAP method type selected (RFC 3748 numbers: 13 TLS, 25 PEAP). */
  methodType: number | undefined;
}

/** Why one authentication cannot be measured from its log lines. */
export class AuthLogError extends Error {
  override readonly name = 'AuthLogError';
}

/**
 * Measures the authentication that ends at line `successAt` (a CTRL-EVENT-EAP-SUCCESS
 * line): it starts at the last CTRL-EVENT-EAP-STARTED at or after `from` and before
 * `successAt`. Exactly one STARTED must be there (two mean the authentication restarted).
 */
export function authTiming(lines: readonly string[], from: number, successAt: number): AuthTiming {
  const started: number[] = [];
  for (let i = from; i < successAt; i++) if (lines[i].includes('CTRL-EVENT-EAP-STARTED')) started.push(i);
  if (started.length !== 1) throw new AuthLogError(`expected one CTRL-EVENT-EAP-STARTED before the CTRL-EVENT-EAP-SUCCESS at line ${successAt}, found ${started.length}`);
  const t0 = lineTimeUs(lines[started[0]]);
  const t1 = lineTimeUs(lines[successAt]);
  if (t0 === undefined || t1 === undefined) throw new AuthLogError('wpa_supplicant log lines carry no timestamps (run it with -t)');
  const waitsMs: number[] = [];
  const ids = new Set<number>();
  let retransmissions = 0;
  let methodType: number | undefined;
  let pendingTx: number | undefined;
  let exchanges = 0;
  for (let i = started[0] + 1; i < successAt; i++) {
    const l = lines[i];
    if (l.includes('TX EAPOL: dst=')) {
      exchanges++;
      pendingTx = lineTimeUs(l);
    } else if (l.includes(' RX EAPOL from ')) {
      const t = lineTimeUs(l);
      if (pendingTx !== undefined && t !== undefined) waitsMs.push((t - pendingTx) / 1000);
      pendingTx = undefined;
    } else {
      const req = /EAP: Received EAP-Request id=(\d+) /.exec(l);
      if (req !== null) {
        const id = Number(req[1]);
        if (ids.has(id)) retransmissions++;
        ids.add(id);
        continue;
      }
      const method = /CTRL-EVENT-EAP-METHOD EAP vendor 0 method (\d+) /.exec(l);
      if (method !== null) methodType = Number(method[1]);
    }
  }
  const totalMs = (t1 - t0) / 1000;
  const waitMs = waitsMs.reduce((s, w) => s + w, 0);
  return { totalMs, exchanges, waitMs, supplicantMs: totalMs - waitMs, waitsMs, retransmissions, methodType };
}
