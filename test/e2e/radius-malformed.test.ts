/**
 * Malformed RADIUS responses are dropped, counted, and never used (DESIGN.md "RADIUS" and
 * "Security": responses are verified before use; RFC 2865 §3 Response Authenticator,
 * RFC 3579 §3.2 Message-Authenticator required on every Access-* response — BlastRADIUS,
 * CVE-2024-3596 —, attribute framing). A real FreeRADIUS never sends these, so a tiny
 * scripted responder (below, on 127.0.0.1) answers the authenticator's Access-Requests:
 * each station gets one kind of bad answer to each of its requests. Its signatures are
 * computed here with node:crypto from the RFCs, independently of packages/radius.
 *
 * Expected for each bad answer: the datagram is dropped and counted
 * (airlock_radius_requests_total{code="invalid"}, airlock_frames_dropped_total{reason=
 * "radius_invalid_response"}), with the right reason in the log; the station's EAP does
 * not advance (the EAP-Request inside the bad answer never reaches it); the request times
 * out, the station gets EAP-Failure and is disconnected with reason 23. Afterwards the
 * authenticator still relays a well-formed Access-Challenge and honours an Access-Reject.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import dgram from 'node:dgram';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { RunningAuthenticator } from '@airlock/authenticator';
import { createCa } from '@airlock/pki';
import { Attr, RadiusCode, decodeRadius, type RadiusAttribute } from '@airlock/radius';
import { EapCode, EapType, Reason, decodeEap, encodeEap, formatMac } from '@airlock/rsn';
import { fetchMetrics, startTestAuthenticator, testConfig, waitFor } from '../support/topology.js';
import { CORP_SSID, metricSum, startRadio, stationMac, ttlsStationSpec, type Radio } from '../support/enterprise.js';

const SECRET = Buffer.from('malformed test secret');
const SERVER = 'fake';

/** The bad answers, one per station; `reason` is what the client must log for it. */
const CASES = [
  { name: 'missing Message-Authenticator', reason: 'missing-message-authenticator' },
  { name: 'wrong Message-Authenticator', reason: 'bad-message-authenticator' },
  { name: 'bad Response Authenticator', reason: 'bad-response-authenticator' },
  { name: 'attribute running past the packet Length', reason: 'length-overflow' },
  { name: 'datagram shorter than its Length (truncated)', reason: 'length-overflow' },
] as const;
type CaseName = (typeof CASES)[number]['name'];

// ---- RFC 2865 / 3579 signing, written here from the RFCs ------------------------------

const md5 = (...parts: Buffer[]): Buffer => parts.reduce((h, p) => h.update(p), createHash('md5')).digest();

/** Header + attributes; Length = header + attributes. */
function packet(code: number, id: number, authenticator: Buffer, attrs: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = code;
  h[1] = id;
  h.writeUInt16BE(20 + attrs.length, 2);
  authenticator.copy(h, 4);
  return Buffer.concat([h, attrs]);
}

function attr(type: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, value.length + 2]), value]);
}

/**
 * An answer to a request with Request Authenticator `reqAuth`: Message-Authenticator (when
 * `maAt` is set, at that offset, HMAC-MD5 keyed with `maKey` over the packet with the
 * Request Authenticator in the Authenticator field and the MA zeroed, RFC 3579 §3.2), then
 * the Response Authenticator MD5(Code+ID+Length+RequestAuth+Attributes+Secret) (RFC 2865 §3)
 * over the packet's first Length octets.
 */
function sign(p: Buffer, reqAuth: Buffer, maAt: number | undefined, maKey: Buffer = SECRET): Buffer {
  const out = Buffer.from(p);
  reqAuth.copy(out, 4);
  if (maAt !== undefined) {
    out.fill(0, maAt, maAt + 16);
    createHmac('md5', maKey).update(out).digest().copy(out, maAt);
  }
  const length = out.readUInt16BE(2);
  md5(out.subarray(0, 4), reqAuth, out.subarray(20, length), SECRET).copy(out, 4);
  return out;
}

