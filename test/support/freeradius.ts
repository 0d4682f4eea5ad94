/**
 * A real FreeRADIUS 3.2 (Debian package `freeradius`, /usr/sbin/freeradius) for tests.
 *
 * Copies Debian's /etc/freeradius/3.0 into a fresh temp dir and rewrites, there:
 * - radiusd.conf: raddbdir, logdir, run_dir point into the temp dir; reject_delay (0 by
 *   default); proxy_requests = no (else a proxy socket opens on all interfaces);
 * - sites-enabled/default: every `listen` section replaced by auth + acct on 127.0.0.1 at
 *   free UDP ports (`-i/-p` would create listeners outside the `default` server, which
 *   reject everything: DESIGN.md "Known traps"); post-auth and Post-Auth-Type REJECT end
 *   with `update reply { &Message-Authenticator := 0x00 }`, and so does a new
 *   `Autz-Type Status-Server` in authorize, so every Accept and Reject is signed (3.2.1
 *   signs only EAP replies; see `signAllReplies`);
 * - sites-enabled/inner-tunnel: its 127.0.0.1:18120 listener moved to a free port, so two
 *   instances can run at once; post-auth's `if (0)` made `if (1)`, copying the inner reply
 *   to the outer one (the users' reply attributes for PEAP and TTLS);
 * - mods-enabled/eap: our PKI (tls-common), TLS version bounds, EAP-TLS, TTLS (PAP inside),
 *   PEAP (MSCHAPv2 inside); EAP-TLS only for station certificates (DESIGN.md "Security",
 *   "Roles"), both ways: check_cert_issuer names the station CA (an agent's or an operator's
 *   certificate of the same root is rejected), and the check-eap-tls virtual server
 *   (sites-enabled/check-eap-tls, `stationMarkSite`) requires the station mark
 *   urn:airlock:station:<CN> in the subjectAltName, which FreeRADIUS 3.2 reads only when
 *   the dictionary defines TLS-Client-Cert-X509v3-Subject-Alternative-Name (added to
 *   raddb/dictionary);
 * - mods-enabled/detail: one fixed accounting detail file in the temp dir;
 * - clients.conf: one client 127.0.0.1 with the secret, require_message_authenticator = yes;
 * - mods-config/files/authorize: the users, Cleartext-Password and reply attributes;
 * - with the `radsec` option, sites-enabled/radsec (new, shaped like Debian's
 *   sites-available/tls): a RadSec listener (RFC 6614), `type = auth+acct`, `proto = tcp`,
 *   on 127.0.0.1 at a free TCP port, into the `default` virtual server (so the same users,
 *   signing, accounting and detail file as UDP), TLS 1.2..1.3 with our PKI's server
 *   certificate, `require_client_cert = yes` and check_cert_issuer naming the one CA whose
 *   client certificates are accepted (DESIGN.md "Security", "Roles"); and its own
 *   `clients radsec` section: client 127.0.0.1, `proto = tls`, secret "radsec" (RFC 6614
 *   §2.3) unless given, require_message_authenticator = yes. Status-Server over TLS answers
 *   through the same `Autz-Type Status-Server` as over UDP.
 * The whole directory is chowned to `freerad` (radiusd drops privileges to it) and run
 * with `freeradius -f -l stdout -d DIR`. Set AIRLOCK_FREERADIUS_DEBUG=1 for -xx and the
 * log on stderr, AIRLOCK_FREERADIUS_KEEP=1 to keep the temp dir after stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import dgram from 'node:dgram';
import { freeTcpPort } from './authenticator-process.js';
import { accessSync, chownSync, constants, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The server binary, from Debian's `freeradius` package. */
export const FREERADIUS_BIN = '/usr/sbin/freeradius';
/** Debian's configuration, copied for every instance. */
export const FREERADIUS_CONF = '/etc/freeradius/3.0';
/** The user radiusd drops privileges to (`security { user = ... }` in Debian's radiusd.conf). */
const FREERAD_USER = 'freerad';
const READY_LINE = 'Ready to process requests';
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/** A user of the `files` module: matched on User-Name. */
export interface FreeRadiusUser {
  name: string;
  /** Cleartext-Password (PAP, CHAP, MSCHAPv2, TTLS/PAP); omit for certificate-only users. */
  password?: string;
  /** Reply attributes, e.g. 'Session-Timeout': '3600', 'Tunnel-Private-Group-Id': '42'. */
  reply?: Record<string, string>;
}

