/**
 * The interop benchmark's log and capture parsing, on lines in the exact formats seen on
 * this machine (wpa_supplicant 2.10 `-dd -t`; tcpdump 4.99 `-r -tt -n -e` of a LINUX_SLL2
 * capture).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hopsOf, parseTcpdumpText } from './capture.js';
import { AuthLogError, authTiming, lineTimeUs } from './wpa-timing.js';

const WPA = [
  "1795643765.436438: alk2j4n0: Control interface command 'REAUTHENTICATE'",
  '1795643765.436458: EAPOL: txStart',
  '1795643765.436462: TX EAPOL: dst=01:80:c2:00:00:03',
  '1795643765.437443: alk2j4n0: RX EAPOL from 06:a7:0e:68:54:0b',
  '1795643765.437517: EAP: Received EAP-Request id=38 method=1 vendor=0 vendorMethod=0',
  '1795643765.437526: alk2j4n0: CTRL-EVENT-EAP-STARTED EAP authentication started',
  '1795643765.437563: TX EAPOL: dst=01:80:c2:00:00:03',
  '1795643765.438347: alk2j4n0: RX EAPOL from 06:a7:0e:68:54:0b',
  '1795643765.438370: EAP: Received EAP-Request id=39 method=25 vendor=0 vendorMethod=0',
  '1795643765.438409: alk2j4n0: CTRL-EVENT-EAP-METHOD EAP vendor 0 method 25 (PEAP) selected',
  '1795643765.440409: TX EAPOL: dst=01:80:c2:00:00:03',
  '1795643765.441409: alk2j4n0: RX EAPOL from 06:a7:0e:68:54:0b',
  '1795643765.441420: EAP: Received EAP-Request id=39 method=25 vendor=0 vendorMethod=0',
  '1795643765.441500: TX EAPOL: dst=01:80:c2:00:00:03',
  '1795643765.442500: alk2j4n0: RX EAPOL from 06:a7:0e:68:54:0b',
  '1795643765.442526: alk2j4n0: CTRL-EVENT-EAP-SUCCESS EAP authentication completed successfully',
];

void describe('bench:interop parsing', () => {
  void it('reads -t timestamps in microseconds', () => {
    assert.equal(lineTimeUs(WPA[0]), 1795643765436438);
    assert.equal(lineTimeUs('no timestamp'), undefined);
  });

  void it('measures STARTED -> SUCCESS, the waits for the authenticator and retransmissions', () => {
    const t = authTiming(WPA, 0, WPA.length - 1);
    assert.equal(t.totalMs, 5);
    assert.equal(t.exchanges, 3);
    assert.deepEqual(t.waitsMs, [0.784, 1, 1]);
    assert.ok(Math.abs(t.waitMs - 2.784) < 1e-9);
    assert.ok(Math.abs(t.supplicantMs - 2.216) < 1e-9);
    assert.equal(t.methodType, 25);
    assert.equal(t.retransmissions, 1, 'id 39 twice');
  });

  void it('refuses an authentication that restarted (two STARTED lines)', () => {
    const lines = [...WPA.slice(0, 7), WPA[5], ...WPA.slice(7)];
    assert.throws(() => authTiming(lines, 0, lines.length - 1), AuthLogError);
  });

  const ports = { radius: 39359, grpc: 43567 };
  const TCPDUMP = [
    '1795644041.960458 ?     M   ifindex 175 ea:5a:00:6f:e1:45 ethertype EAPOL (0x888e), length 218: EAP packet (0) v1, len 194',
    '1795644041.960677 lo    In  ifindex 1 00:00:00:00:00:00 ethertype IPv4 (0x0800), length 308: 127.0.0.1.54944 > 127.0.0.1.43567: Flags [P.], seq 3368:3604, ack 9095, win 71, options [nop,nop,TS val 1 ecr 2], length 236',
    '1795644041.960700 lo    In  ifindex 1 00:00:00:00:00:00 ethertype IPv4 (0x0800), length 72: 127.0.0.1.43567 > 127.0.0.1.54944: Flags [.], ack 3604, win 64, options [nop,nop,TS val 3 ecr 4], length 0',
    '1795644041.961175 lo    In  ifindex 1 00:00:00:00:00:00 ethertype IPv4 (0x0800), length 451: 127.0.0.1.35901 > 127.0.0.1.39359: UDP, length 403',
    '1795644041.962625 lo    In  ifindex 1 00:00:00:00:00:00 ethertype IPv4 (0x0800), length 1116: 127.0.0.1.39359 > 127.0.0.1.35901: UDP, length 1068',
    '1795644041.962963 lo    In  ifindex 1 00:00:00:00:00:00 ethertype IPv4 (0x0800), length 1118: 127.0.0.1.43567 > 127.0.0.1.54944: Flags [P.], seq 9095:10141, ack 3604, win 64, options [nop,nop,TS val 5 ecr 6], length 1046',
    '1795644041.963203 ?     Out ifindex 175 4a:1c:19:41:2c:7a ethertype EAPOL (0x888e), length 1028: EAP packet (0) v2, len 1004',
    '1795644041.964067 ?     M   ifindex 175 ea:5a:00:6f:e1:45 ethertype EAPOL (0x888e), length 30: EAP packet (0) v1, len 6',
    '1795644041.990000 ?     M   ifindex 174 ca:c5:39:54:89:17 ethertype EAPOL (0x888e), length 24: EAPOL start (1) v1, len 0',
  ].join('\n');

  void it('splits an airlock round trip into hops from tcpdump text', () => {
    const packets = parseTcpdumpText(TCPDUMP, ports);
    assert.deepEqual(packets.map((p) => p.kind), ['sta', 'grpc-up', 'rad-req', 'rad-resp', 'grpc-down', 'to-sta', 'sta', 'sta']);
    assert.equal(packets.at(-1)?.start, true);
    const hops = hopsOf(packets, 175, true);
    const r = (k: string): number => Math.round(hops[k][0] * 1000);
    assert.equal(r('round_trip'), 2745);
    assert.equal(r('agent_in'), 219);
    assert.equal(r('authenticator_in'), 498);
    assert.equal(r('radius'), 1450);
    assert.equal(r('authenticator_out'), 338);
    assert.equal(r('agent_out'), 240);
    assert.equal(r('supplicant'), 864);
    assert.deepEqual(hopsOf(packets, 174, false), {}, 'an EAPOL-Start alone is no round trip');
  });
});
