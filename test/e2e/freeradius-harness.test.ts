/**
 * The FreeRADIUS harness (test/support/freeradius.ts) against the real Debian FreeRADIUS
 * 3.2: PAP Access-Request (RFC 2865), Status-Server (RFC 5997), Accounting-Request Start
 * (RFC 2866) into the detail file, Message-Authenticator required (RFC 3579 §3.2,
 * BlastRADIUS), two instances at once, kill and restart on the same ports.
 *
 * Packets are built here by hand on node:dgram, so this test does not depend on
 * packages/radius: it checks the server the RADIUS client will be tested against.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeDevPki, type DevPkiLayout } from '@airlock/pki';
import { findSections, replaceListenSections, startFreeRadius, usersFile, type FreeRadius, type FreeRadiusOptions } from '../support/freeradius.js';

const SECRET = 'harness secret "with" quotes';

// RFC 2865 / 2866 / 3579 / 5997 codes and attribute types used here.
const ACCESS_REQUEST = 1;
const ACCESS_ACCEPT = 2;
const ACCESS_REJECT = 3;
const ACCOUNTING_REQUEST = 4;
const ACCOUNTING_RESPONSE = 5;
const STATUS_SERVER = 12;
const A_USER_NAME = 1;
const A_USER_PASSWORD = 2;
const A_NAS_IP_ADDRESS = 4;
const A_SESSION_TIMEOUT = 27;
const A_TERMINATION_ACTION = 29;
const A_NAS_IDENTIFIER = 32;
const A_ACCT_STATUS_TYPE = 40;
const A_ACCT_SESSION_ID = 44;
const A_TUNNEL_TYPE = 64;
const A_TUNNEL_MEDIUM_TYPE = 65;
const A_MESSAGE_AUTHENTICATOR = 80;
const A_TUNNEL_PRIVATE_GROUP_ID = 81;

type Attr = [type: number, value: Buffer];

function attrs(list: Attr[]): Buffer {
  return Buffer.concat(list.map(([t, v]) => Buffer.concat([Buffer.from([t, v.length + 2]), v])));
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function md5(...parts: Buffer[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** User-Password hiding, RFC 2865 §5.2. */
function hidePassword(password: string, secret: string, requestAuth: Buffer): Buffer {
  const p = Buffer.from(password, 'utf8');
  const padded = Buffer.alloc(Math.max(16, Math.ceil(p.length / 16) * 16));
  p.copy(padded);
  const out = Buffer.alloc(padded.length);
  let prev = requestAuth;
  for (let i = 0; i < padded.length; i += 16) {
    const b = md5(Buffer.from(secret, 'utf8'), prev);
    for (let j = 0; j < 16; j++) out[i + j] = padded[i + j] ^ b[j];
    prev = out.subarray(i, i + 16);
  }
  return out;
}

function header(code: number, id: number, length: number, auth: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = code;
  h[1] = id;
  h.writeUInt16BE(length, 2);
  auth.copy(h, 4);
  return h;
}

/** An Access-Request or Status-Server; Message-Authenticator (RFC 3579 §3.2) first unless `withMessageAuthenticator` is false. */
function accessPacket(code: number, id: number, list: Attr[], secret: string, requestAuth: Buffer, withMessageAuthenticator = true): Buffer {
  const body = attrs(withMessageAuthenticator ? [[A_MESSAGE_AUTHENTICATOR, Buffer.alloc(16)], ...list] : list);
  const pkt = Buffer.concat([header(code, id, 20 + body.length, requestAuth), body]);
  if (withMessageAuthenticator) createHmac('md5', secret).update(pkt).digest().copy(pkt, 22);
  return pkt;
}

/** An Accounting-Request with its Request Authenticator (RFC 2866 §3). */
function accountingPacket(id: number, list: Attr[], secret: string): Buffer {
  const body = attrs(list);
  const pkt = Buffer.concat([header(ACCOUNTING_REQUEST, id, 20 + body.length, Buffer.alloc(16)), body]);
  md5(pkt, Buffer.from(secret, 'utf8')).copy(pkt, 4);
  return pkt;
}

interface Response {
  code: number;
  attrs: Attr[];
}

