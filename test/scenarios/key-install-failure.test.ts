/**
 * The agent cannot apply a key or port command (CommandResult ok=false), IEEE 802.11-2020
 * §12.7.10.2 PTKINITDONE (MLME-SETKEYS) and hostapd's wpa_auth.c: when set_key of the PTK
 * fails, hostapd disconnects the station with reason 2 (previous authentication no longer
 * valid) and never authorizes it. DESIGN.md invariant 6: the port opens only once the agent
 * confirmed the install of the pairwise key.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AKM } from '@airlock/rsn';
import { Air, mac, scriptedRadius, type CommandEffect, type CommandOutcome } from './harness.js';
import { keyRequest } from './frames.js';

const BSSID = mac(0xb0, 1);
const INSTALL_ERROR = 'nl80211 NEW_KEY: -22 (Invalid argument)';
const PORT_ERROR = 'nl80211 SET_STATION authorized: -95 (Operation not supported)';

/** Fails every command of type `type` with `error`; every other command succeeds. */
function failing(type: CommandEffect['type'], error: string): (e: CommandEffect) => CommandOutcome {
  return (e) => (e.type === type ? { ok: false, error } : { ok: true });
}

void describe('key install failure at the agent', () => {
  void it('InstallPairwiseKey answered ok=false: the port never opens, the station is disconnected with reason 2, counted as a failed command', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 1);
    const st = air.addStation({ mac: sta }, BSSID);
    air.commandOutcome = failing('install-pairwise-key', INSTALL_ERROR);
    let portOpenAtRadio = false;
    air.onEffects = () => {
      if (air.radio(sta)?.portAuthorized === true) portOpenAtRadio = true;
    };
    air.associate(sta);
    air.run();

    // The 4-way handshake itself succeeded: msg 4/4 verified and the install was asked for.
    const installs = air.effects('install-pairwise-key', (e) => e.sta.equals(sta));
    assert.equal(installs.length, 1);
    const stationTk = st.log.map((x) => x.effect).find((e) => e.type === 'install-ptk');
    assert.ok(stationTk?.type === 'install-ptk' && installs[0].effect.key.equals(stationTk.tk), 'the TK asked for is the one the station installed');
    const failed = air.events('command-result').filter((e) => e.event.ref === installs[0].effect.ref);
    assert.equal(failed.length, 1);
    assert.equal(failed[0].event.ok, false);

    // The answer closes the association: no port command, the station deauthenticated with reason 2.
    assert.equal(air.effects('set-port', (e) => e.authorized).length, 0, 'no SetPortAuthorized(authorized) after a failed install');
    assert.equal(portOpenAtRadio, false, 'the port was never open at the radio');
    const answer = air.effectsOf(failed[0].i).map((e) => (e.type === 'report' ? `report:${e.report.kind}` : e.type));
    assert.ok(answer.includes('report:command-failed') && answer.includes('disconnect'), `effects of the failed result: ${answer.join(', ')}`);
    assert.ok(!answer.includes('set-port'), 'no port command in answer to the failure');
    const disc = air.effects('disconnect', (e) => e.sta.equals(sta));
    assert.equal(disc.length, 1);
    assert.equal(disc[0].effect.reason, 2, 'reason 2 (previous authentication no longer valid), as hostapd');
    assert.equal(disc[0].effect.deauth, true);
    assert.equal(air.causeOf(disc[0].i).i, failed[0].i, 'the failed CommandResult itself leads to the disconnect');
    assert.deepEqual(st.disconnects, [2]);

    const reports = air.reports('command-failed');
    assert.equal(reports.length, 1);
    assert.equal(reports[0].command, 'install-pairwise-key');
    assert.equal(reports[0].error, INSTALL_ERROR);
    assert.ok(reports[0].sta?.equals(sta));
    assert.equal(await air.metric('airlock_agent_command_failures_total{command="install-pairwise-key"}'), 1);
    const left = air.reports('station-left').filter((r) => r.sta.equals(sta));
    assert.equal(left.length, 1);
    assert.equal(left[0].reason, 2);
    assert.equal(left[0].initiator, 'authenticator');
    assert.equal(left[0].wasAuthorized, false);
    assert.equal(air.reports('joined').length, 0, 'never joined');
    assert.equal(await air.metric('airlock_stations{state="authorized"}'), 0);
    assert.equal(air.core.station(sta), undefined);
    assert.equal(air.core.nextDeadline(), undefined);
    assert.deepEqual(air.violations, []);
  });

  void it('802.1X station, InstallPairwiseKey answered ok=false: no port, no Accounting-Start, disconnect reason 2', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID, akms: [AKM.IEEE8021X] });
    air.radius = scriptedRadius({ vlanId: 42, sessionTimeoutS: 3600 });
    const sta = mac(0x5a, 2);
    const st = air.addStation({ mac: sta, eap: { identity: 'alice@example.org' } }, BSSID);
    air.commandOutcome = failing('install-pairwise-key', INSTALL_ERROR);
    air.associate(sta);
    air.run();

    assert.equal(st.eap.successes, 1, 'EAP succeeded');
    assert.equal(air.effects('install-pairwise-key').length, 1, 'the 4-way handshake completed');
    assert.equal(air.effects('set-port', (e) => e.authorized).length, 0, 'the port never opens, whatever RADIUS granted');
    assert.deepEqual(air.accounting.map((a) => a.effect.kind), [], 'no accounting session for a station that never got its key');
    assert.deepEqual(st.disconnects, [2]);
    assert.equal(air.reports('joined').length, 0);
    assert.equal(await air.metric('airlock_agent_command_failures_total{command="install-pairwise-key"}'), 1);
    assert.equal(air.core.station(sta), undefined);
    assert.deepEqual(air.violations, []);
  });

  void it('PTK rekey, the new InstallPairwiseKey answered ok=false: the station is disconnected with reason 2', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 3);
    const st = air.addStation({ mac: sta }, BSSID);
    air.associate(sta);
    air.run();
    assert.equal(air.reports('joined').length, 1);
    assert.equal(air.radio(sta)?.portAuthorized, true);

    const start = air.timeline.length;
    air.commandOutcome = failing('install-pairwise-key', INSTALL_ERROR);
    const ptk = st.supplicant.ptk;
    assert.ok(ptk !== undefined);
    air.sendUp(sta, keyRequest({ kck: ptk.kck, descriptorVersion: 2, replayCounter: 1n, pairwise: true }));
    air.run();

    const installs = air.effects('install-pairwise-key').filter((x) => x.i >= start);
    assert.equal(installs.length, 1, 'the rekey handshake completed and asked for the new TK');
    assert.equal(air.effects('set-port').filter((x) => x.i >= start && x.effect.authorized).length, 0, 'the port is not re-confirmed with a key that is not in place');
    const disc = air.effects('disconnect', (e) => e.sta.equals(sta));
    assert.equal(disc.length, 1);
    assert.equal(disc[0].effect.reason, 2);
    assert.deepEqual(st.disconnects, [2]);
    const left = air.reports('station-left').filter((r) => r.sta.equals(sta));
    assert.equal(left.length, 1);
    assert.equal(left[0].wasAuthorized, true);
    assert.equal(await air.metric('airlock_agent_command_failures_total{command="install-pairwise-key"}'), 1);
    assert.equal(air.core.station(sta), undefined);
    assert.deepEqual(air.violations, []);
  });

  void it('SetPortAuthorized answered ok=false: never joined, no Accounting-Start, disconnect reason 1', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID, akms: [AKM.IEEE8021X] });
    air.radius = scriptedRadius();
    const sta = mac(0x5a, 4);
    const st = air.addStation({ mac: sta, eap: { identity: 'bob@example.org' } }, BSSID);
    air.commandOutcome = failing('set-port', PORT_ERROR);
    air.associate(sta);
    air.run();

    const port = air.effects('set-port', (e) => e.authorized);
    assert.equal(port.length, 1, 'the port was asked for once the key was in place');
    assert.ok(port[0].i > air.effects('install-pairwise-key')[0].i);
    assert.equal(air.reports('joined').length, 0, 'an unconfirmed port is not a join');
    assert.deepEqual(air.accounting.map((a) => a.effect.kind), []);
    assert.deepEqual(st.disconnects, [1]);
    const reports = air.reports('command-failed');
    assert.deepEqual(reports.map((r) => [r.command, r.error]), [['set-port', PORT_ERROR]]);
    assert.equal(await air.metric('airlock_agent_command_failures_total{command="set-port"}'), 1);
    assert.equal(air.core.station(sta), undefined);
    assert.deepEqual(air.violations, []);
  });
});
