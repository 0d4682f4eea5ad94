/**
 * What answers at --authenticator, checked once before the agent starts (issue 14 "Errors"):
 * the address dialled, what answered, and whether waiting can help. grpc-js reports every
 * one of these as UNAVAILABLE with a transport message; this check opens its own TCP (and
 * TLS) connection and looks at the first bytes, so that the operator reads "an HTTP/1.1
 * server answered at 10.0.0.5:9464" instead of "Protocol error".
 *
 * Verdicts:
 * - `ok`: TLS with the authenticator's role mark and HTTP/2 (mTLS), or a plaintext HTTP/2
 *   server (with --plaintext; the AgentLink stream itself tells later if it is not ours).
 * - `wait`: nothing listening (connection refused), no answer (timeout), no route, a DNS
 *   server that does not answer (EAI_AGAIN), or a connection closed without a word (what
 *   the authenticator's connection caps do). Each can fix itself: an AP that boots before
 *   its controller must keep trying.
 * - `wrong`: the name does not exist (ENOTFOUND), or something that is not the AgentLink
 *   answered: an HTTP/1.1 server (the status port), a TLS server whose certificate is not an
 *   authenticator's or that refuses this agent's certificate, plaintext HTTP/2 dialled with
 *   TLS, TLS dialled in plaintext, any other protocol. Waiting cannot fix those.
 *
 * A diagnostic dial of its own, outside the agent's glue (agent.ts): it carries no
 * AgentLink message and is closed as soon as the first bytes say what answered.
 */
import { lookup } from 'node:dns/promises';
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { escapeControls } from '@airlock/log-limit';
import { checkAuthenticatorIdentity, type AgentTlsFiles } from './link-credentials.js';

/** What the check found: go on, keep trying (with the reason), or stop (with the reason). */
export type ProbeVerdict = { kind: 'ok' } | { kind: 'wait'; text: string } | { kind: 'wrong'; text: string };

/** Where the agent dials: --authenticator HOST:PORT. */
export interface ProbeTarget {
  host: string;
  port: number;
}

/** Timeouts of one check. */
export interface ProbeTimeouts {
  /** TCP connect and TLS handshake, each (default 5000 ms). */
  connectMs?: number;
  /** The first bytes after connecting (default 3000 ms). */
  answerMs?: number;
}

/** The HTTP/2 client connection preface (RFC 9113 §3.4) and an empty SETTINGS frame. */
const H2_PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), Buffer.from([0, 0, 0, 0x04, 0, 0, 0, 0, 0])]);
/** HTTP/2 frame type SETTINGS (RFC 9113 §6.5): an HTTP/2 server's first frame. */
const H2_SETTINGS = 0x04;

/** Errors of the TLS handshake that mean the peer does not speak TLS (it sent something else, or hung up). */
const NOT_TLS = /wrong version number|packet length too long|unknown protocol|http request|record layer failure|unexpected eof|ECONNRESET|socket disconnected before secure|socket hang up/i;
/** Alerts a TLS server sends when it refuses the client's certificate. */
const CLIENT_CERT_REFUSED = /alert (unknown ca|bad certificate|certificate required|certificate unknown|unsupported certificate|access denied|handshake failure)|ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE)/i;

/** HOST:PORT as written for a person (IPv6 in brackets). */
function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** Up to 60 printable characters of what answered, escaped. */
function firstBytesText(b: Buffer): string {
  const line = b.toString('latin1').split(/\r?\n/)[0].slice(0, 60);
  return escapeControls(line);
}

/** One TCP connection: the socket, or why none. */
function dial(host: string, port: number, ms: number): Promise<{ socket: Socket } | { code: string }> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ code: 'ETIMEDOUT' });
    }, ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve({ socket });
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: e.code ?? e.message });
    });
  });
}

/** The first bytes the peer sends within `ms` after `send` (empty: it closed first; undefined: nothing in time). */
function firstBytes(socket: Socket, ms: number, send?: Buffer): Promise<{ bytes: Buffer | undefined; error?: Error }> {
  return new Promise((resolve) => {
    const done = (r: { bytes: Buffer | undefined; error?: Error }): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.removeAllListeners('end');
      socket.removeAllListeners('close');
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ bytes: undefined }), ms);
    socket.once('data', (b: Buffer) => done({ bytes: b }));
    socket.once('end', () => done({ bytes: Buffer.alloc(0) }));
    socket.once('close', () => done({ bytes: Buffer.alloc(0) }));
    socket.once('error', (error: Error) => done({ bytes: Buffer.alloc(0), error }));
    if (send !== undefined) socket.write(send);
  });
}