/** Verifies the Response Authenticator and, when present, the Message-Authenticator; then splits the attributes. */
function verifyResponse(pkt: Buffer, requestAuth: Buffer, secret: string): { ok: true; res: Response; hasMessageAuthenticator: boolean } | { ok: false; why: string } {
  if (pkt.length < 20 || pkt.readUInt16BE(2) !== pkt.length) return { ok: false, why: 'bad length' };
  const expect = md5(pkt.subarray(0, 4), requestAuth, pkt.subarray(20), Buffer.from(secret, 'utf8'));
  if (!timingSafeEqual(expect, pkt.subarray(4, 20))) return { ok: false, why: 'Response Authenticator mismatch' };
  const list: Attr[] = [];
  let maOffset = -1;
  for (let i = 20; i < pkt.length; ) {
    const len = pkt[i + 1];
    if (len < 2 || i + len > pkt.length) return { ok: false, why: 'bad attribute length' };
    if (pkt[i] === A_MESSAGE_AUTHENTICATOR) maOffset = i + 2;
    list.push([pkt[i], pkt.subarray(i + 2, i + len)]);
    i += len;
  }
  if (maOffset >= 0) {
    const copy = Buffer.from(pkt);
    requestAuth.copy(copy, 4);
    copy.fill(0, maOffset, maOffset + 16);
    const mac = createHmac('md5', secret).update(copy).digest();
    if (!timingSafeEqual(mac, pkt.subarray(maOffset, maOffset + 16))) return { ok: false, why: 'Message-Authenticator mismatch' };
  }
  return { ok: true, res: { code: pkt[0], attrs: list }, hasMessageAuthenticator: maOffset >= 0 };
}

let nextId = 0;