/**
 * A users-file entry for MAC authentication with a PSK from RADIUS (psk_source: radius):
 * User-Name and password the MAC as 12 lower-case hex digits, the passphrase as
 * Tunnel-Password, and a VLAN when given (0: none), plus `extra` reply attributes.
 */
export function macAuthUser(mac: Buffer, passphrase: string, vlan = 0, extra: Record<string, string> = {}): FreeRadiusUser {
  const name = mac.toString('hex');
  const tunnel: Record<string, string> = vlan > 0 ? { 'Tunnel-Type:1': 'VLAN', 'Tunnel-Medium-Type:1': 'IEEE-802', 'Tunnel-Private-Group-Id:1': String(vlan) } : {};
  return { name, password: name, reply: { 'Tunnel-Password:1': passphrase, ...tunnel, ...extra } };
}

/** What to configure. */
export interface FreeRadiusOptions {
  secret: string;
  users: FreeRadiusUser[];
  /**
   * PEM file paths: the root CA, the station CA (the intermediate that issues EAP-TLS
   * station certificates: the only issuer accepted), the server certificate (its chain) and key.
   */
  pki: { caCert: string; stationCa: string; serverCert: string; serverKey: string };
  /** Lowest TLS version for EAP-TLS/TTLS/PEAP; default '1.2'. */
  tlsMinVersion?: '1.2' | '1.3';
  /** Highest TLS version; default '1.2' (Debian's default: TLS 1.3 in EAP needs peers that do it). */
  tlsMaxVersion?: '1.2' | '1.3';
  /** Seconds radiusd waits before sending an Access-Reject; default 0 (Debian: 1) to keep tests fast. */
  rejectDelay?: number;
  /**
   * Put Message-Authenticator in every Access-Accept and Access-Reject; default true.
   * FreeRADIUS 3.2.1 (before the BlastRADIUS fixes of 3.2.5) signs only replies that carry
   * EAP-Message; false keeps that behaviour, to test a client that requires the signature.
   */
  signAllReplies?: boolean;
  /**
   * Files placed into the configuration last, by path relative to the configuration
   * directory (what a container mounts under /etc/raddb): a file, or a directory copied
   * whole. They replace what the options above generated (the compose test's deploy/freeradius).
   */
  overlay?: Record<string, string>;
  /** Environment of radiusd ($ENV{...} in the configuration). */
  env?: Record<string, string>;
  /**
   * Add a RadSec listener (RFC 6614: auth+acct over TLS on a free TCP port, see the header):
   * client certificates must be issued by `clientCa` (PEM file: an intermediate under
   * pki.caCert); `secret` is the clients' RadSec shared secret (default "radsec");
   * `idleTimeoutS` closes a connection idle that long (default 30, as Debian's sample).
   */
  radsec?: { clientCa: string; secret?: string; idleTimeoutS?: number };
}

/** A running FreeRADIUS. */
export interface FreeRadius {
  /** Authentication (and Status-Server) UDP port on 127.0.0.1. */
  authPort: number;
  /** Accounting UDP port on 127.0.0.1. */
  acctPort: number;
  /** The inner-tunnel server's UDP port on 127.0.0.1 (Debian's 18120, moved). */
  innerTunnelPort: number;
  /** The RadSec (TLS) port on 127.0.0.1, with the `radsec` option. */
  radsecPort: number | undefined;
  /** The configuration directory. */
  dir: string;
  /** Milliseconds from spawn to "Ready to process requests", last (re)start. */
  startupMs: number;
  /** The accounting detail file (written by the `detail` module of the accounting section). */
  detailFile(): string;
  /** Everything radiusd printed so far, over all (re)starts. */
  log(): string;
  /** SIGTERM, wait for exit, remove the temp dir. */
  stop(): Promise<void>;
  /** SIGKILL now (failover tests); restart() brings it back. */
  kill(): void;
  /** Stops (if running) and starts again on the same ports. */
  restart(): Promise<void>;
}

/** Thrown when FreeRADIUS cannot be run here, or does not start. */
export class FreeRadiusError extends Error {
  override readonly name = 'FreeRadiusError';
}