/** A well-formed signed answer: Message-Authenticator first, then `attrs`. */
function goodAnswer(code: number, id: number, reqAuth: Buffer, attrs: Buffer[]): Buffer {
  return sign(packet(code, id, reqAuth, Buffer.concat([attr(Attr.MessageAuthenticator, Buffer.alloc(16)), ...attrs])), reqAuth, 22);
}

/** The bad answer of `c` to a request, carrying an Access-Challenge with `attrs`. */
function badAnswer(c: CaseName, id: number, reqAuth: Buffer, attrs: Buffer[]): Buffer {
  const withMa = Buffer.concat([attr(Attr.MessageAuthenticator, Buffer.alloc(16)), ...attrs]);
  switch (c) {
    case 'missing Message-Authenticator':
      return sign(packet(RadiusCode.AccessChallenge, id, reqAuth, Buffer.concat(attrs)), reqAuth, undefined);
    case 'wrong Message-Authenticator':
      // HMAC under another key; the Response Authenticator is right for these bytes.
      return sign(packet(RadiusCode.AccessChallenge, id, reqAuth, withMa), reqAuth, 22, Buffer.from('not the secret'));
    case 'bad Response Authenticator': {
      // A valid Message-Authenticator (it covers the Request Authenticator, not this field).
      const p = sign(packet(RadiusCode.AccessChallenge, id, reqAuth, withMa), reqAuth, 22);
      p[4] ^= 0x01;
      return p;
    }
    case 'attribute running past the packet Length': {
      // Reply-Message claims 40 octets, 4 are there; Length covers exactly what is sent and
      // both authenticators are computed over it: only the attribute framing is wrong.
      const broken = Buffer.concat([withMa, Buffer.from([Attr.ReplyMessage, 40, 0x68, 0x69])]);
      return sign(packet(RadiusCode.AccessChallenge, id, reqAuth, broken), reqAuth, 22);
    }
    case 'datagram shorter than its Length (truncated)': {
      const p = goodAnswer(RadiusCode.AccessChallenge, id, reqAuth, attrs);
      return p.subarray(0, p.length - 5);
    }
  }
}

// ---- the responder ---------------------------------------------------------------------

interface Received {
  station: string;
  code: number;
  raw: Buffer;
  state: Buffer | undefined;
  eap: Buffer | undefined;
}

/** A UDP responder on 127.0.0.1: answers per station (Calling-Station-Id) with `answer`. */
class TinyResponder {
  readonly received: Received[] = [];
  /** Bad datagrams sent, per case. */
  readonly badSent = new Map<CaseName, number>();
  answer: (req: Received, id: number, reqAuth: Buffer) => { bytes: Buffer; bad?: CaseName } | undefined = () => undefined;

  private constructor(private readonly socket: dgram.Socket) {}

  static async start(): Promise<TinyResponder> {
    const socket = dgram.createSocket('udp4');
    const r = new TinyResponder(socket);
    socket.on('error', () => undefined);
    socket.on('message', (raw, rinfo) => r.onMessage(raw, rinfo));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return r;
  }

  get port(): number {
    return this.socket.address().port;
  }