/** Why the TCP connection did not open, as a verdict. */
function dialFailure(code: string, at: string, port: number, ms: number): ProbeVerdict {
  switch (code) {
    case 'ECONNREFUSED':
      return { kind: 'wait', text: `connection refused at ${at}: is the authenticator running, and is ${port} its grpc.listen port?` };
    case 'ETIMEDOUT':
      return { kind: 'wait', text: `no answer from ${at} within ${ms / 1000} s: is the host up and the address right, or does a firewall drop the connection?` };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { kind: 'wait', text: `no route to ${at} (${code}): check the address and this host's network` };
    default:
      return { kind: 'wait', text: `cannot connect to ${at} (${escapeControls(code)})` };
  }
}

/** Plaintext: what answers an HTTP/2 preface. `tlsWanted`: the agent was started with TLS. */
async function sniffPlaintext(address: string, port: number, at: string, tlsWanted: boolean, t: Required<ProbeTimeouts>): Promise<ProbeVerdict> {
  const d = await dial(address, port, t.connectMs);
  if ('code' in d) return dialFailure(d.code, at, port, t.connectMs);
  const { bytes } = await firstBytes(d.socket, t.answerMs, H2_PREFACE);
  if (bytes === undefined) return { kind: 'wait', text: `${at} accepted the connection but did not answer within ${t.answerMs / 1000} s: is it the authenticator's grpc.listen port?` };
  // A TLS server closes on a plaintext preface without a word (Node's does, no alert): ask it in TLS.
  if (bytes.length === 0 && !tlsWanted && (await speaksTls(address, port, t))) return tlsAnsweredPlaintext(at);
  if (bytes.length === 0) {
    return { kind: 'wait', text: `${at} closed the connection without answering: the authenticator does that when its connection caps are reached, anything else is not the AgentLink (check the port: the authenticator's grpc.listen)` };
  }
  if (bytes.length >= 9 && bytes[3] === H2_SETTINGS) {
    if (!tlsWanted) return { kind: 'ok' };
    return { kind: 'wrong', text: `a plaintext HTTP/2 (gRPC) server answered at ${at}, not TLS: that authenticator has grpc.plaintext: true; start this agent with --plaintext (trusted networks only), or give the authenticator grpc.tls` };
  }
  if (bytes[0] === 0x15 || bytes[0] === 0x16) {
    // Reached with TLS only when the handshake broke off and the server still speaks TLS.
    if (tlsWanted) return { kind: 'wait', text: `the TLS handshake with ${at} broke off, yet it answers TLS` };
    return tlsAnsweredPlaintext(at);
  }
  if (bytes.subarray(0, 5).toString('latin1') === 'HTTP/') {
    return { kind: 'wrong', text: `an HTTP/1.x server answered at ${at} ("${firstBytesText(bytes)}"), not the AgentLink: is ${port} the authenticator's status port (http.listen, 9464 by default)? Give its grpc.listen port (50051 by default)` };
  }
  return { kind: 'wrong', text: `something other than the AgentLink answered at ${at} (it began "${firstBytesText(bytes)}"): give the authenticator's grpc.listen port` };
}

function tlsAnsweredPlaintext(at: string): ProbeVerdict {
  return { kind: 'wrong', text: `a TLS server answered at ${at}, and this agent dialled without TLS (--plaintext): drop --plaintext and give --pki-dir DIR (or --tls-ca, --tls-cert, --tls-key)` };
}