/** Sends one request and waits for the matching reply; undefined on timeout. */
async function exchange(port: number, pkt: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
  const sock = dgram.createSocket('udp4');
  try {
    return await new Promise<Buffer | undefined>((resolve, reject) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      sock.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      sock.on('message', (msg) => {
        if (msg.length >= 2 && msg[1] === pkt[1]) {
          clearTimeout(timer);
          resolve(msg);
        }
      });
      sock.send(pkt, port, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}

/** PAP Access-Request for `user`; returns the verified response, which must be signed unless `signed` is false. */
async function papRequest(fr: FreeRadius, user: string, password: string, signed = true): Promise<Response | undefined> {
  const ra = randomBytes(16);
  const id = nextId++ & 0xff;
  const pkt = accessPacket(ACCESS_REQUEST, id, [
    [A_USER_NAME, Buffer.from(user)],
    [A_USER_PASSWORD, hidePassword(password, SECRET, ra)],
    [A_NAS_IP_ADDRESS, Buffer.from([127, 0, 0, 1])],
    [A_NAS_IDENTIFIER, Buffer.from('airlock-harness-test')],
  ], SECRET, ra);
  const reply = await exchange(fr.authPort, pkt);
  if (reply === undefined) return undefined;
  const v = verifyResponse(reply, ra, SECRET);
  assert.ok(v.ok, v.ok ? '' : v.why);
  assert.equal(v.hasMessageAuthenticator, signed, 'Message-Authenticator in the reply');
  return v.res;
}

async function statusServer(port: number, timeoutMs = 2000, signed = true): Promise<Response | undefined> {
  const ra = randomBytes(16);
  const reply = await exchange(port, accessPacket(STATUS_SERVER, nextId++ & 0xff, [[A_NAS_IDENTIFIER, Buffer.from('airlock-harness-test')]], SECRET, ra), timeoutMs);
  if (reply === undefined) return undefined;
  const v = verifyResponse(reply, ra, SECRET);
  assert.ok(v.ok, v.ok ? '' : v.why);
  assert.equal(v.hasMessageAuthenticator, signed, 'Message-Authenticator in the Status-Server reply');
  return v.res;
}

function attr(res: Response, type: number): Buffer | undefined {
  return res.attrs.find(([t]) => t === type)?.[1];
}

/** A string attribute value, without the RFC 2868 tag octet if there is one. */
function untagged(v: Buffer): string {
  return (v[0] <= 0x1f ? v.subarray(1) : v).toString('utf8');
}

async function waitFor<T>(f: () => T | undefined, ms: number): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const REPLY = {
  'Session-Timeout': '3600',
  'Termination-Action': 'RADIUS-Request',
  'Tunnel-Type': 'VLAN',
  'Tunnel-Medium-Type': 'IEEE-802',
  'Tunnel-Private-Group-Id': '42',
};

describe('FreeRADIUS harness: configuration rewriting', () => {
  it('finds listen sections, skipping comments, strings and nested sections', () => {
    const text = [
      'server default {',
      '# listen { commented out }',
      'listen {',
      '\ttype = auth',
      '\tlimit {',
      '\t\tmax_connections = 16',
      '\t}',
      '}',
      'authorize {',
      '\tif ("{" == "listen {") { ok }',
      '}',
      'listen {',
      '\ttype = acct # } not a brace',
      '}',
      '}',
      '',
    ].join('\n');
    const sections = findSections(text, 'listen');
    assert.deepEqual(sections.map((s) => text.slice(s.start, s.end).split('\n')[1]), ['\ttype = auth', '\ttype = acct # } not a brace']);
    const out = replaceListenSections(text, 'listen { port = 1 }\n', 'test');
    assert.equal(out.match(/^listen/gm)?.length, 1);
    assert.match(out, /^server default \{\n# listen \{ commented out \}\nlisten \{ port = 1 \}\nauthorize \{/);
  });

  it('refuses a file with no listen section', () => {
    assert.throws(() => replaceListenSections('server x {\n}\n', 'listen {}\n', 'x'), /no listen section/);
  });

  it('writes users with quoted passwords and reply attributes', () => {
    const text = usersFile([{ name: 'alice', password: 'p"w', reply: { 'Session-Timeout': '60', 'Tunnel-Type:1': 'VLAN' } }, { name: 'bob' }]);
    assert.match(text, /^"alice"\tCleartext-Password := "p\\"w"\n\tSession-Timeout = "60",\n\tTunnel-Type:1 = "VLAN"\n\n"bob"\n/m);
    assert.throws(() => usersFile([{ name: 'x', password: 'a\\b' }]), /backslashes/);
    assert.throws(() => usersFile([{ name: 'x', password: 'a\nb' }]), /control characters/);
    assert.throws(() => usersFile([{ name: 'x', reply: { 'Bad Name': '1' } }]), /bad attribute name/);
  });
});

describe('FreeRADIUS harness (real /usr/sbin/freeradius)', () => {
  let pkiDir: string;
  let pki: DevPkiLayout;
  let fr: FreeRadius;
  let options: FreeRadiusOptions;

  before(async () => {
    pkiDir = mkdtempSync(join(tmpdir(), 'airlock-fr-pki-'));
    pki = writeDevPki(join(pkiDir, 'pki'));
    options = {
      secret: SECRET,
      users: [{ name: 'alice', password: 'alice "password"', reply: REPLY }, { name: 'bob', password: 'bob password' }, { name: 'station-1' }],
      pki: { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key },
    };
    fr = await startFreeRadius(options);
  });

  after(async () => {
    await fr?.stop();
    rmSync(pkiDir, { recursive: true, force: true });
  });

  it('starts on loopback ports, in a directory freerad can read', (t) => {
    t.diagnostic(`freeradius started in ${fr.startupMs.toFixed(0)} ms (auth ${fr.authPort}, acct ${fr.acctPort}, inner-tunnel ${fr.innerTunnelPort}, dir ${fr.dir})`);
    assert.match(fr.log(), /Ready to process requests/);
    assert.equal(statSync(fr.dir).uid, statSync('/etc/freeradius/3.0').uid);
    assert.equal(fr.detailFile(), join(fr.dir, 'log', 'radacct', 'detail'));
  });

  it('PAP, right password: Access-Accept with the reply attributes', async () => {
    const res = await papRequest(fr, 'alice', 'alice "password"');
    assert.ok(res !== undefined, `no answer; log:\n${fr.log()}`);
    assert.equal(res.code, ACCESS_ACCEPT, fr.log());
    assert.equal(attr(res, A_SESSION_TIMEOUT)?.readUInt32BE(0), 3600);
    assert.equal(attr(res, A_TERMINATION_ACTION)?.readUInt32BE(0), 1); // RADIUS-Request
    assert.equal((attr(res, A_TUNNEL_TYPE)!.readUInt32BE(0) & 0xffffff), 13); // VLAN (tag octet first, RFC 2868 §3.1)
    assert.equal((attr(res, A_TUNNEL_MEDIUM_TYPE)!.readUInt32BE(0) & 0xffffff), 6); // IEEE-802
    assert.equal(untagged(attr(res, A_TUNNEL_PRIVATE_GROUP_ID)!), '42');
  });

  it('PAP, user without reply attributes: Access-Accept without them', async () => {
    const res = await papRequest(fr, 'bob', 'bob password');
    assert.ok(res !== undefined);
    assert.equal(res.code, ACCESS_ACCEPT);
    assert.equal(attr(res, A_TUNNEL_TYPE), undefined);
  });

  it('PAP, wrong password: Access-Reject', async () => {
    const res = await papRequest(fr, 'alice', 'not the password');
    assert.equal(res?.code, ACCESS_REJECT);
  });

  it('PAP, unknown user: Access-Reject', async () => {
    const res = await papRequest(fr, 'mallory', 'x');
    assert.equal(res?.code, ACCESS_REJECT);
  });

  it('Status-Server: Access-Accept (RFC 5997)', async () => {
    const res = await statusServer(fr.authPort);
    assert.equal(res?.code, ACCESS_ACCEPT);
  });

  it('Access-Request without Message-Authenticator, or with the wrong secret: no answer', async () => {
    const ra = randomBytes(16);
    const noMa = accessPacket(ACCESS_REQUEST, nextId++ & 0xff, [[A_USER_NAME, Buffer.from('alice')], [A_USER_PASSWORD, hidePassword('alice "password"', SECRET, ra)]], SECRET, ra, false);
    const ra2 = randomBytes(16);
    const wrongSecret = accessPacket(ACCESS_REQUEST, nextId++ & 0xff, [[A_USER_NAME, Buffer.from('alice')], [A_USER_PASSWORD, hidePassword('alice "password"', 'wrong', ra2)]], 'wrong', ra2);
    const [a, b] = await Promise.all([exchange(fr.authPort, noMa, 600), exchange(fr.authPort, wrongSecret, 600)]);
    assert.equal(a, undefined);
    assert.equal(b, undefined);
  });

  it('Accounting-Request Start: Accounting-Response, and the record lands in the detail file', async () => {
    const sessionId = `airlock-${randomBytes(4).toString('hex')}`;
    const pkt = accountingPacket(nextId++ & 0xff, [
      [A_USER_NAME, Buffer.from('alice')],
      [A_NAS_IP_ADDRESS, Buffer.from([127, 0, 0, 1])],
      [A_NAS_IDENTIFIER, Buffer.from('airlock-harness-test')],
      [A_ACCT_STATUS_TYPE, u32(1)], // Start
      [A_ACCT_SESSION_ID, Buffer.from(sessionId)],
    ], SECRET);
    const reply = await exchange(fr.acctPort, pkt);
    assert.ok(reply !== undefined, `no Accounting-Response; log:\n${fr.log()}`);
    const v = verifyResponse(reply, pkt.subarray(4, 20), SECRET);
    assert.ok(v.ok, v.ok ? '' : v.why);
    assert.equal(v.res.code, ACCOUNTING_RESPONSE);
    const record = await waitFor(() => {
      if (!existsSync(fr.detailFile())) return undefined;
      const text = readFileSync(fr.detailFile(), 'utf8');
      return text.includes(sessionId) ? text : undefined;
    }, 2000);
    assert.ok(record !== undefined, 'detail file has the record');
    assert.match(record, new RegExp(`Acct-Session-Id = "${sessionId}"`));
    assert.match(record, /Acct-Status-Type = Start/);
    assert.match(record, /User-Name = "alice"/);
  });

  it('kill() stops answering; restart() answers again on the same ports', async () => {
    const { authPort, acctPort } = fr;
    fr.kill();
    assert.equal(await statusServer(authPort, 400), undefined);
    await fr.restart();
    assert.deepEqual([fr.authPort, fr.acctPort], [authPort, acctPort]);
    assert.equal((await statusServer(authPort))?.code, ACCESS_ACCEPT);
    assert.equal((await papRequest(fr, 'alice', 'alice "password"'))?.code, ACCESS_ACCEPT);
  });

  it('two more instances run at once, on their own ports and directories, and stop cleanly', async (t) => {
    const t0 = performance.now();
    const [a, b] = await Promise.all([startFreeRadius(options), startFreeRadius({ ...options, signAllReplies: false })]);
    t.diagnostic(`two instances started in parallel in ${(performance.now() - t0).toFixed(0)} ms (${a.startupMs.toFixed(0)} ms, ${b.startupMs.toFixed(0)} ms)`);
    try {
      const ports = new Set([fr.authPort, fr.acctPort, fr.innerTunnelPort, a.authPort, a.acctPort, a.innerTunnelPort, b.authPort, b.acctPort, b.innerTunnelPort]);
      assert.equal(ports.size, 9);
      assert.notEqual(a.dir, b.dir);
      const [ra, rb] = await Promise.all([statusServer(a.authPort), statusServer(b.authPort, 2000, false)]);
      assert.equal(ra?.code, ACCESS_ACCEPT);
      assert.equal(rb?.code, ACCESS_ACCEPT);
      assert.equal((await papRequest(a, 'bob', 'bob password'))?.code, ACCESS_ACCEPT);
      // signAllReplies: false is FreeRADIUS 3.2.1 as shipped: PAP replies are not signed.
      assert.equal((await papRequest(b, 'bob', 'bob password', false))?.code, ACCESS_ACCEPT);
      assert.equal((await papRequest(b, 'bob', 'wrong', false))?.code, ACCESS_REJECT);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    assert.equal(existsSync(a.dir), false);
    assert.equal(existsSync(b.dir), false);
  });
});
