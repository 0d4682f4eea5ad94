/**
 * IEEE 802.1X on virtual time: the Authenticator PAE and Backend Authentication machines
 * (IEEE 802.1X-2004 §8.2.4, §8.2.9) relaying EAP to a scripted RADIUS server (RFC 3579),
 * the 4-way handshake with PMK = MSK[0..32] (IEEE 802.11-2020 §12.7.1.3), PMKSA caching
 * (§12.6.10.3, DESIGN.md invariant 9), Session-Timeout / Termination-Action (RFC 2865
 * §5.27, §5.29) and accounting (RFC 2866). The station's EAP peer is scripted in the
 * harness; its key management is the real Supplicant.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { AKM, AcctTerminateCause, EapCode, EapType, KdeType, decodeEapol, decodeKeyData, encodeEap, findKde, type CoreTiming, type EapPacket } from '@airlock/rsn';
import { Air, mac, scriptedMsk, scriptedRadius, type RadiusReply, type RadiusResponder, type RadiusScript, type StationEapSpec } from './harness.js';

const BSS1 = mac(0xb1, 1);
const BSS2 = mac(0xb2, 1);
const IDENTITY = 'alice@example.org';
const FIXED_MSK = Buffer.from('8f'.repeat(32) + '17'.repeat(32), 'hex');

/** PMKID = HMAC-SHA1-128(PMK, "PMK Name" || AA || SPA), IEEE 802.11-2020 §12.7.1.3, computed here independently of the core. */
function pmkidOf(pmk: Buffer, aa: Buffer, spa: Buffer): Buffer {
  return createHmac('sha1', pmk).update('PMK Name', 'latin1').update(aa).update(spa).digest().subarray(0, 16);
}

/** The PMKID KDE of an EAPOL-Key frame's key data, or undefined. */
function pmkidKde(keyData: Buffer | undefined): Buffer | undefined {
  if (keyData === undefined) return undefined;
  const kd = decodeKeyData(keyData);
  assert.ok(kd.ok, 'key data decodes');
  return findKde(kd.value, KdeType.PMKID);
}

function isIdentityRequest(p: EapPacket): boolean {
  return p.code === EapCode.Request && p.type === EapType.Identity;
}

/** A responder that records what it answered. */
function recording(server: RadiusResponder): { responder: RadiusResponder; replies: { ref: number; reply: RadiusReply }[] } {
  const replies: { ref: number; reply: RadiusReply }[] = [];
  return {
    replies,
    responder: (req, air) => {
      const reply = server(req, air);
      if (reply !== undefined) replies.push({ ref: req.ref, reply });
      return reply;
    },
  };
}

interface Setup {
  timing?: Partial<CoreTiming>;
  radius?: RadiusScript | ((n: number) => RadiusScript);
  /** A second BSS of the same network on another agent. */
  second?: boolean;
  eap?: Partial<StationEapSpec>;
  staN?: number;
}

/** An 802.1X network (AKM 1) on BSS1 (agent ap-1), optionally BSS2 (agent ap-2), and one station with an EAP peer. */
function enterprise(o: Setup = {}) {
  const air = new Air({ timing: o.timing });
  air.addBss({ bssid: BSS1, akms: [AKM.IEEE8021X], agentId: 'ap-1' });
  if (o.second === true) air.addBss({ bssid: BSS2, akms: [AKM.IEEE8021X], agentId: 'ap-2' });
  const rec = recording(scriptedRadius(o.radius ?? {}));
  air.radius = rec.responder;
  const sta = mac(0x5a, o.staN ?? 1);
  const st = air.addStation({ mac: sta, eap: { identity: IDENTITY, ...o.eap } }, BSS1);
  return { air, sta, st, replies: rec.replies };
}