  private onMessage(raw: Buffer, rinfo: dgram.RemoteInfo): void {
    const d = decodeRadius(raw);
    if (!d.ok) return;
    const p = d.value;
    const get = (t: number): Buffer | undefined => p.attributes.find((a: RadiusAttribute) => a.type === t)?.value;
    const eapParts = p.attributes.filter((a) => a.type === Attr.EapMessage).map((a) => a.value);
    const req: Received = { station: get(Attr.CallingStationId)?.toString() ?? '', code: p.code, raw: Buffer.from(raw), state: get(Attr.State), eap: eapParts.length > 0 ? Buffer.concat(eapParts) : undefined };
    this.received.push(req);
    const reqAuth = Buffer.from(p.authenticator);
    let out: { bytes: Buffer; bad?: CaseName } | undefined;
    if (p.code === RadiusCode.StatusServer) out = { bytes: goodAnswer(RadiusCode.AccessAccept, p.identifier, reqAuth, []) };
    else if (p.code === RadiusCode.AccessRequest) out = this.answer(req, p.identifier, reqAuth);
    if (out === undefined) return;
    if (out.bad !== undefined) this.badSent.set(out.bad, (this.badSent.get(out.bad) ?? 0) + 1);
    this.socket.send(out.bytes, rinfo.port, rinfo.address);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** "AA-BB-CC-DD-EE-FF" (RFC 3580 §3.21). */
const stationId = (mac: Buffer): string => formatMac(mac).toUpperCase().replaceAll(':', '-');

/** An EAP-Request/EAP-TTLS Start (RFC 5281 §9.1: S flag) answering EAP `id`. */
const ttlsStart = (id: number): Buffer => encodeEap({ code: EapCode.Request, identifier: (id + 1) & 0xff, type: EapType.Ttls, data: Buffer.from([0x20]) });

void describe('malformed RADIUS responses', () => {
  let responder: TinyResponder;
  let auth: RunningAuthenticator;
  let radio: Radio;
  const logs: { msg?: string; reason?: string; server?: string }[] = [];
  const bad = CASES.map((_, i) => stationMac(4, i + 1));
  const good = stationMac(4, 99);
  const caseOf = new Map<string, CaseName>(CASES.map((c, i) => [stationId(bad[i]), c.name]));
  const disconnects: { sta: string; reason: number }[] = [];

  before(async () => {
    responder = await TinyResponder.start();
    // Each request: the first transmission and one retransmission 100 ms later, given up 200 ms after that.
    const config = testConfig([{ ssid: CORP_SSID, akms: ['8021x'], passphrases: [], stationPsks: [], groupRekeyS: 0, rekeyGtkOnLeave: false }], (c) => {
      c.radius.servers = [{ name: SERVER, host: '127.0.0.1', authPort: responder.port, acctPort: responder.port, secret: SECRET.toString() }];
      c.radius.timeoutMs = 100;
      c.radius.maxRetransmits = 1;
      c.radius.deadAfterMs = 5000;
      c.radius.probeIntervalMs = 100;
      c.eap.quietPeriodS = 0;
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line !== '') logs.push(JSON.parse(line) as (typeof logs)[number]);
        done();
      },
    });
    auth = await startTestAuthenticator(config, pino({ level: 'warn' }, sink));
    const caPem = createCa({ commonName: 'malformed-test-ca' }).cert; // the good station's TLS never gets as far as the certificate
    radio = await startRadio(auth, {
      agents: 1,
      bssesPerAgent: 1,
      stations: [...bad, good].map((mac) => ttlsStationSpec(mac, 'mallory', 'pw', caPem, { home: 0 })),
      autoJoin: false,
      behaviour: { rejoinAfterDisconnect: false },
    }, 1);
    radio.sim.on('disconnected', (sta: string, reason: number) => disconnects.push({ sta, reason }));
    responder.answer = (req, id, reqAuth) => {
      const c = caseOf.get(req.station);
      const eap = req.eap !== undefined ? decodeEap(req.eap) : undefined;
      const eapId = eap?.ok ? eap.value.identifier : 0;
      const attrs = [attr(Attr.EapMessage, ttlsStart(eapId)), attr(Attr.State, Buffer.from('fake-state'))];
      if (c !== undefined) return { bytes: badAnswer(c, id, reqAuth, attrs), bad: c };
      // The good station: a well-formed challenge first, then a well-formed Access-Reject.
      if (req.state === undefined) return { bytes: goodAnswer(RadiusCode.AccessChallenge, id, reqAuth, attrs) };
      return { bytes: goodAnswer(RadiusCode.AccessReject, id, reqAuth, [attr(Attr.EapMessage, encodeEap({ code: EapCode.Failure, identifier: eapId, type: undefined, data: Buffer.alloc(0) }))]) };
    };
  });
  after(async () => {
    await radio?.stop();
    await auth?.stop(500);
    await responder?.close();
  });

  void it('missing or wrong Message-Authenticator, bad Response Authenticator, truncated attributes: each dropped and counted; the EAP conversation does not advance and ends in timeout, EAP-Failure, reason 23', async () => {
    for (const sta of bad) radio.sim.join(sta, 0);
    assert.ok(await waitFor(() => disconnects.length >= bad.length, 5000), `disconnects ${JSON.stringify(disconnects)}`);
    await new Promise((r) => setTimeout(r, 100));

    const m = await fetchMetrics(auth);
    const badTotal = [...responder.badSent.values()].reduce((a, b) => a + b, 0);
    for (const c of CASES) {
      // The first transmission and the retransmission (RFC 5080 §2.2.1: the same bytes) each got a bad answer.
      assert.equal(responder.badSent.get(c.name), 2, `${c.name}: answered twice`);
      const sta = bad[CASES.indexOf(c)];
      const reqs = responder.received.filter((r) => r.station === stationId(sta));
      assert.equal(reqs.length, 2, `${c.name}: one Access-Request and its retransmission`);
      assert.ok(reqs[0].raw.equals(reqs[1].raw), `${c.name}: retransmitted unchanged`);
    }
    // Each bad datagram was dropped for its own reason (the client's log line names it).
    const dropped = logs.filter((l) => l.msg === 'RADIUS response dropped' && l.server === SERVER).map((l) => l.reason).sort();
    assert.deepEqual(dropped, CASES.flatMap((c) => [c.reason, c.reason]).sort(), 'drop reasons');
    assert.equal(metricSum(m, 'airlock_radius_requests_total', { server: SERVER, code: 'invalid' }), badTotal, 'every bad datagram counted invalid');
    assert.equal(metricSum(m, 'airlock_frames_dropped_total', { reason: 'radius_invalid_response' }), badTotal);
    assert.equal(metricSum(m, 'airlock_radius_requests_total', { server: SERVER, code: 'Access-Challenge' }), 0, 'no bad answer was taken as a challenge');
    assert.equal(metricSum(m, 'airlock_radius_requests_total', { server: SERVER, code: 'timeout' }), bad.length);
    assert.equal(metricSum(m, 'airlock_eap_authentications_total', { result: 'timeout' }), bad.length);
    assert.equal(metricSum(m, 'airlock_eap_authentications_total', { result: 'accept' }), 0);
    assert.equal(metricSum(m, 'airlock_eap_authentications_total', { result: 'reject' }), 0);

    for (const [i, sta] of bad.entries()) {
      const what = `${CASES[i].name} (${formatMac(sta)})`;
      assert.deepEqual(disconnects.filter((d) => d.sta === formatMac(sta)).map((d) => d.reason), [Reason.IEEE_802_1X_AUTH_FAILED], what);
      // What reached the station: Request/Identity, then EAP-Failure — never the TTLS Start inside the bad answer.
      const eap = radio.views[0].eapTo(sta).map((b) => decodeEap(b)).map((p) => (p.ok ? [p.value.code, p.value.type] : ['malformed']));
      assert.deepEqual(eap, [[EapCode.Request, EapType.Identity], [EapCode.Failure, undefined]], what);
      const hs = auth.service.core.history(sta)[0];
      assert.equal(hs?.result, 'timeout', what);
      assert.equal(radio.sim.eapSuccesses(sta), 0, what);
    }
    assert.deepEqual(radio.sim.violations, []);
  });

  void it('afterwards the authenticator still relays a well-formed Access-Challenge and honours an Access-Reject', async () => {
    const res = await fetch(`http://127.0.0.1:${auth.httpPort}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(radio.agents[0].connected, true);
    radio.sim.join(good, 0);
    assert.ok(await waitFor(() => disconnects.some((d) => d.sta === formatMac(good)), 5000), 'the good station is done');
    const eap = radio.views[0].eapTo(good).map((b) => decodeEap(b)).map((p) => (p.ok ? [p.value.code, p.value.type] : ['malformed']));
    assert.deepEqual(eap, [[EapCode.Request, EapType.Identity], [EapCode.Request, EapType.Ttls], [EapCode.Failure, undefined]], 'the challenge reached the station, then the Failure');
    const reqs = responder.received.filter((r) => r.station === stationId(good));
    assert.equal(reqs.length, 2);
    assert.equal(reqs[1].state?.toString(), 'fake-state', 'State echoed (RFC 2865 §5.24)');
    assert.deepEqual(disconnects.filter((d) => d.sta === formatMac(good)).map((d) => d.reason), [Reason.IEEE_802_1X_AUTH_FAILED]);
    assert.equal(auth.service.core.history(good)[0]?.result, 'rejected');
  });
});
