/**
 * Secrets never reach the logs (issue 5 item 6, DESIGN.md "Observability contract"): a full
 * PSK + EAP (EAP-TLS and TTLS/PAP through the real FreeRADIUS) run with the authenticator
 * and the agents logging at debug level, then every log line is searched for the hex
 * (both cases), base64 and base64url of every PMK, KCK, KEK, TK, GTK and MSK used, and for
 * the passphrase, the TTLS password and the RADIUS shared secret — in the JSON lines and in
 * the same lines in the pretty format (--log-format pretty renders exactly these lines).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger, prettyLogLine } from '@airlock/authenticator';
import type { EdgeAgent, SimDriver } from '@airlock/edge-agent';
import { pbkdf2Psk } from '@airlock/rsn';
import { RADIUS_SECRET, startEnterpriseBed, stationMac, type EnterpriseBed, type Radio } from '../support/enterprise.js';
import { pskNetwork, startSimAgents, TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

const TTLS_USER = { name: 'bob', password: 'ttls password never logged' };
const TLS_USER = 'alice';
const EAP_STATIONS = 4;
const PSK_STATIONS = 6;

/** Every line written to it. */
class LineSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const l of chunk.toString('utf8').split('\n')) if (l !== '') this.lines.push(l);
    done();
  }
}

/** The ways a byte string could be printed. */
function encodings(b: Buffer): string[] {
  const hex = b.toString('hex');
  return [hex, hex.toUpperCase(), b.toString('base64'), b.toString('base64url')];
}

void describe('secrets in logs, debug level, PSK + EAP end to end', () => {
  let bed: EnterpriseBed;
  let radio: Radio;
  let pskAgents: EdgeAgent[] = [];
  let pskDrivers: SimDriver[] = [];
  const authLog = new LineSink();
  const agentLog = new LineSink();

  before(async () => {
    bed = await startEnterpriseBed({
      certificates: [{ name: TLS_USER }],
      passwords: [TTLS_USER],
      logger: createLogger({ level: 'debug', name: 'authenticator', destination: authLog }),
      tweak: (c) => {
        c.log.level = 'debug';
        c.networks.push(pskNetwork());
      },
    });
    const agentLogger = pino({ level: 'debug' }, agentLog);
    const eap = Array.from({ length: EAP_STATIONS }, (_v, i) =>
      i % 2 === 0 ? bed.tlsStation(stationMac(900, i), TLS_USER) : bed.ttlsStation(stationMac(900, i), TTLS_USER.name, TTLS_USER.password));
    radio = await bed.startRadio({ agents: 2, stations: eap, logger: agentLogger });
    ({ agents: pskAgents, drivers: pskDrivers } = await startSimAgents(bed.auth, 1, PSK_STATIONS, () => ({}), { first: 3, logger: agentLogger }));
  });
  after(async () => {
    await Promise.all(pskAgents.map((a) => a.stop()));
    await bed?.close();
  });

  void it('every station authorizes, then a group rekey runs on every BSS', async () => {
    assert.ok(await waitFor(() => radio.sim.authorizedCount() === EAP_STATIONS && pskDrivers[0].authorizedCount() === PSK_STATIONS, 20_000), 'all authorized');
    for (const b of [...radio.bssids, ...pskDrivers[0].bsses().map((x) => x.bssid)]) assert.ok(bed.auth.service.rekeyGroup(b));
    await waitFor(() => false, 1500);
  });

  void it('no log line holds a key, the MSK, the passphrase, the TTLS password or the RADIUS secret', () => {
    const secrets = new Map<string, string>();
    const add = (what: string, b: Buffer | undefined): void => {
      if (b === undefined || b.length === 0) return;
      for (const e of encodings(b)) secrets.set(e, what);
    };
    secrets.set(TEST_PASSPHRASE, 'passphrase');
    secrets.set(TTLS_USER.password, 'TTLS password');
    secrets.set(RADIUS_SECRET, 'RADIUS shared secret');
    add('PSK PMK', pbkdf2Psk(TEST_PASSPHRASE, Buffer.from(TEST_SSID)));
    let keyed = 0;
    for (const d of [radio.sim, pskDrivers[0]]) {
      for (const k of d.keyViews()) {
        add(`${k.sta} TK`, k.stationTk);
        add(`${k.sta} TK at the AP`, k.apTk);
        add(`${k.sta} KCK`, k.stationKck);
        add(`${k.sta} KEK`, k.stationKek);
        add(`${k.sta} GTK`, k.stationGtk?.gtk);
        add(`${k.sta} GTK at the AP`, k.apGtk);
        if (k.stationTk !== undefined && k.stationKck !== undefined && k.stationGtk !== undefined) keyed++;
      }
    }
    for (let i = 0; i < EAP_STATIONS; i++) {
      const msk = radio.sim.lastMsk(stationMac(900, i));
      assert.ok(msk !== undefined && msk.length >= 64, `station ${i}: its MSK is known`);
      add(`station ${i} MSK`, msk);
      add(`station ${i} PMK`, msk.subarray(0, 32));
    }
    assert.equal(keyed, EAP_STATIONS + PSK_STATIONS, 'every station has its keys to look for');

    const json = [...authLog.lines, ...agentLog.lines];
    const lines = [...json, ...json.map((l) => prettyLogLine(l, { colour: false }))];
    // The run did log at debug level, where the most detail is.
    assert.ok(authLog.lines.some((l) => l.includes('"level":20') && l.includes('state transition')), 'the authenticator logged at debug level');
    assert.ok(authLog.lines.some((l) => l.includes('802.1X authentication')), 'EAP outcomes were logged');
    assert.ok(agentLog.lines.length > 0, 'the agents logged');
    const found: string[] = [];
    for (const line of lines) {
      for (const [needle, what] of secrets) if (line.includes(needle)) found.push(`${what} in: ${line.slice(0, 200)}`);
    }
    assert.deepEqual(found, [], 'secrets found in the logs');
    console.log(`secrets: ${json.length} log lines, JSON and pretty (authenticator ${authLog.lines.length}, agents ${agentLog.lines.length}) searched for ${secrets.size} encodings of ${EAP_STATIONS + PSK_STATIONS} stations' keys, MSKs, the passphrase, the TTLS password and the RADIUS secret: none found`);
  });
});
