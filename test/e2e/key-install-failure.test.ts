/**
 * InstallPairwiseKey answered with CommandResult ok=false, end to end over real gRPC on
 * 127.0.0.1: the service hands the failure to the core (services/authenticator service.ts,
 * 'commandResult'), which never authorizes the port and disconnects the station with reason
 * 2, as hostapd's PTKINITDONE does when set_key fails. A raw agent plays the radio; a real
 * Supplicant runs the station's side of the 4-way handshake.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ControllerMessage } from '@airlock/proto';
import type { RunningAuthenticator } from '@airlock/authenticator';
import { simBssRsne } from '@airlock/edge-agent';
import { AKM, CIPHER, pbkdf2Psk } from '@airlock/rsn';
import { Supplicant } from '@airlock/supplicant';
import { bssInfo, RawAgent, type AgentBody } from '../support/raw-agent.js';
import { agentCredentials } from '../support/test-pki.js';
import { fetchMetrics, startTestAuthenticator, testConfig, TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

const RSNE = simBssRsne(AKM.PSK);
const SSID = Buffer.from(TEST_SSID, 'utf8');
const BSSID = Buffer.from('02a1009900e1', 'hex');
const STA = Buffer.from('025b009900e1', 'hex');
const INSTALL_ERROR = 'nl80211 NEW_KEY: -22 (Invalid argument)';

void describe('InstallPairwiseKey fails at the agent', () => {
  let auth: RunningAuthenticator;
  let raw: RawAgent | undefined;

  before(async () => {
    // No TX status from the raw agent: a long first timeout keeps msg 1/4 and 3/4 from
    // being retransmitted while the test answers them.
    auth = await startTestAuthenticator(testConfig(undefined, (c) => {
      c.eapol.firstTimeoutNoTxStatusMs = 20_000;
    }));
  });
  after(async () => {
    raw?.close();
    await auth?.stop(500);
  });

  void it('CommandResult ok=false for InstallPairwiseKey: no SetPortAuthorized, Disconnect with reason 2, counted by command', async () => {
    const agent = new RawAgent(`localhost:${auth.grpcPort}`, { credentials: agentCredentials('raw-12') });
    raw = agent;
    agent.hello({ agentId: 'raw-12', bsses: [bssInfo({ bssid: BSSID, ssid: SSID, rsne: RSNE })], reportsTxStatus: false });
    await agent.nextMessage((m) => m.body?.$case === 'welcome');

    const forSta = (c: NonNullable<ControllerMessage['body']>['$case']) => (m: ControllerMessage): boolean =>
      m.body?.$case === c && (m.body.value as { sta?: Buffer }).sta?.equals(STA) === true;
    const eapol = (frame: Buffer): AgentBody => ({ $case: 'eapolReceived', value: { bssid: BSSID, sta: STA, frame } });
    const sup = new Supplicant({
      spa: STA, aa: BSSID, pmk: pbkdf2Psk(TEST_PASSPHRASE, SSID), akm: AKM.PSK,
      pairwiseCipher: CIPHER.CCMP_128, groupCipher: CIPHER.CCMP_128, assocRsne: RSNE, apRsne: RSNE, random: (n) => randomBytes(n),
    });
    /** The station's answer to one EAPOL-Key frame from the authenticator. */
    const answer = (m: ControllerMessage): Buffer => {
      assert.ok(m.body?.$case === 'transmitEapol');
      const out = sup.receive(m.body.value.frame).filter((e) => e.type === 'transmit');
      assert.equal(out.length, 1, 'the supplicant answers');
      return out[0].frame;
    };

    let from = agent.received.length;
    agent.send({ $case: 'stationAssociated', value: { bssid: BSSID, sta: STA, rsne: RSNE, reassociation: false, previousBssid: Buffer.alloc(0), rsnxe: Buffer.alloc(0) } });
    const msg1 = await agent.nextMessage(forSta('transmitEapol'), 3000, from);
    from = agent.received.length;
    agent.send(eapol(answer(msg1))); // msg 2/4
    const msg3 = await agent.nextMessage(forSta('transmitEapol'), 3000, from);
    from = agent.received.length;
    agent.send(eapol(answer(msg3))); // msg 4/4
    const install = await agent.nextMessage(forSta('installPairwiseKey'), 3000, from);
    assert.ok(install.body?.$case === 'installPairwiseKey');
    assert.ok(sup.ptk !== undefined && install.body.value.key.equals(sup.ptk.tk), 'the handshake completed: the TK is the station one');

    from = agent.received.length;
    agent.send({ $case: 'commandResult', value: { commandSeq: install.seq, ok: false, error: INSTALL_ERROR } });
    const disc = await agent.nextMessage(forSta('disconnect'), 3000, from);
    assert.ok(disc.body?.$case === 'disconnect');
    assert.equal(disc.body.value.reason, 2, 'reason 2 (previous authentication no longer valid), as hostapd');
    assert.equal(disc.body.value.deauthentication, true);
    // Whatever else followed the failure, none of it opens the port.
    await new Promise((r) => setTimeout(r, 200));
    const after = agent.received.slice(from);
    assert.ok(!after.some((m) => m.body?.$case === 'setPortAuthorized' && m.body.value.authorized), 'no SetPortAuthorized(authorized) after the failed install');
    assert.equal(auth.service.core.station(STA), undefined, 'the station is gone from the core');
    assert.ok(await waitFor(async () => ((await fetchMetrics(auth)).get('airlock_agent_command_failures_total{command="install-pairwise-key"}') ?? 0) === 1, 2000),
      'the failure is counted under its command');
    assert.ok(agent.open, 'a failed command is not a protocol error: the stream stays open');
  });
});