/** Instances still running, killed if the test process exits without stopping them. */
const live = new Set<{ child: ChildProcess | undefined; dir: string; keep: boolean }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const inst of live) {
      inst.child?.kill('SIGKILL');
      if (!inst.keep) rmSync(inst.dir, { recursive: true, force: true });
    }
  });
  // A signal would end the process without 'exit': clean up, then die of the same signal.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    if (process.listenerCount(sig) > 0) continue;
    process.once(sig, () => {
      for (const inst of live) inst.child?.kill('SIGKILL');
      process.kill(process.pid, sig);
    });
  }
}

/** Checks that FreeRADIUS can run here: root, and the Debian package installed. */
export function freeRadiusUnavailable(): string | undefined {
  if (!existsSync(FREERADIUS_BIN) || !existsSync(join(FREERADIUS_CONF, 'radiusd.conf'))) {
    return `FreeRADIUS is not installed (${FREERADIUS_BIN}): install the Debian package \`freeradius\` (apt-get install -y freeradius)`;
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'the FreeRADIUS harness must run as root (radiusd switches to the freerad user; Debian package `freeradius`)';
  }
  try {
    accessSync(join(FREERADIUS_CONF, 'radiusd.conf'), constants.R_OK);
  } catch {
    return `cannot read ${FREERADIUS_CONF}/radiusd.conf`;
  }
  return undefined;
}

/** Starts FreeRADIUS with the given users and PKI on free loopback ports. */
export async function startFreeRadius(opts: FreeRadiusOptions): Promise<FreeRadius> {
  const why = freeRadiusUnavailable();
  if (why !== undefined) throw new FreeRadiusError(why);
  installExitHook();
  // The ports are free when picked but radiusd binds them later: another process may win.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (attempt < 3 && err instanceof FreeRadiusError && err.message.includes('Address already in use')) continue;
      throw err;
    }
  }
}

async function startOnce(opts: FreeRadiusOptions): Promise<FreeRadius> {
  const [authPort, acctPort, innerTunnelPort] = await freeUdpPorts(3);
  const radsecPort = opts.radsec === undefined ? undefined : await freeTcpPort();
  const dir = mkdtempSync(join(tmpdir(), 'airlock-freeradius-'));
  const keep = process.env.AIRLOCK_FREERADIUS_KEEP === '1';
  const inst: { child: ChildProcess | undefined; dir: string; keep: boolean } = { child: undefined, dir, keep };
  live.add(inst);
  try {
    writeConfig(dir, opts, { authPort, acctPort, innerTunnelPort, radsecPort });
  } catch (err) {
    live.delete(inst);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const debug = process.env.AIRLOCK_FREERADIUS_DEBUG === '1';
  let logText = '';
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<number> => {
    const args = ['-f', '-l', 'stdout', '-d', dir, ...(debug ? ['-xx'] : [])];
    const t0 = performance.now();
    const child = spawn(FREERADIUS_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    inst.child = child;
    exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
      logText += `\n--- airlock: freeradius exited (${signal ?? `code ${code}`}) ---\n`;
      resolve();
    }));
    let timer: NodeJS.Timeout | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      let seen = '';
      let debugPartial = '';
      const onData = (chunk: Buffer): void => {
        const s = chunk.toString('utf8');
        logText += s;
        if (debug) {
          const lines = (debugPartial + s).split('\n');
          debugPartial = lines.pop()!;
          for (const l of lines) process.stderr.write(`[freeradius ${authPort}] ${l}\n`);
        }
        seen += s;
        if (seen.includes(READY_LINE)) resolve();
        else if (seen.length > 4096) seen = seen.slice(-64);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (err) => reject(new FreeRadiusError(`cannot run ${FREERADIUS_BIN}: ${err.message}`)));
      child.once('exit', (code, signal) => reject(new FreeRadiusError(`freeradius exited (${signal ?? `code ${code}`}) before it was ready; log:\n${tail(logText)}`)));
      timer = setTimeout(() => reject(new FreeRadiusError(`freeradius not ready after ${START_TIMEOUT_MS} ms; log:\n${tail(logText)}`)), START_TIMEOUT_MS);
    });
    try {
      await ready;
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return performance.now() - t0;
  };

  const terminate = async (): Promise<void> => {
    const child = inst.child;
    // No pid: spawn failed and no 'exit' will come.
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const cleanupDir = (): void => {
    live.delete(inst);
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };

  let startupMs: number;
  try {
    startupMs = await launch();
  } catch (err) {
    await terminate();
    cleanupDir();
    throw err;
  }

  const fr: FreeRadius = {
    authPort,
    acctPort,
    innerTunnelPort,
    radsecPort,
    dir,
    startupMs,
    detailFile: () => join(dir, 'log', 'radacct', 'detail'),
    log: () => logText,
    async stop() {
      await terminate();
      cleanupDir();
    },
    kill() {
      inst.child?.kill('SIGKILL');
    },
    async restart() {
      await terminate();
      logText += '\n--- airlock: restart ---\n';
      fr.startupMs = await launch();
    },
  };
  return fr;
}