/** Whether a TLS handshake (no client certificate, no verification: a question only) gets a TLS answer. */
async function speaksTls(address: string, port: number, t: Required<ProbeTimeouts>): Promise<boolean> {
  const d = await dial(address, port, t.connectMs);
  if ('code' in d) return false;
  return new Promise((resolve) => {
    const socket = tlsConnect({ socket: d.socket, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    const done = (answer: boolean): void => {
      clearTimeout(timer);
      socket.removeAllListeners('secureConnect');
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), t.answerMs);
    socket.once('secureConnect', () => done(true));
    // An alert (a server that wants a client certificate) is a TLS answer too.
    socket.once('error', (e: Error) => done(/alert/i.test(e.message)));
  });
}

/** mTLS: the handshake with the agent's files, the server's role, ALPN, and whether it accepts this agent's certificate. */
async function checkTls(address: string, host: string, port: number, at: string, tls: AgentTlsFiles, t: Required<ProbeTimeouts>): Promise<ProbeVerdict> {
  const d = await dial(address, port, t.connectMs);
  if ('code' in d) return dialFailure(d.code, at, port, t.connectMs);
  const serverName = tls.serverName ?? host;
  let roleProblem: Error | undefined;
  const outcome = await new Promise<{ socket: ReturnType<typeof tlsConnect> } | { error: Error }>((resolve) => {
    const socket = tlsConnect({
      socket: d.socket,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      servername: isIP(serverName) === 0 ? serverName : undefined,
      ALPNProtocols: ['h2'],
      checkServerIdentity: (_h: string, cert: PeerCertificate) => {
        roleProblem = checkAuthenticatorIdentity(serverName, cert);
        return roleProblem;
      },
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ error: Object.assign(new Error('TLS handshake timed out'), { code: 'ETIMEDOUT' }) });
    }, t.connectMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve({ socket });
    });
    socket.once('error', (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ error });
    });
  });
  if ('error' in outcome) {
    const e = outcome.error as NodeJS.ErrnoException;
    const text = `${e.code ?? ''} ${e.message}`;
    if (roleProblem !== undefined) {
      const hint = (roleProblem as NodeJS.ErrnoException).code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? `; dial a name its certificate carries, or give --tls-server-name NAME` : '';
      const problem = roleProblem.message.replace(/^the server at \S+ is not an authenticator: /, '');
      return { kind: 'wrong', text: `the TLS server at ${at} is not the authenticator: ${escapeControls(problem)}${hint}` };
    }
    if (e.code === 'ETIMEDOUT') return { kind: 'wait', text: `${at} accepted the connection but the TLS handshake did not finish within ${t.connectMs / 1000} s` };
    if (CLIENT_CERT_REFUSED.test(text)) return refusedCertificate(at, e);
    if (NOT_TLS.test(text)) return sniffPlaintext(address, port, at, true, t);
    // Certificate verification: an unknown issuer, an expired or not yet valid certificate.
    return { kind: 'wrong', text: `the TLS server at ${at} is not the authenticator this agent trusts: ${escapeControls(e.message)} (${e.code ?? 'TLS'}); its certificate must chain to --tls-ca (ca.pem of \`airlock pki init\`)` };
  }
  const socket = outcome.socket;
  if (socket.alpnProtocol !== 'h2') {
    socket.destroy();
    return { kind: 'wrong', text: `a TLS server with an authenticator's certificate answered at ${at} without HTTP/2 (ALPN ${socket.alpnProtocol === false ? 'none' : escapeControls(String(socket.alpnProtocol))}): not the AgentLink` };
  }
  // TLS 1.3: a server that refuses the client's certificate says so after the handshake,
  // in an alert instead of its first HTTP/2 frame.
  const { bytes, error } = await firstBytes(socket, t.answerMs);
  if (error !== undefined && CLIENT_CERT_REFUSED.test(`${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}`)) return refusedCertificate(at, error);
  if (bytes !== undefined && bytes.length === 0 && error === undefined) {
    return { kind: 'wait', text: `the authenticator at ${at} closed the connection after the TLS handshake: its connection caps may be reached` };
  }
  return { kind: 'ok' };
}

function refusedCertificate(at: string, e: Error): ProbeVerdict {
  return { kind: 'wrong', text: `the TLS server at ${at} refused this agent's certificate (${escapeControls(e.message.replace(/^.*?alert /i, 'alert '))}): is it the authenticator's Admin API port (admin.listen) instead of grpc.listen, or was the certificate issued by another PKI than the authenticator's grpc.tls.agent_ca?` };
}

/**
 * Dials `target` once and says what answered. `tls`: the agent's mTLS files (undefined with
 * --plaintext). Never throws.
 */
export async function probeAuthenticator(target: ProbeTarget, tls: AgentTlsFiles | undefined, timeouts: ProbeTimeouts = {}): Promise<ProbeVerdict> {
  const t: Required<ProbeTimeouts> = { connectMs: timeouts.connectMs ?? 5000, answerMs: timeouts.answerMs ?? 3000 };
  const dialled = hostPort(target.host, target.port);
  let addresses = [target.host];
  if (isIP(target.host) === 0) {
    try {
      addresses = (await lookup(target.host, { all: true })).map((a) => a.address);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      // ENOTFOUND: the DNS says the name does not exist. EAI_AGAIN: no DNS answer yet.
      if (code === 'ENOTFOUND' || code === 'EAI_NONAME') return { kind: 'wrong', text: `the name ${escapeControls(target.host)} does not resolve (${code}): check --authenticator ${escapeControls(dialled)}` };
      return { kind: 'wait', text: `cannot resolve ${escapeControls(target.host)} now (${escapeControls(code)}): is the DNS server reachable?` };
    }
  }
  // Each address in turn, as grpc-js does: the first that answers decides.
  let verdict: ProbeVerdict = { kind: 'wait', text: `${escapeControls(dialled)}: no address` };
  for (const address of addresses) {
    const at = escapeControls(address === target.host ? dialled : `${dialled} (${hostPort(address, target.port)})`);
    verdict = tls === undefined ? await sniffPlaintext(address, target.port, at, false, t) : await checkTls(address, target.host, target.port, at, tls, t);
    if (verdict.kind !== 'wait') return verdict;
  }
  return verdict;
}
