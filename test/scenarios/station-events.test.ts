/**
 * What the core tells the operator about a station (issue 14 item 4), on virtual time:
 * - an IEEE 802.1X authentication is recorded with the handshake it keys (`explain`): the
 *   EAP-Response/Identity, the method the station answered with, the RADIUS server and round
 *   trip of each round (at most MAX_AUTH_ROUNDS kept, all counted), VLAN and Session-Timeout
 *   of the Access-Accept; a rejoin with a cached PMKSA is recorded as a cache hit, no rounds;
 * - the 'eap' and 'joined' reports carry the agent and that record;
 * - 'station-left' says how an association ended: the station's Disassociation reason,
 *   the authenticator's own (reason 15 after a 4-way handshake timeout, with the cause in
 *   words), and the BSS going away (no reason code, the agent).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { AKM, EapType, MAX_AUTH_ROUNDS, reasonText } from '@airlock/rsn';
import { Air, mac, scriptedRadius, type RadiusResponder } from './harness.js';

const BSS = mac(0xb1, 1);
const IDENTITY = 'alice@example.org';

/** The scripted server, as the glue delivers it: with the server's name and each round trip. */
function named(server: RadiusResponder, name: string): RadiusResponder {
  let n = 0;
  return (req, air) => {
    const reply = server(req, air);
    return reply === undefined ? undefined : { ...reply, server: name, rttMs: 2 + n++ };
  };
}