function tail(log: string, lines = 60): string {
  return log.split('\n').slice(-lines).join('\n');
}

/** Picks `n` distinct free UDP ports on 127.0.0.1 (held together, then released for radiusd or another server). */
export async function freeUdpPorts(n: number): Promise<number[]> {
  const sockets: dgram.Socket[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = dgram.createSocket('udp4');
      sockets.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(0, '127.0.0.1', () => resolve());
      });
      ports.push(s.address().port);
    }
    return ports;
  } finally {
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

// ---------------------------------------------------------------------------------------
// Configuration rewriting (pure functions of text, exported for tests).

/** A `name { ... }` section found in FreeRADIUS configuration text: [start, end) covering whole lines. */
export interface ConfSection {
  name: string;
  start: number;
  end: number;
  /** Nesting depth of the section's opening brace (0 = top level). */
  depth: number;
}

/**
 * Finds sections by name, skipping comments and quoted strings. The offsets span from the
 * start of the line of the name to the end of the line of the closing brace.
 */
export function findSections(text: string, name: string): ConfSection[] {
  const found: ConfSection[] = [];
  const stack: { name: string; start: number }[] = [];
  let lastWord = '';
  let lastWordStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl;
      lastWord = '';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      i = j;
      lastWord = '';
      continue;
    }
    if (c === '{') {
      stack.push({ name: lastWord, start: lastWordStart });
      lastWord = '';
      continue;
    }
    if (c === '}') {
      const open = stack.pop();
      if (open === undefined) throw new FreeRadiusError(`unbalanced '}' at offset ${i}`);
      if (open.name === name) {
        const lineStart = text.lastIndexOf('\n', open.start - 1) + 1;
        const nl = text.indexOf('\n', i);
        found.push({ name, start: lineStart, end: nl === -1 ? text.length : nl + 1, depth: stack.length });
      }
      lastWord = '';
      continue;
    }
    if (/[A-Za-z0-9_.\-:]/.test(c)) {
      const m = /^[A-Za-z0-9_.\-:]+/.exec(text.slice(i, i + 256))!;
      lastWord = m[0];
      lastWordStart = i;
      i += m[0].length - 1;
      continue;
    }
    if (!/\s/.test(c)) lastWord = '';
  }
  if (stack.length > 0) throw new FreeRadiusError(`unclosed '{' of section '${stack[stack.length - 1].name}'`);
  return found.sort((a, b) => a.start - b.start);
}

/** Replaces every `listen` section inside the virtual server with `listens`, put where the first one was. */
export function replaceListenSections(text: string, listens: string, what: string): string {
  const sections = findSections(text, 'listen');
  if (sections.length === 0) throw new FreeRadiusError(`${what}: no listen section found (has Debian's FreeRADIUS configuration changed?)`);
  let out = '';
  let at = 0;
  for (const [i, s] of sections.entries()) {
    out += text.slice(at, s.start);
    if (i === 0) out += listens;
    at = s.end;
  }
  return out + text.slice(at);
}

/** Inserts `lines` just before the closing brace of the one section named `name` (at `depth`), or throws. */
export function appendToSection(text: string, name: string, depth: number, lines: string, what: string): string {
  const sections = findSections(text, name).filter((s) => s.depth === depth);
  if (sections.length !== 1) throw new FreeRadiusError(`${what}: expected one '${name}' section at depth ${depth}, found ${sections.length}`);
  const close = text.lastIndexOf('}', sections[0].end - 1);
  const lineStart = text.lastIndexOf('\n', close - 1) + 1;
  return text.slice(0, lineStart) + lines + text.slice(lineStart);
}