void describe('IEEE 802.1X authenticator', () => {
  void it('association with an 802.1X AKM: EAP-Request/Identity sent unprotected, retransmitted every eapRetransmitMs, EAP-Failure after eapMaxTransmissions, disconnect reason 23 after failureDisconnectMs', async () => {
    const timing = { eapRetransmitMs: 2500, eapMaxTransmissions: 3, failureDisconnectMs: 250 };
    const { air, sta, st } = enterprise({ timing, eap: { autoRespond: false } });
    air.associate(sta);
    air.run();

    const eap = air.eapTransmissions(sta);
    assert.deepEqual(eap.map((x) => [x.packet.code, x.packet.type]), [
      [EapCode.Request, EapType.Identity],
      [EapCode.Request, EapType.Identity],
      [EapCode.Request, EapType.Identity],
      [EapCode.Failure, undefined],
    ]);
    assert.deepEqual(eap.map((x) => x.t), [0, 2500, 5000, 7500]);
    for (const x of eap) assert.equal(x.effect.protected, false, 'no PTK yet: every EAP frame leaves unprotected');
    const first = eap[0];
    const cause = air.causeOf(first.i);
    assert.ok(cause.kind === 'event' && cause.event.type === 'associated', 'the Identity request answers the association');
    assert.ok(eap[1].raw.equals(first.raw) && eap[2].raw.equals(first.raw), 'a retransmission is the same request (same Identifier)');
    assert.equal(eap[3].packet.identifier, first.packet.identifier, 'EAP-Failure carries the Identifier of the request');

    const disc = air.effects('disconnect', (e) => e.sta.equals(sta));
    assert.equal(disc.length, 1);
    assert.equal(disc[0].effect.reason, 23, 'IEEE 802.1X authentication failed');
    assert.equal(disc[0].t, 7500 + 250, 'disconnect failureDisconnectMs after the EAP-Failure');
    assert.deepEqual(st.disconnects, [23]);
    assert.equal(air.radiusRequests().length, 0);
    assert.equal(air.transmissions(sta, 'msg1/4').length, 0, 'no 4-way handshake without EAP success');
    assert.equal(await air.metric('airlock_eap_authentications_total{result="timeout"}'), 1);
    assert.equal(await air.metric('airlock_eap_authentications_total{result="reject"}'), 0);
    assert.equal(await air.metric('airlock_eap_authentications_total{result="accept"}'), 0);
    assert.equal(air.core.station(sta), undefined);
    assert.deepEqual(air.violations, []);
  });

  void it('EAP-Response/Identity: radius-request with the identity, the EAP bytes and no State; the challenge relayed byte-exact; the next radius-request echoes the State', () => {
    const { air, sta, st, replies } = enterprise({ radius: { challenges: 2, final: 'silent' } });
    air.associate(sta);
    air.run();

    const reqs = air.radiusRequests(sta);
    assert.equal(reqs.length, 3, 'Identity response, then one response per challenge');
    // What the station sent, as the core received it.
    const ups = air.events('eapol').filter((e) => e.event.sta.equals(sta)).map((e) => decodeEapol(e.event.frame));
    const upEap = ups.map((u) => (u.ok ? u.value.body : Buffer.alloc(0)));
    assert.equal(upEap.length, 3);

    const r0 = reqs[0].effect;
    assert.equal(r0.identity, IDENTITY);
    assert.ok(r0.eap.equals(upEap[0]), 'the EAP-Response/Identity goes to RADIUS byte for byte');
    assert.equal(r0.eap[0], EapCode.Response);
    assert.equal(r0.eap[4], EapType.Identity);
    assert.equal(r0.state, undefined, 'no State in the first Access-Request');
    assert.ok(r0.bssid.equals(BSS1));
    assert.equal(r0.agentId, 'ap-1');
    assert.equal(r0.akm, AKM.IEEE8021X);
    assert.equal(r0.ssid.toString(), 'airlock-scenario');

    for (let k = 0; k < 2; k++) {
      const challenge = replies[k].reply;
      assert.equal(challenge.outcome, 'challenge');
      // Relayed as is, in an EAPOL-EAP frame, because of that radius-response.
      const relayed = air.eapTransmissions(sta, (p) => p.code === EapCode.Request && p.type === EapType.Peap);
      assert.ok(relayed[k] !== undefined);
      const body = decodeEapol(relayed[k].effect.frame);
      assert.ok(body.ok);
      assert.ok(body.value.body.equals(challenge.eap!), `challenge ${k + 1}: the server's EAP-Request relayed byte-exact`);
      assert.equal(relayed[k].effect.protected, false);
      const cause = air.causeOf(relayed[k].i);
      assert.ok(cause.kind === 'event' && cause.event.type === 'radius-response' && cause.event.ref === reqs[k].effect.ref);
      // The next Access-Request carries the station's answer and echoes the State.
      const next = reqs[k + 1].effect;
      assert.ok(next.eap.equals(upEap[k + 1]));
      assert.equal(next.eap[1], challenge.eap![1], 'the answer to that request');
      assert.ok(next.state !== undefined && next.state.equals(challenge.state!), `radius-request ${k + 2} echoes the State of challenge ${k + 1}`);
      assert.equal(next.identity, IDENTITY);
    }
    assert.equal(st.eap.successes + st.eap.failures, 0, 'the silent server leaves the authentication open');
    assert.deepEqual(air.violations, []);
  });

  void it('EAP-Response with the wrong EAP Identifier is dropped (eap_id_mismatch) and leaves the backend waiting', async () => {
    const { air, sta } = enterprise({ eap: { autoRespond: false }, radius: { final: 'silent' } });
    air.associate(sta);
    air.runFor(10);
    const idReq = air.eapTransmissions(sta, isIdentityRequest)[0].packet;
    const wrong = encodeEap({ code: EapCode.Response, identifier: (idReq.identifier + 1) & 0xff, type: EapType.Identity, data: Buffer.from(IDENTITY) });
    air.sendEap(sta, wrong);
    air.runFor(10);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="eap_id_mismatch"}'), 1);
    assert.equal(air.radiusRequests().length, 0, 'nothing goes to RADIUS');
    const right = encodeEap({ code: EapCode.Response, identifier: idReq.identifier, type: EapType.Identity, data: Buffer.from(IDENTITY) });
    air.sendEap(sta, right);
    air.runFor(10);
    const reqs = air.radiusRequests();
    assert.equal(reqs.length, 1, 'the right answer still goes through');
    assert.ok(reqs[0].effect.eap.equals(right));

    // A wrong Identifier to a relayed challenge is dropped too.
    air.answerRadius(reqs[0].effect.ref, { outcome: 'challenge', eap: encodeEap({ code: EapCode.Request, identifier: 0x42, type: EapType.Peap, data: Buffer.from([0x20]) }), state: Buffer.from('s1') });
    air.runFor(10);
    air.sendEap(sta, encodeEap({ code: EapCode.Response, identifier: 0x41, type: EapType.Peap, data: Buffer.alloc(1) }));
    air.runFor(10);
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="eap_id_mismatch"}'), 2);
    assert.equal(air.radiusRequests().length, 1);
  });

  void it('Access-Accept: the server\'s EAP-Success relayed, msg 1/4 with PMKID KDE = HMAC-SHA1-128(MSK[0..32], "PMK Name"||AA||SPA), 4-way completes, set-port with VLAN and Session-Timeout, accounting start then stop (cause 1) when the station leaves', async () => {
    const classes = [Buffer.from('class-a'), Buffer.from('class-b')];
    const { air, sta, st, replies } = enterprise({ radius: { msk: FIXED_MSK, vlanId: 42, sessionTimeoutS: 3600, classes } });
    air.associate(sta);
    air.runFor(1000);

    const accept = replies.find((r) => r.reply.outcome === 'accept');
    assert.ok(accept !== undefined);
    const success = air.eapTransmissions(sta, (p) => p.code === EapCode.Success);
    assert.equal(success.length, 1);
    assert.ok(success[0].raw.equals(accept.reply.eap!), "the server's EAP-Success, byte for byte");
    assert.equal(success[0].effect.protected, false);
    assert.equal(air.eapTransmissions(sta, (p) => p.code === EapCode.Failure).length, 0);

    const pmk = FIXED_MSK.subarray(0, 32);
    const msg1 = air.transmissions(sta, 'msg1/4');
    assert.equal(msg1.length, 1);
    assert.ok(success[0].i < msg1[0].i, 'EAP-Success leaves before msg 1/4');
    const kde = pmkidKde(msg1[0].info.key?.keyData);
    assert.ok(kde !== undefined, 'msg 1/4 carries a PMKID KDE for an 802.1X AKM');
    assert.equal(kde.toString('hex'), pmkidOf(pmk, BSS1, sta).toString('hex'));
    assert.ok(st.supplicant.pmkidSeen?.equals(kde));

    // The 4-way handshake completes with PMK = MSK[0..32]: the core's TK is the station's.
    assert.equal(st.supplicant.state, 'established');
    const installs = air.effects('install-pairwise-key', (e) => e.sta.equals(sta));
    assert.equal(installs.length, 1);
    assert.ok(installs[0].effect.key.equals(st.supplicant.ptk!.tk));
    const ports = air.effects('set-port', (e) => e.sta.equals(sta));
    assert.equal(ports.length, 1);
    assert.equal(ports[0].effect.authorized, true);
    assert.equal(ports[0].effect.vlanId, 42, 'VLAN from Tunnel-Private-Group-ID');
    assert.equal(ports[0].effect.sessionTimeoutS, 3600);
    assert.equal(air.reports('joined').length, 1);
    assert.equal(await air.metric('airlock_eap_authentications_total{result="accept"}'), 1);
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
    assert.equal(await air.metric('airlock_join_duration_seconds_count{akm="8021x"}'), 1);

    // Accounting start only once the port is authorized (its command-result confirmed).
    assert.equal(air.accounting.length, 1);
    const start = air.effects('accounting');
    assert.equal(start[0].effect.kind, 'start');
    const portConfirmed = air.events('command-result').find((e) => e.event.ref === ports[0].effect.ref);
    assert.ok(portConfirmed !== undefined && start[0].i > portConfirmed.i, 'accounting start after the port is authorized');
    assert.equal(start[0].effect.identity, IDENTITY);
    assert.deepEqual(start[0].effect.classes.map((c) => c.toString()), ['class-a', 'class-b'], 'Class echoed in accounting');
    assert.equal(start[0].effect.acctSessionId, air.radiusRequests(sta)[0].effect.acctSessionId);
    assert.equal(start[0].effect.agentId, 'ap-1');

    air.run({ until: start[0].t + 9400 });
    air.leave(sta);
    air.runFor(10);
    assert.equal(air.accounting.length, 2);
    const stop = air.accounting[1].effect;
    assert.equal(stop.kind, 'stop');
    assert.equal(stop.terminateCause, AcctTerminateCause.UserRequest, 'Acct-Terminate-Cause User-Request (1)');
    assert.equal(stop.acctSessionId, start[0].effect.acctSessionId);
    assert.equal(stop.sessionTimeS, 9, 'seconds since the port opened (accounting start)');
    assert.deepEqual(air.violations, []);
  });

  for (const final of ['accept', 'reject'] as const) {
    const what = final === 'accept' ? 'EAP-Success' : 'EAP-Failure';
    void it(`Access-${final === 'accept' ? 'Accept' : 'Reject'} carrying an ${what} with an unexpected Identifier: relayed as the server sent it, not rebuilt`, () => {
      // The server's final packet is opaque to the authenticator (RFC 3579 §2.6: pass-through).
      const server: RadiusResponder = (req) => {
        const id = req.eap[1];
        if (req.state === undefined) return { outcome: 'challenge', eap: encodeEap({ code: EapCode.Request, identifier: (id + 1) & 0xff, type: EapType.Peap, data: Buffer.from([0x20]) }), state: Buffer.from('s') };
        const eap = encodeEap({ code: final === 'accept' ? EapCode.Success : EapCode.Failure, identifier: (id + 9) & 0xff, type: undefined, data: Buffer.alloc(0) });
        return final === 'accept' ? { outcome: 'accept', eap, msk: FIXED_MSK } : { outcome: 'reject', eap };
      };
      const air = new Air();
      air.addBss({ bssid: BSS1, akms: [AKM.IEEE8021X] });
      const rec = recording(server);
      air.radius = rec.responder;
      const sta = mac(0x5a, 9);
      air.addStation({ mac: sta, eap: { identity: IDENTITY } }, BSS1);
      air.associate(sta);
      air.run();
      const sent = air.eapTransmissions(sta, (p) => p.code === (final === 'accept' ? EapCode.Success : EapCode.Failure));
      assert.equal(sent.length, 1);
      assert.ok(sent[0].raw.equals(rec.replies[1].reply.eap!), `the server's ${what}, byte for byte`);
      assert.equal(air.reports('joined').length, final === 'accept' ? 1 : 0);
    });
  }

  void it('a station disconnected by the operator: accounting stop with Acct-Terminate-Cause Admin-Reset (6)', () => {
    const { air, sta } = enterprise();
    air.associate(sta);
    air.run();
    assert.equal(air.reports('joined').length, 1);
    air.runFor(4000);
    air.operator('disconnectStation', (core, now) => core.disconnectStation(sta, 1, now, 'a Dynamic Authorization Disconnect-Request from pf'));
    air.run();
    const acct = air.accounting.map((a) => a.effect);
    assert.deepEqual(acct.map((a) => a.kind), ['start', 'stop']);
    assert.equal(acct[1].terminateCause, AcctTerminateCause.AdminReset);
    assert.equal(acct[1].sessionTimeS, 4);
    assert.equal(air.effects('disconnect').length, 1);
    // Its station-left report (station events) says who disconnected it.
    const left = air.reports('station-left');
    assert.equal(left.length, 1);
    assert.equal(left[0].detail, 'disconnected by a Dynamic Authorization Disconnect-Request from pf');
    assert.equal(left[0].initiator, 'authenticator');
  });

  void it('Access-Accept without an MSK: treated as a failure (accept_without_msk), EAP-Failure, no 4-way handshake, disconnect reason 23', async () => {
    const { air, sta, st } = enterprise({ radius: { omitMsk: true } });
    air.associate(sta);
    air.run();
    assert.equal(await air.metric('airlock_frames_dropped_total{reason="accept_without_msk"}'), 1);
    assert.equal(air.eapTransmissions(sta, (p) => p.code === EapCode.Success).length, 0, 'no EAP-Success without keys');
    assert.equal(air.eapTransmissions(sta, (p) => p.code === EapCode.Failure).length, 1);
    assert.equal(air.transmissions(sta, 'msg1/4').length, 0);
    assert.equal(air.reports('pmksa').length, 0, 'nothing cached');
    assert.deepEqual(st.disconnects, [23]);
    assert.equal(await air.metric('airlock_eap_authentications_total{result="accept"}'), 0);
    assert.equal(await air.metric('airlock_eap_authentications_total{result="reject"}'), 1);
    assert.equal(air.accounting.length, 0);
  });

  void it('Access-Reject: the server\'s EAP-Failure relayed, disconnect reason 23 after failureDisconnectMs; a re-association during quietPeriod gets no Identity request until quietWhile ends', async () => {
    const timing = { quietPeriodMs: 30_000, failureDisconnectMs: 100 };
    const { air, sta, st, replies } = enterprise({ timing, radius: (n) => (n === 1 ? { final: 'reject' } : { final: 'accept' }) });
    air.associate(sta);
    air.run({ until: 5000 });

    const reject = replies.find((r) => r.reply.outcome === 'reject');
    assert.ok(reject !== undefined);
    const failure = air.eapTransmissions(sta, (p) => p.code === EapCode.Failure);
    assert.equal(failure.length, 1);
    assert.ok(failure[0].raw.equals(reject.reply.eap!), "the server's EAP-Failure, byte for byte");
    const disc = air.effects('disconnect', (e) => e.sta.equals(sta));
    assert.equal(disc.length, 1);
    assert.equal(disc[0].effect.reason, 23);
    assert.equal(disc[0].t, failure[0].t + 100);
    assert.equal(await air.metric('airlock_eap_authentications_total{result="reject"}'), 1);
    assert.equal(air.transmissions(sta, 'msg1/4').length, 0);
    assert.equal(st.eap.failures, 1);

    // Back within quietWhile: ignored, even its EAPOL-Start.
    const quietEnd = failure[0].t + 30_000;
    const idBefore = air.eapTransmissions(sta, isIdentityRequest).length;
    air.associate(sta);
    air.runFor(100);
    air.eapolStart(sta);
    air.run({ until: quietEnd - 1 });
    assert.equal(air.eapTransmissions(sta, isIdentityRequest).length, idBefore, 'no Identity request during quietWhile');
    assert.equal(air.radiusRequests().length, 2, 'nothing new went to RADIUS');
    air.run({ until: quietEnd + 1000 });
    const after = air.eapTransmissions(sta, isIdentityRequest).slice(idBefore);
    assert.ok(after.length >= 1, 'an Identity request when quietWhile ends');
    assert.equal(after[0].t, quietEnd);
    assert.equal(air.reports('joined').length, 1, 'and the station can authenticate then');
    assert.deepEqual(air.violations, []);
  });

  void it('RADIUS timeout outcome: EAP-Failure, disconnect reason 23, counted as an EAP timeout', async () => {
    const { air, sta, st } = enterprise({ radius: { challenges: 1, final: 'timeout' } });
    air.associate(sta);
    air.run();
    const eap = air.eapTransmissions(sta);
    assert.equal(eap.at(-1)?.packet.code, EapCode.Failure, 'EAP-Failure to the station');
    const lastRequest = eap.filter((x) => x.packet.code === EapCode.Request).at(-1)!;
    assert.equal(eap.at(-1)?.packet.identifier, lastRequest.packet.identifier);
    assert.deepEqual(st.disconnects, [23]);
    assert.equal(await air.metric('airlock_eap_authentications_total{result="timeout"}'), 1);
    assert.equal(await air.metric('airlock_eap_authentications_total{result="reject"}'), 0);
    assert.equal(air.transmissions(sta, 'msg1/4').length, 0);
  });

  void it('EAPOL-Start during CONNECTING resends the EAP-Request/Identity at once and restarts its retransmission timer', () => {
    const timing = { eapRetransmitMs: 3000 };
    const { air, sta } = enterprise({ timing, eap: { autoRespond: false }, radius: { final: 'silent' } });
    air.associate(sta);
    air.run({ until: 1000 });
    assert.equal(air.eapTransmissions(sta, isIdentityRequest).length, 1);
    air.eapolStart(sta);
    air.run({ until: 1001 });
    const ids = air.eapTransmissions(sta, isIdentityRequest);
    assert.equal(ids.length, 2);
    assert.equal(ids[1].t, 1001, 'sent in answer to EAPOL-Start');
    assert.equal(ids[1].effect.protected, false);
    const cause = air.causeOf(ids[1].i);
    assert.ok(cause.kind === 'event' && cause.event.type === 'eapol');
    air.run({ until: 4500 });
    const later = air.eapTransmissions(sta, isIdentityRequest);
    assert.deepEqual(later.map((x) => x.t), [0, 1001, 4001], 'the next retransmission counts from the new request');
    // The station answers the new request; authentication goes on.
    air.sendEap(sta, encodeEap({ code: EapCode.Response, identifier: ids[1].packet.identifier, type: EapType.Identity, data: Buffer.from(IDENTITY) }));
    air.runFor(10);
    assert.equal(air.radiusRequests().length, 1);
  });

  void it('EAPOL-Start after authorization starts a reauthentication: Identity request sent PROTECTED, RADIUS again, a new protected 4-way handshake, the port stays open', () => {
    const { air, sta, st } = enterprise();
    air.associate(sta);
    air.run();
    assert.equal(air.reports('joined').length, 1);
    const firstMsg1 = air.transmissions(sta, 'msg1/4')[0];
    const mark = air.timeline.length;
    air.eapolStart(sta);
    air.run();

    const ids = air.eapTransmissions(sta, isIdentityRequest).filter((x) => x.i >= mark);
    assert.ok(ids.length >= 1);
    assert.equal(ids[0].effect.protected, true, 'the PTK is in use: the Identity request leaves protected');
    assert.equal(air.radiusRequests(sta).filter((x) => x.i >= mark).length, 2, 'a full EAP exchange with RADIUS');
    const msg1 = air.transmissions(sta, 'msg1/4').filter((x) => x.i >= mark);
    assert.equal(msg1.length, 1);
    assert.equal(msg1[0].effect.protected, true);
    assert.ok(!msg1[0].info.nonce.equals(firstMsg1.info.nonce), 'a fresh ANonce');
    assert.ok(pmkidKde(msg1[0].info.key?.keyData)?.equals(pmkidOf(scriptedMsk(sta, 2).subarray(0, 32), BSS1, sta)), 'PMKID of the new PMK');
    const installs = air.effects('install-pairwise-key').filter((x) => x.i >= mark);
    assert.equal(installs.length, 1);
    assert.ok(installs[0].effect.key.equals(st.supplicant.ptk!.tk), 'the new TK is the station one (new PMK)');
    assert.equal(air.effects('set-port', (e) => !e.authorized).length, 0, 'the port is never closed');
    assert.equal(air.reports('joined').length, 1, 'a reauthentication is not a second join');
    assert.deepEqual(air.accounting.map((a) => a.effect.kind), ['start']);
    assert.equal(air.effects('disconnect').length, 0);
    assert.deepEqual(air.violations, []);
  });

  void it('reauthentication: the new EAP-Request/Identity carries an Identifier different from the last EAP-Request (RFC 3748 §4.1)', () => {
    const { air, sta } = enterprise();
    air.associate(sta);
    air.run();
    const lastRequest = air.eapTransmissions(sta, (p) => p.code === EapCode.Request).at(-1)!;
    const mark = air.timeline.length;
    air.eapolStart(sta);
    air.runFor(1);
    const id = air.eapTransmissions(sta, isIdentityRequest).filter((x) => x.i >= mark)[0];
    assert.notEqual(id.packet.identifier, lastRequest.packet.identifier, 'a new Request must not reuse the Identifier of the previous one: a peer takes it for a retransmission');
  });

  void it('EAPOL-Logoff after authorization: port closed, pairwise key removed, accounting stop (cause 1), then a new unprotected Identity request', () => {
    const { air, sta } = enterprise();
    air.associate(sta);
    air.run();
    assert.equal(air.reports('joined').length, 1);
    // After its logoff the station stays quiet: the new Identity request goes unanswered.
    air.station(sta).spec.eap!.autoRespond = false;
    const mark = air.timeline.length;
    air.eapolLogoff(sta);
    air.runFor(10);

    const closed = air.effects('set-port', (e) => e.sta.equals(sta) && !e.authorized).filter((x) => x.i >= mark);
    assert.equal(closed.length, 1, 'set-port authorized=false');
    const removed = air.effects('remove-pairwise-key', (e) => e.sta.equals(sta)).filter((x) => x.i >= mark);
    assert.equal(removed.length, 1);
    const stop = air.effects('accounting').filter((x) => x.i >= mark);
    assert.equal(stop.length, 1);
    assert.equal(stop[0].effect.kind, 'stop');
    assert.equal(stop[0].effect.terminateCause, AcctTerminateCause.UserRequest);
    const ids = air.eapTransmissions(sta, isIdentityRequest).filter((x) => x.i >= mark);
    assert.equal(ids.length, 1, 'a new Identity request');
    assert.equal(ids[0].effect.protected, false, 'the key is gone: unprotected');
    assert.ok(ids[0].i > removed[0].i && ids[0].i > closed[0].i, 'after the port closed and the key was removed');
    assert.equal(air.effects('disconnect').length, 0, 'the association stays');
    assert.equal(air.radio(sta)?.portAuthorized, false);
    assert.equal(air.radio(sta)?.tk, undefined);
    assert.deepEqual(air.violations, []);
  });

  void it('Session-Timeout with Termination-Action RADIUS-Request: at expiry a protected Identity request, RADIUS again, a new 4-way handshake (protected msg 1/4, new ANonce); the port stays authorized, no second join', async () => {
    const { air, sta, st } = enterprise({ radius: { sessionTimeoutS: 60, terminationAction: 1 } });
    air.associate(sta);
    air.run({ until: 50_000 });
    assert.equal(air.reports('joined').length, 1);
    const success = air.eapTransmissions(sta, (p) => p.code === EapCode.Success)[0];
    const firstMsg1 = air.transmissions(sta, 'msg1/4')[0];
    const mark = air.timeline.length;
    air.run({ until: success.t + 60_000 + 1000 });

    const ids = air.eapTransmissions(sta, isIdentityRequest).filter((x) => x.i >= mark);
    assert.ok(ids.length >= 1, 'reauthentication at Session-Timeout');
    assert.equal(ids[0].t, success.t + 60_000);
    assert.equal(ids[0].effect.protected, true);
    const reqs = air.radiusRequests(sta).filter((x) => x.i >= mark);
    assert.equal(reqs.length, 2, 'RADIUS again');
    assert.equal(reqs[0].effect.state, undefined, 'a new conversation');
    const msg1 = air.transmissions(sta, 'msg1/4').filter((x) => x.i >= mark);
    assert.equal(msg1.length, 1);
    assert.equal(msg1[0].effect.protected, true);
    assert.ok(!msg1[0].info.nonce.equals(firstMsg1.info.nonce));
    const installs = air.effects('install-pairwise-key').filter((x) => x.i >= mark);
    assert.equal(installs.length, 1);
    assert.ok(installs[0].effect.key.equals(st.supplicant.ptk!.tk));
    assert.equal(air.effects('set-port', (e) => !e.authorized).length, 0);
    assert.equal(air.radio(sta)?.portAuthorized, true);
    assert.equal(air.reports('joined').length, 1);
    assert.equal(air.effects('disconnect').length, 0);
    assert.deepEqual(air.accounting.map((a) => a.effect.kind), ['start']);
    assert.equal(await air.metric('airlock_eap_authentications_total{result="accept"}'), 2);
    assert.deepEqual(air.violations, []);
  });

  void it('Session-Timeout without Termination-Action: disconnect at expiry (reason 2), accounting stop with Acct-Terminate-Cause Session-Timeout (5)', () => {
    const { air, sta, st } = enterprise({ radius: { sessionTimeoutS: 60 } });
    air.associate(sta);
    air.run();
    const success = air.eapTransmissions(sta, (p) => p.code === EapCode.Success)[0];
    const disc = air.effects('disconnect', (e) => e.sta.equals(sta));
    assert.equal(disc.length, 1);
    assert.equal(disc[0].effect.reason, 2, 'previous authentication no longer valid');
    assert.equal(disc[0].t, success.t + 60_000);
    assert.deepEqual(st.disconnects, [2]);
    assert.equal(air.radiusRequests(sta).length, 2, 'no reauthentication');
    const acct = air.accounting.map((a) => a.effect);
    assert.deepEqual(acct.map((a) => a.kind), ['start', 'stop']);
    assert.equal(acct[1].terminateCause, AcctTerminateCause.SessionTimeout);
    assert.equal(acct[1].sessionTimeS, 60);
  });

  void it('reauthentication rejected: the port closes at once with the EAP-Failure (IEEE 802.1X-2004 HELD: portStatus = Unauthorized), disconnect reason 23 after the delay', () => {
    const { air, sta } = enterprise({ timing: { failureDisconnectMs: 500 }, radius: (n) => (n === 1 ? {} : { final: 'reject' }) });
    air.associate(sta);
    air.run();
    assert.equal(air.reports('joined').length, 1);
    air.eapolStart(sta);
    air.run();
    const failure = air.eapTransmissions(sta, (p) => p.code === EapCode.Failure);
    assert.equal(failure.length, 1);
    assert.equal(failure[0].effect.protected, true);
    const disc = air.effects('disconnect', (e) => e.sta.equals(sta));
    assert.equal(disc.length, 1);
    assert.equal(disc[0].effect.reason, 23);
    assert.equal(disc[0].t, failure[0].t + 500);
    const closed = air.effects('set-port', (e) => e.sta.equals(sta) && !e.authorized);
    assert.equal(closed.length, 1, 'set-port authorized=false when the reauthentication fails');
    assert.equal(closed[0].t, failure[0].t, 'not 500 ms later');
  });

  void it('PMKSA caching (OKC across agents): a station that re-associates to another agent\'s BSS with the PMKID for that AA skips EAP; msg 1/4 carries that PMKID; the 4-way completes with the cached PMK', async () => {
    const { air, sta, st } = enterprise({ second: true, radius: { msk: FIXED_MSK, vlanId: 7, classes: [Buffer.from('c1')] } });
    air.associate(sta);
    air.run();
    assert.equal(air.reports('joined').length, 1);
    assert.equal(air.reports('pmksa').filter((r) => r.event === 'cached').length, 1);
    air.leave(sta);
    air.runFor(5000);
    const mark = air.timeline.length;
    const eapBefore = air.eapTransmissions(sta).length;

    const pmk = FIXED_MSK.subarray(0, 32);
    const pmkid2 = pmkidOf(pmk, BSS2, sta);
    air.associate(sta, { bssid: BSS2, pmkids: [pmkid2] });
    air.run();

    assert.equal(air.radiusRequests().filter((x) => x.i >= mark).length, 0, 'no radius-request at all');
    assert.equal(air.eapTransmissions(sta).length, eapBefore, 'no EAP at all');
    const msg1 = air.transmissions(sta, 'msg1/4').filter((x) => x.i >= mark);
    assert.equal(msg1.length, 1);
    assert.ok(msg1[0].effect.bssid.equals(BSS2));
    const kde = pmkidKde(msg1[0].info.key?.keyData);
    assert.equal(kde?.toString('hex'), pmkid2.toString('hex'), 'the PMKID KDE for the new AA');
    const cause = air.causeOf(msg1[0].i);
    assert.ok(cause.kind === 'event' && cause.event.type === 'associated', 'straight from the association to msg 1/4');
    assert.equal(st.supplicant.state, 'established');
    const installs = air.effects('install-pairwise-key').filter((x) => x.i >= mark);
    assert.equal(installs.length, 1);
    assert.ok(installs[0].effect.bssid.equals(BSS2));
    assert.ok(installs[0].effect.key.equals(st.supplicant.ptk!.tk), 'the cached PMK is the one the station holds');
    assert.equal(air.reports('joined').length, 2);
    assert.equal(air.reports('pmksa').filter((r) => r.event === 'used').length, 1);
    // The cached authorization comes along.
    const port = air.effects('set-port', (e) => e.authorized).filter((x) => x.i >= mark);
    assert.equal(port[0].effect.vlanId, 7);
    const acct = air.effects('accounting').filter((x) => x.i >= mark);
    assert.equal(acct.length, 1);
    assert.equal(acct[0].effect.kind, 'start');
    assert.equal(acct[0].effect.agentId, 'ap-2');
    assert.equal(acct[0].effect.identity, IDENTITY);
    assert.deepEqual(acct[0].effect.classes.map((c) => c.toString()), ['c1']);
    assert.equal(await air.metric('airlock_eap_authentications_total{result="accept"}'), 1, 'one EAP authentication in all');
    assert.deepEqual(air.violations, []);
  });

  for (const c of [
    { desc: 'an unknown PMKID', pmkid: () => Buffer.alloc(16, 0x5c) },
    { desc: 'the PMKID computed for the AA of the BSS it left', pmkid: (pmk: Buffer, sta: Buffer) => pmkidOf(pmk, BSS1, sta) },
  ]) {
    void it(`PMKSA caching: re-association with ${c.desc} falls back to full EAP`, () => {
      const { air, sta, st } = enterprise({ second: true, radius: { msk: FIXED_MSK } });
      air.associate(sta);
      air.run();
      air.leave(sta);
      air.runFor(1000);
      const mark = air.timeline.length;
      air.associate(sta, { bssid: BSS2, pmkids: [c.pmkid(FIXED_MSK.subarray(0, 32), sta)] });
      air.run();
      const ids = air.eapTransmissions(sta, isIdentityRequest).filter((x) => x.i >= mark);
      assert.ok(ids.length >= 1, 'EAP-Request/Identity');
      const cause = air.causeOf(ids[0].i);
      assert.ok(cause.kind === 'event' && cause.event.type === 'associated');
      assert.equal(air.radiusRequests().filter((x) => x.i >= mark).length, 2);
      const msg1 = air.transmissions(sta, 'msg1/4').filter((x) => x.i >= mark);
      assert.equal(msg1.length, 1);
      assert.ok(air.radiusRequests().at(-1)!.i < msg1[0].i, 'msg 1/4 only after EAP');
      assert.equal(air.reports('pmksa').filter((r) => r.event === 'used').length, 0);
      assert.equal(st.supplicant.state, 'established');
      assert.equal(air.reports('joined').length, 2);
    });
  }

  void it('PMKSA caching: an entry past pmksaLifetimeMs falls back to EAP (and one within it does not)', () => {
    const { air, sta } = enterprise({ second: true, timing: { pmksaLifetimeMs: 20_000 } });
    air.associate(sta);
    air.run();
    const cachedAt = air.eapTransmissions(sta, (p) => p.code === EapCode.Success)[0].t;
    const pmk = air.station(sta).eap.pmk!;
    // Within the lifetime: cached.
    air.leave(sta);
    air.run({ until: cachedAt + 10_000 });
    let mark = air.timeline.length;
    air.associate(sta, { bssid: BSS2, pmkids: [pmkidOf(pmk, BSS2, sta)] });
    air.runFor(1000);
    assert.equal(air.radiusRequests().filter((x) => x.i >= mark).length, 0, 'within the lifetime: no EAP');
    assert.equal(air.reports('joined').length, 2);
    // Past it: full EAP.
    air.leave(sta);
    air.run({ until: cachedAt + 20_001 });
    mark = air.timeline.length;
    air.associate(sta, { bssid: BSS1, pmkids: [pmkidOf(pmk, BSS1, sta)] });
    air.runFor(1000);
    assert.equal(air.radiusRequests().filter((x) => x.i >= mark).length, 2, 'expired: full EAP');
    assert.equal(air.reports('joined').length, 3);
  });

  void it('PMKSA caching: a Session-Timeout shorter than the PMKSA lifetime bounds the entry', () => {
    const { air, sta } = enterprise({ second: true, radius: { sessionTimeoutS: 10, terminationAction: 1 } });
    air.associate(sta);
    air.runFor(1000);
    const cachedAt = air.eapTransmissions(sta, (p) => p.code === EapCode.Success)[0].t;
    const pmk = air.station(sta).eap.pmk!;
    air.leave(sta);
    air.run({ until: cachedAt + 5000 });
    let mark = air.timeline.length;
    air.associate(sta, { bssid: BSS2, pmkids: [pmkidOf(pmk, BSS2, sta)] });
    air.runFor(1000);
    assert.equal(air.radiusRequests().filter((x) => x.i >= mark).length, 0, 'within the Session-Timeout: cached');
    air.leave(sta);
    air.run({ until: cachedAt + 10_001 });
    mark = air.timeline.length;
    air.associate(sta, { bssid: BSS2, pmkids: [pmkidOf(pmk, BSS2, sta)] });
    air.runFor(1000);
    assert.equal(air.radiusRequests().filter((x) => x.i >= mark).length, 2, 'past the Session-Timeout: full EAP');
    assert.equal(air.reports('pmksa').filter((r) => r.event === 'used').length, 1);
  });

  void it('a PMKSA-cached station reauthenticates at the rest of its Session-Timeout, not a full new one', () => {
    const { air, sta } = enterprise({ second: true, radius: { sessionTimeoutS: 30, terminationAction: 1 } });
    air.associate(sta);
    air.runFor(1000);
    const cachedAt = air.eapTransmissions(sta, (p) => p.code === EapCode.Success)[0].t;
    const pmk = air.station(sta).eap.pmk!;
    air.leave(sta);
    air.run({ until: cachedAt + 10_000 });
    const mark = air.timeline.length;
    air.associate(sta, { bssid: BSS2, pmkids: [pmkidOf(pmk, BSS2, sta)] });
    air.run({ until: cachedAt + 31_000 });
    const ids = air.eapTransmissions(sta, isIdentityRequest).filter((x) => x.i >= mark);
    assert.ok(ids.length >= 1, 'reauthentication when the cached session ends');
    assert.equal(ids[0].t, cachedAt + 30_000);
    assert.equal(ids[0].effect.protected, true);
  });
});