void describe('station events and explain records from the core', () => {
  void it('EAP-TTLS authentication: identity, method, server and RTT per round, VLAN and Session-Timeout; then a PMKSA-cached rejoin is a cache hit', () => {
    const air = new Air();
    air.addBss({ bssid: BSS, akms: [AKM.IEEE8021X], agentId: 'ap-1' });
    air.radius = named(scriptedRadius({ challenges: 3, method: EapType.Ttls, vlanId: 42, sessionTimeoutS: 3600 }), 'radius-1');
    const sta = mac(0x5a, 1);
    air.addStation({ mac: sta, eap: { identity: IDENTITY } }, BSS);
    air.associate(sta);
    // Not until idle: the Session-Timeout ends the session an hour later.
    air.run({ until: 10_000 });

    const hs = air.core.history(sta)[0];
    assert.equal(hs?.result, 'success');
    const auth = hs.auth;
    assert.ok(auth !== undefined, 'the handshake refers to its authentication');
    assert.equal(auth.identity, IDENTITY);
    assert.equal(auth.method, EapType.Ttls);
    assert.equal(auth.result, 'accept');
    assert.equal(auth.pmksaCached, false);
    assert.deepEqual(auth.rounds, [
      { server: 'radius-1', rttMs: 2 },
      { server: 'radius-1', rttMs: 3 },
      { server: 'radius-1', rttMs: 4 },
      { server: 'radius-1', rttMs: 5 },
    ], 'identity round, two challenges, the accept');
    assert.equal(auth.roundsTotal, 4);
    assert.equal(auth.vlanId, 42);
    assert.equal(auth.sessionTimeoutS, 3600);

    const eap = air.reports('eap');
    assert.equal(eap.length, 1);
    assert.equal(eap[0].result, 'accept');
    assert.equal(eap[0].agentId, 'ap-1');
    assert.equal(eap[0].auth?.identity, IDENTITY);
    const joined = air.reports('joined');
    assert.equal(joined.length, 1);
    assert.equal(joined[0].vlanId, 42);
    assert.equal(joined[0].auth?.method, EapType.Ttls);

    // It leaves (reason 8) and comes back offering its PMKID: no EAP, a cache hit.
    air.leave(sta, 8);
    air.run({ until: 20_000 });
    const left = air.reports('station-left');
    assert.equal(left.length, 1);
    assert.deepEqual([left[0].reason, left[0].initiator, left[0].wasAuthorized, left[0].agentId], [8, 'station', true, 'ap-1']);
    const requests = air.radiusRequests().length;
    // PMKID = HMAC-SHA1-128(PMK, "PMK Name" || AA || SPA), IEEE 802.11-2020 §12.7.1.3.
    const pmk = air.station(sta).eap.pmk!;
    const pmkid = createHmac('sha1', pmk).update('PMK Name', 'latin1').update(BSS).update(sta).digest().subarray(0, 16);
    air.associate(sta, { pmkids: [pmkid] });
    air.run({ until: 30_000 });
    assert.equal(air.radiusRequests().length, requests, 'no Access-Request for the cached rejoin');
    const again = air.core.history(sta)[0];
    assert.equal(again.result, 'success');
    assert.equal(again.auth?.pmksaCached, true);
    assert.equal(again.auth?.identity, IDENTITY);
    assert.deepEqual(again.auth?.rounds, []);
    assert.equal(again.auth?.vlanId, 42);
    assert.equal(again.auth?.sessionTimeoutS, 3600);
  });

  void it('the rounds kept per authentication are bounded; every round is counted', () => {
    const air = new Air();
    air.addBss({ bssid: BSS, akms: [AKM.IEEE8021X], agentId: 'ap-1' });
    const challenges = MAX_AUTH_ROUNDS + 10;
    air.radius = named(scriptedRadius({ challenges, method: EapType.Tls }), 'radius-2');
    const sta = mac(0x5a, 2);
    air.addStation({ mac: sta, eap: { identity: 'bob' } }, BSS);
    air.associate(sta);
    air.run();
    const auth = air.core.history(sta)[0]?.auth;
    assert.equal(auth?.result, 'accept');
    assert.equal(auth?.rounds.length, MAX_AUTH_ROUNDS);
    assert.equal(auth?.roundsTotal, challenges + 1);
    assert.equal(auth?.method, EapType.Tls);
  });

  void it('Access-Reject: the eap report carries identity and method; the disconnect is reason 23 by the authenticator, in words', () => {
    const air = new Air({ timing: { failureDisconnectMs: 50 } });
    air.addBss({ bssid: BSS, akms: [AKM.IEEE8021X], agentId: 'ap-1' });
    air.radius = named(scriptedRadius({ challenges: 1, method: EapType.Peap, final: 'reject' }), 'radius-1');
    const sta = mac(0x5a, 3);
    air.addStation({ mac: sta, eap: { identity: 'mallory' } }, BSS);
    air.associate(sta);
    air.run();
    const eap = air.reports('eap');
    assert.deepEqual(eap.map((r) => [r.result, r.auth?.identity, r.auth?.method]), [['reject', 'mallory', EapType.Peap]]);
    const left = air.reports('station-left');
    assert.equal(left.length, 1);
    assert.deepEqual([left[0].reason, left[0].initiator, left[0].wasAuthorized, left[0].detail], [23, 'authenticator', false, '802.1X: Access-Reject']);
    assert.equal(reasonText(left[0].reason), 'reason 23 (IEEE 802.1X authentication failed)');
  });

  void it('wrong passphrase: reason 15 by the authenticator, the handshake detail as the words, the diagnosis on its record', () => {
    const air = new Air();
    air.addBss({ bssid: BSS, akms: [AKM.PSK], agentId: 'ap-1' });
    const sta = mac(0x5a, 4);
    air.addStation({ mac: sta, passphrase: 'not the passphrase at all' }, BSS);
    air.associate(sta);
    air.run();
    const left = air.reports('station-left');
    assert.equal(left.length, 1);
    assert.equal(left[0].reason, 15);
    assert.equal(left[0].initiator, 'authenticator');
    assert.match(left[0].detail, /^msg 1\/4 sent \d+ times, every msg 2\/4 failed its MIC$/);
    assert.equal(left[0].handshake?.diagnosis?.cause, 'psk-mismatch');
    assert.equal(reasonText(15), 'reason 15 (4-way handshake timeout)');
    assert.equal(reasonText(0), 'no reason code');
    assert.equal(reasonText(200), 'reason 200');
  });

  void it('the BSS goes away: its stations leave with no reason code, ended by the agent', () => {
    const air = new Air();
    air.addBss({ bssid: BSS, akms: [AKM.PSK], agentId: 'ap-1' });
    const sta = mac(0x5a, 5);
    air.addStation({ mac: sta }, BSS);
    air.associate(sta);
    air.run();
    air.operator('remove BSS', (core, now) => core.removeBss(BSS, now, 'agent disconnected'));
    const left = air.reports('station-left');
    assert.deepEqual(left.map((r) => [r.reason, r.initiator, r.detail, r.wasAuthorized]), [[0, 'agent', 'agent disconnected', true]]);
  });
});