/** Replaces the one line matching `re` (multiline), or throws naming the file. */
export function replaceLine(text: string, re: RegExp, line: string, what: string): string {
  const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  const n = [...text.matchAll(global)].length;
  if (n !== 1) throw new FreeRadiusError(`${what}: expected one line matching ${re}, found ${n}`);
  return text.replace(re, line);
}

/**
 * A FreeRADIUS double-quoted string. Debian's radiusd.conf leaves `correct_escapes` off:
 * `\"` is a quote but `\\` stays two backslashes (seen: a secret with a backslash never
 * matched), so backslashes are refused rather than silently changed.
 */
export function confString(s: string): string {
  if (/[\p{Cc}]/u.test(s)) throw new FreeRadiusError(`control characters cannot go into FreeRADIUS configuration: ${JSON.stringify(s)}`);
  if (s.includes('\\')) throw new FreeRadiusError(`backslashes cannot go into this FreeRADIUS configuration (legacy escapes): ${JSON.stringify(s)}`);
  return `"${s.replace(/"/g, '\\"')}"`;
}

function listenSection(type: 'auth' | 'acct', port: number): string {
  return `listen {\n\ttype = ${type}\n\tipaddr = 127.0.0.1\n\tport = ${port}\n}\n`;
}

/** The `users` file (mods-config/files/authorize). */
export function usersFile(users: FreeRadiusUser[]): string {
  const lines = ['# written by airlock test/support/freeradius.ts', ''];
  for (const u of users) {
    if (u.name === '' || /[\p{Cc}]/u.test(u.name)) throw new FreeRadiusError(`bad user name ${JSON.stringify(u.name)}`);
    lines.push(`${confString(u.name)}${u.password === undefined ? '' : `\tCleartext-Password := ${confString(u.password)}`}`);
    const reply = Object.entries(u.reply ?? {});
    reply.forEach(([attr, value], i) => {
      if (!/^[A-Za-z][A-Za-z0-9-]*(:\d{1,2})?$/.test(attr)) throw new FreeRadiusError(`bad attribute name ${JSON.stringify(attr)}`);
      lines.push(`\t${attr} = ${confString(value)}${i < reply.length - 1 ? ',' : ''}`);
    });
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * The issuer of client certificates as FreeRADIUS's check_cert_issuer compares it: OpenSSL's
 * X509_NAME_oneline form of the CA's subject ("/O=airlock/CN=...").
 */
export function onelineSubject(caPem: string): string {
  return `/${new X509Certificate(caPem).subject.split('\n').join('/')}`;
}

/** mods-enabled/eap: Debian's module with our PKI and TLS bounds; EAP-TLS client certificates only from `certs.clientIssuer`. */
export function eapModule(certs: { ca: string; cert: string; key: string; clientIssuer: string }, tlsMin: string, tlsMax: string): string {
  return `# written by airlock test/support/freeradius.ts (from Debian's mods-available/eap)
eap {
	default_eap_type = peap
	timer_expire = 60
	ignore_unknown_eap_types = no
	cisco_accounting_username_bug = no
	max_sessions = \${max_requests}
	md5 {
	}
	gtc {
		auth_type = PAP
	}
	tls-config tls-common {
		private_key_file = ${confString(certs.key)}
		certificate_file = ${confString(certs.cert)}
		# Only our root (and the station CA): no ca_path, so the system store does not vouch for clients.
		ca_file = ${confString(certs.ca)}
		# EAP-TLS from station certificates only: the root also issues agent, operator and
		# server certificates (their own intermediates), which are never stations.
		check_cert_issuer = ${confString(certs.clientIssuer)}
		cipher_list = "DEFAULT"
		cipher_server_preference = no
		tls_min_version = "${tlsMin}"
		tls_max_version = "${tlsMax}"
		ecdh_curve = ""
		cache {
			enable = no
		}
		verify {
		}
		ocsp {
			enable = no
		}
	}
	# EAP-TLS: a client certificate issued by the station CA is required, and the
	# check-eap-tls server accepts it only when it is marked as a station's.
	tls {
		tls = tls-common
		virtual_server = check-eap-tls
	}
	# TTLS: PAP (or EAP) inside, checked by the inner-tunnel server.
	ttls {
		tls = tls-common
		default_eap_type = md5
		copy_request_to_tunnel = no
		use_tunneled_reply = no
		virtual_server = "inner-tunnel"
	}
	peap {
		tls = tls-common
		default_eap_type = mschapv2
		copy_request_to_tunnel = no
		use_tunneled_reply = no
		virtual_server = "inner-tunnel"
	}
	mschapv2 {
	}
}
`;
}

/**
 * The attribute FreeRADIUS 3.2 fills with a client certificate's subjectAltName (its
 * extensions are named "TLS-Client-Cert-" + OpenSSL's long name, and kept only when the
 * dictionary knows the name): a local, internal attribute (3000..3999, never on the wire).
 */
export const SAN_DICTIONARY_LINE = 'ATTRIBUTE\tTLS-Client-Cert-X509v3-Subject-Alternative-Name\t3000\tstring';

/**
 * sites-enabled/check-eap-tls: run once before EAP-TLS accepts; accepts only a certificate
 * with exactly one airlock role mark, the station's, naming its own CN.
 */
export function stationMarkSite(): string {
  return `# written by airlock test/support/freeradius.ts: EAP-TLS accepts station certificates only
# (DESIGN.md "Security", "Roles"): exactly one urn:airlock: mark, urn:airlock:station:<CN>.
server check-eap-tls {
authorize {
	if ((&TLS-Client-Cert-X509v3-Subject-Alternative-Name =~ /(^|, )URI:urn:airlock:station:([A-Za-z0-9][A-Za-z0-9._-]{0,63})(, |$)/) && ("%{2}" == "%{TLS-Client-Cert-Common-Name}") && !(&TLS-Client-Cert-X509v3-Subject-Alternative-Name =~ /urn:airlock:.*urn:airlock:/i)) {
		update config {
			&Auth-Type := Accept
		}
	}
	else {
		update config {
			&Auth-Type := Reject
		}
	}
}
}
`;
}

function clientsConf(secret: string): string {
  if (secret.length === 0) throw new FreeRadiusError('empty RADIUS secret');
  // limit_proxy_state (BlastRADIUS, 3.2.5+) is not known to Debian 12's 3.2.1: Message-Authenticator is required instead.
  return `# written by airlock test/support/freeradius.ts
client airlock {
	ipaddr = 127.0.0.1
	proto = udp
	secret = ${confString(secret)}
	require_message_authenticator = yes
	nas_type = other
}
`;
}

/**
 * sites-enabled/radsec: a RadSec listener (RFC 6614) into the default virtual server, and
 * the clients allowed on it (see the header).
 */
export function radsecSite(o: { port: number; cert: string; key: string; ca: string; clientIssuer: string; secret: string; idleTimeoutS: number }): string {
  if (o.secret.length === 0) throw new FreeRadiusError('empty RadSec secret');
  if (!Number.isInteger(o.idleTimeoutS) || o.idleTimeoutS < 0) throw new FreeRadiusError(`idleTimeoutS must be a whole number of seconds, not ${o.idleTimeoutS}`);
  return `# written by airlock test/support/freeradius.ts (shaped like Debian's sites-available/tls)
listen {
	ipaddr = 127.0.0.1
	port = ${o.port}
	type = auth+acct
	proto = tcp
	virtual_server = default
	clients = radsec
	limit {
		max_connections = 16
		lifetime = 0
		idle_timeout = ${o.idleTimeoutS}
	}
	tls {
		private_key_file = ${confString(o.key)}
		certificate_file = ${confString(o.cert)}
		# Only our root and the one client CA: no ca_path, so the system store vouches for no one.
		ca_file = ${confString(o.ca)}
		# RadSec clients only from their CA (DESIGN.md "Security", "Roles"): the root also
		# issues station, agent and operator certificates, which are never RADIUS clients.
		check_cert_issuer = ${confString(o.clientIssuer)}
		cipher_list = "DEFAULT"
		cipher_server_preference = no
		tls_min_version = "1.2"
		tls_max_version = "1.3"
		cache {
			enable = no
		}
		require_client_cert = yes
		verify {
		}
	}
}

clients radsec {
	client airlock-radsec {
		ipaddr = 127.0.0.1
		proto = tls
		secret = ${confString(o.secret)}
		require_message_authenticator = yes
		nas_type = other
	}
}
`;
}

function detailModule(file: string): string {
  return `# written by airlock test/support/freeradius.ts: one file, not Debian's per-client per-day path
detail {
	filename = ${confString(file)}
	escape_filenames = no
	permissions = 0600
	header = "%t"
}
`;
}

/** Writes the instance's configuration into `dir`. */
function writeConfig(dir: string, opts: FreeRadiusOptions, ports: { authPort: number; acctPort: number; innerTunnelPort: number; radsecPort: number | undefined }): void {
  // Relative symlinks (mods-enabled/x -> ../mods-available/x) must stay relative to the copy.
  cpSync(FREERADIUS_CONF, dir, { recursive: true, verbatimSymlinks: true });
  const path = (p: string): string => join(dir, p);
  /** Writes a file, replacing a symlink rather than writing through it. */
  const put = (p: string, text: string): void => {
    if (existsSync(path(p)) && lstatSync(path(p)).isSymbolicLink()) unlinkSync(path(p));
    writeFileSync(path(p), text, { mode: 0o640 });
  };
  const edit = (p: string, f: (text: string) => string): void => put(p, f(readFileSync(path(p), 'utf8')));

  for (const d of ['log', 'log/radacct', 'run', 'certs']) mkdirSync(path(d), { recursive: true });
  // The root and the station CA: a station that sends its certificate without the chain still verifies.
  writeFileSync(path('certs/airlock-ca.pem'), `${readFileSync(opts.pki.caCert, 'utf8').trimEnd()}\n${readFileSync(opts.pki.stationCa, 'utf8').trimEnd()}\n`);
  copyFileSync(opts.pki.serverCert, path('certs/airlock-server.pem'));
  copyFileSync(opts.pki.serverKey, path('certs/airlock-server.key'));

  const rejectDelay = opts.rejectDelay ?? 0;
  if (!Number.isInteger(rejectDelay) || rejectDelay < 0 || rejectDelay > 5) throw new FreeRadiusError(`rejectDelay must be 0..5 s, not ${rejectDelay}`);
  edit('radiusd.conf', (t) => {
    const what = 'radiusd.conf';
    t = replaceLine(t, /^raddbdir = .*$/m, `raddbdir = ${dir}`, what);
    t = replaceLine(t, /^logdir = .*$/m, `logdir = ${path('log')}`, what);
    t = replaceLine(t, /^run_dir = .*$/m, `run_dir = ${path('run')}`, what);
    t = replaceLine(t, /^(\s*)reject_delay = .*$/m, `\treject_delay = ${rejectDelay}`, what);
    // No proxying here: without this radiusd also opens a proxy socket on all interfaces.
    t = replaceLine(t, /^proxy_requests\s*= .*$/m, 'proxy_requests = no', what);
    return t;
  });
  edit('sites-enabled/default', (t) => {
    const what = 'sites-enabled/default';
    t = replaceListenSections(t, listenSection('auth', ports.authPort) + listenSection('acct', ports.acctPort), what);
    if (opts.signAllReplies ?? true) {
      // An empty Message-Authenticator in the reply list is filled in when the packet is encoded.
      const sign = '\t# airlock: sign every reply (BlastRADIUS, CVE-2024-3596), as FreeRADIUS >= 3.2.5 does\n\tupdate reply {\n\t\t&Message-Authenticator := 0x00\n\t}\n';
      t = appendToSection(t, 'post-auth', 1, sign, what);
      // After attr_filter.access_reject, which would drop it.
      t = appendToSection(t, 'REJECT', 2, sign.replace(/^\t/gm, '\t\t'), what);
      // Status-Server replies (RFC 5997) go through this section and only this one.
      t = appendToSection(t, 'authorize', 1, `\tAutz-Type Status-Server {\n${sign.replace(/^\t/gm, '\t\t')}\t\tok\n\t}\n`, what);
    }
    return t;
  });
  edit('sites-enabled/inner-tunnel', (t) => {
    const n = findSections(t, 'listen').length;
    if (n !== 1) throw new FreeRadiusError(`sites-enabled/inner-tunnel: expected one listen section, found ${n}`);
    t = replaceListenSections(t, listenSection('auth', ports.innerTunnelPort), 'sites-enabled/inner-tunnel');
    // Debian's own switch ("Instead of use_tunneled_reply, change this if (0) to an if (1)"):
    // the inner reply (a PEAP/TTLS user's VLAN, Session-Timeout) reaches the outer Access-Accept.
    return replaceLine(t, /^\tif \(0\) \{$/m, '\tif (1) {', 'sites-enabled/inner-tunnel');
  });
  const defaultSite = readFileSync(path('sites-enabled/default'), 'utf8');
  const accounting = findSections(defaultSite, 'accounting');
  if (accounting.length !== 1 || !/^\s*detail\s*$/m.test(defaultSite.slice(accounting[0].start, accounting[0].end).replace(/#.*$/gm, ''))) {
    throw new FreeRadiusError('sites-enabled/default: the accounting section does not call `detail`');
  }
  const tlsMin = opts.tlsMinVersion ?? '1.2';
  const tlsMax = opts.tlsMaxVersion ?? '1.2';
  if (tlsMin > tlsMax) throw new FreeRadiusError(`tlsMinVersion ${tlsMin} is above tlsMaxVersion ${tlsMax}`);
  const clientIssuer = onelineSubject(readFileSync(opts.pki.stationCa, 'utf8'));
  put('mods-enabled/eap', eapModule({ ca: path('certs/airlock-ca.pem'), cert: path('certs/airlock-server.pem'), key: path('certs/airlock-server.key'), clientIssuer }, tlsMin, tlsMax));
  put('sites-enabled/check-eap-tls', stationMarkSite());
  edit('dictionary', (t) => `${t.trimEnd()}\n# airlock: a client certificate's subjectAltName, for sites-enabled/check-eap-tls\n${SAN_DICTIONARY_LINE}\n`);
  put('mods-enabled/detail', detailModule(path('log/radacct/detail')));
  put('clients.conf', clientsConf(opts.secret));
  put('mods-config/files/authorize', usersFile(opts.users));
  if (opts.radsec !== undefined && ports.radsecPort !== undefined) {
    // The root and the RadSec clients' CA: a client that sends its certificate alone still verifies.
    writeFileSync(path('certs/airlock-radsec-ca.pem'), `${readFileSync(opts.pki.caCert, 'utf8').trimEnd()}\n${readFileSync(opts.radsec.clientCa, 'utf8').trimEnd()}\n`);
    put('sites-enabled/radsec', radsecSite({
      port: ports.radsecPort,
      cert: path('certs/airlock-server.pem'),
      key: path('certs/airlock-server.key'),
      ca: path('certs/airlock-radsec-ca.pem'),
      clientIssuer: onelineSubject(readFileSync(opts.radsec.clientCa, 'utf8')),
      secret: opts.radsec.secret ?? 'radsec',
      idleTimeoutS: opts.radsec.idleTimeoutS ?? 30,
    }));
  }
  for (const [rel, source] of Object.entries(opts.overlay ?? {})) {
    if (rel.startsWith('/') || rel.split('/').includes('..')) throw new FreeRadiusError(`overlay path ${JSON.stringify(rel)} must be relative, inside the configuration`);
    if (existsSync(path(rel)) && lstatSync(path(rel)).isSymbolicLink()) unlinkSync(path(rel));
    mkdirSync(dirname(path(rel)), { recursive: true });
    cpSync(source, path(rel), { recursive: true });
  }

  // radiusd reads all of this after switching to freerad.
  const { uid, gid } = lookupUser(FREERAD_USER);
  chownTree(dir, uid, gid);
}

function chownTree(p: string, uid: number, gid: number): void {
  const st = lstatSync(p);
  if (st.isSymbolicLink()) return;
  chownSync(p, uid, gid);
  if (st.isDirectory()) for (const e of readdirSync(p)) chownTree(join(p, e), uid, gid);
}

function lookupUser(name: string): { uid: number; gid: number } {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new FreeRadiusError(`no user '${name}' in /etc/passwd: reinstall the Debian package \`freeradius\``);
}
