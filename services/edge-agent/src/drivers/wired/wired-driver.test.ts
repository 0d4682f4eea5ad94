// The wired driver against an in-memory link: what goes up for frames from the wire, what
// goes on the wire for commands, keys and ports recorded, static stations. (Against the real
// wpa_supplicant over libpcap: test/interop.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AKM, decodeRsne, PAE_GROUP_ADDRESS } from '@airlock/rsn';
import { hex } from '@airlock/rsn/testing';
import type { LinkEvent } from '@airlock/link';
import { encodeEthernetEapol } from './ethernet.js';
import { WiredDriverUnavailableError, type EthernetLinkOpener, type EthernetLinkOptions } from './pcap-link.js';
import { WiredDriver, type WiredPortSpec } from './wired-driver.js';

const IFACE_MAC = hex('02a1000000aa');
const STA = hex('02bb00000001');
const STA2 = hex('02bb00000002');
const EAPOL_START = hex('01010000');
const EAP_IDENTITY_REQUEST = hex('020000050101000501');

/** An in-memory wire: frames the driver sent, and a way to deliver frames to it. */
class FakeWire {
  readonly sent: Buffer[] = [];
  readonly opened: string[] = [];
  closed = 0;
  private readonly receivers = new Map<string, (f: Buffer) => void>();
  readonly open: EthernetLinkOpener = (o: EthernetLinkOptions) => {
    this.opened.push(o.interfaceName);
    this.receivers.set(o.interfaceName, (f) => o.onFrame(f));
    return Promise.resolve({ send: (f: Buffer) => void this.sent.push(Buffer.from(f)), close: () => void this.closed++ });
  };
  deliver(frame: Buffer, iface = 'eth1'): void {
    this.receivers.get(iface)!(frame);
  }
}

function port(over: Partial<WiredPortSpec> = {}): WiredPortSpec {
  return { interfaceName: 'eth1', ssid: 'wired', interfaceMac: IFACE_MAC, ...over };
}

async function started(ports: WiredPortSpec[], opts: { staticRejoinMs?: number } = {}): Promise<{ driver: WiredDriver; wire: FakeWire; events: LinkEvent[] }> {
  const wire = new FakeWire();
  const driver = new WiredDriver({ ports, openLink: wire.open, ...opts });
  const events: LinkEvent[] = [];
  await driver.start((e) => events.push(e));
  return { driver, wire, events };
}

function fromStation(eapol: Buffer, over: { dst?: Buffer; src?: Buffer; padTo?: number } = {}): Buffer {
  const f = encodeEthernetEapol({ destination: over.dst ?? PAE_GROUP_ADDRESS, source: over.src ?? STA, eapol });
  return over.padTo !== undefined && over.padTo > f.length ? Buffer.concat([f, Buffer.alloc(over.padTo - f.length, 0xee)]) : f;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

void describe('wired driver: the port as a BSS', () => {
  void it('announces AA 01:80:c2:00:00:03, wired, the interface MAC, RSN with PSK and CCMP by default; no TX status', () => {
    const d = new WiredDriver({ ports: [port()], openLink: new FakeWire().open });
    const [b] = d.bsses();
    assert.equal(b.bssid.toString('hex'), '0180c2000003');
    assert.equal(b.wired, true);
    assert.deepEqual(b.interfaceMac, IFACE_MAC);
    const r = decodeRsne(b.rsne);
    assert.ok(r.ok);
    assert.deepEqual(r.value.akms, [AKM.PSK]);
    assert.equal(d.reportsTxStatus, false);
  });

  void it('takes a configured BSSID and AKM', () => {
    const d = new WiredDriver({ ports: [port({ bssid: IFACE_MAC, akm: AKM.IEEE8021X })], openLink: new FakeWire().open });
    const [b] = d.bsses();
    assert.deepEqual(b.bssid, IFACE_MAC);
    const r = decodeRsne(b.rsne);
    assert.ok(r.ok);
    assert.deepEqual(r.value.akms, [AKM.IEEE8021X]);
  });

  const refused: { desc: string; ports: WiredPortSpec[]; error: RegExp }[] = [
    { desc: 'no port', ports: [], error: /no port/ },
    { desc: 'two ports with the same BSSID (both the PAE group address)', ports: [port(), port({ interfaceName: 'eth2' })], error: /already used by another port/ },
    { desc: 'the same interface twice', ports: [port({ bssid: hex('020000000001') }), port({ bssid: hex('020000000002') })], error: /configured twice/ },
    { desc: 'an SSID over 32 octets', ports: [port({ ssid: 'x'.repeat(33) })], error: /ssid/ },
    { desc: 'a group address as static station', ports: [port({ staticStations: [PAE_GROUP_ADDRESS] })], error: /not a unicast/ },
  ];
  for (const c of refused) {
    void it(`refuses ${c.desc}`, () => {
      assert.throws(() => new WiredDriver({ ports: c.ports, openLink: new FakeWire().open }), c.error);
    });
  }
});

void describe('wired driver: frames from the wire', () => {
  void it('a station appears with its first EAPOL frame: one eapol event, no association event', async () => {
    const { driver, wire, events } = await started([port()]);
    wire.deliver(fromStation(EAPOL_START));
    assert.equal(events.length, 1);
    const [e] = events;
    assert.equal(e.type, 'eapol');
    assert.deepEqual(e.type === 'eapol' && e.sta, STA);
    assert.deepEqual(e.type === 'eapol' && e.bssid, PAE_GROUP_ADDRESS);
    assert.equal(driver.station(STA)?.static, false);
    assert.equal(driver.stations().length, 1);
  });

  void it('padding is stripped: the EAPOL body length decides the extent, not the captured length', async () => {
    const { wire, events } = await started([port()]);
    wire.deliver(fromStation(EAPOL_START, { padTo: 64 }));
    assert.equal(events[0].type === 'eapol' && events[0].frame.toString('hex'), '01010000');
  });

  void it('a PDU longer than its frame goes up as captured (the authenticator counts it as malformed)', async () => {
    const { wire, events } = await started([port()]);
    const f = Buffer.concat([PAE_GROUP_ADDRESS, STA, hex('888e'), hex('0203005f02008a')]);
    wire.deliver(f);
    assert.equal(events[0].type === 'eapol' && events[0].frame.toString('hex'), '0203005f02008a');
  });

  const ignored: { desc: string; frame: Buffer }[] = [
    { desc: 'addressed to another unicast MAC', frame: fromStation(EAPOL_START, { dst: STA2 }) },
    { desc: 'from a group address', frame: fromStation(EAPOL_START, { src: hex('030000000001') }) },
    { desc: 'from the interface itself', frame: fromStation(EAPOL_START, { src: IFACE_MAC }) },
  ];
  for (const c of ignored) {
    void it(`ignores a frame ${c.desc}`, async () => {
      const { driver, wire, events } = await started([port()]);
      wire.deliver(c.frame);
      assert.equal(events.length, 0);
      assert.equal(driver.counters.framesIgnored, 1);
    });
  }

  void it('accepts frames to the interface MAC and to a configured BSSID', async () => {
    const bssid = hex('020000000bbb');
    const { wire, events } = await started([port({ bssid })]);
    wire.deliver(fromStation(EAPOL_START, { dst: IFACE_MAC }));
    wire.deliver(fromStation(EAPOL_START, { dst: bssid, src: STA2 }));
    assert.equal(events.length, 2);
  });

  void it('counts a frame too short for EAPOL and sends nothing up', async () => {
    const { driver, wire, events } = await started([port()]);
    wire.deliver(Buffer.concat([PAE_GROUP_ADDRESS, STA, hex('888e0101')]));
    assert.equal(events.length, 0);
    assert.equal(driver.counters.framesMalformed, 1);
  });

  void it('a station that moves to another port leaves the first one', async () => {
    const { driver, wire, events } = await started([port(), port({ interfaceName: 'eth2', bssid: hex('020000000002') })]);
    wire.deliver(fromStation(EAPOL_START), 'eth1');
    wire.deliver(fromStation(EAPOL_START), 'eth2');
    assert.deepEqual(events.map((e) => e.type), ['eapol', 'disassociated', 'eapol']);
    assert.equal(driver.station(STA)?.interfaceName, 'eth2');
  });
});

void describe('wired driver: commands', () => {
  void it('transmits to the station MAC from the interface MAC, padded to 60 octets', async () => {
    const { driver, wire } = await started([port()]);
    driver.transmitEapol({ type: 'transmit-eapol', bssid: PAE_GROUP_ADDRESS, sta: STA, frame: EAP_IDENTITY_REQUEST, protected: false });
    assert.equal(wire.sent.length, 1);
    const f = wire.sent[0];
    assert.equal(f.length, 60);
    assert.deepEqual(f.subarray(0, 6), STA);
    assert.deepEqual(f.subarray(6, 12), IFACE_MAC);
    assert.equal(f.readUInt16BE(12), 0x888e);
    assert.deepEqual(f.subarray(14, 14 + EAP_IDENTITY_REQUEST.length), EAP_IDENTITY_REQUEST);
  });

  void it("destination 'pae-group' sends to 01:80:c2:00:00:03", async () => {
    const { driver, wire } = await started([port({ destination: 'pae-group' })]);
    driver.transmitEapol({ type: 'transmit-eapol', bssid: PAE_GROUP_ADDRESS, sta: STA, frame: EAP_IDENTITY_REQUEST, protected: false });
    assert.deepEqual(wire.sent[0].subarray(0, 6), PAE_GROUP_ADDRESS);
  });

  void it('refuses a transmit on a BSSID it does not serve', async () => {
    const { driver } = await started([port()]);
    assert.throws(() => driver.transmitEapol({ type: 'transmit-eapol', bssid: STA2, sta: STA, frame: EAPOL_START, protected: false }), /no wired port/);
  });

  void it('records keys and the port state; disconnect forgets the station and sends nothing', async () => {
    const { driver, wire } = await started([port()]);
    const ports: unknown[] = [];
    driver.on('port', (p) => ports.push(p));
    wire.deliver(fromStation(EAPOL_START));
    const tk = hex('000102030405060708090a0b0c0d0e0f');
    driver.installPairwiseKey({ type: 'install-pairwise-key', bssid: PAE_GROUP_ADDRESS, sta: STA, cipher: 0x000fac04, keyId: 0, key: tk });
    driver.installGroupKey({ type: 'install-group-key', bssid: PAE_GROUP_ADDRESS, cipher: 0x000fac04, keyId: 1, key: tk, setTx: true });
    driver.setPortAuthorized({ type: 'set-port', bssid: PAE_GROUP_ADDRESS, sta: STA, authorized: true, vlanId: 42, sessionTimeoutS: 3600 });
    const v = driver.station(STA);
    assert.deepEqual(v?.pairwiseKey?.key, tk);
    assert.equal(v?.portAuthorized, true);
    assert.equal(v?.vlanId, 42);
    assert.equal(driver.groupKeys(PAE_GROUP_ADDRESS)?.txKeyId, 1);
    assert.deepEqual(ports, [{ sta: '02:bb:00:00:00:01', bssid: '01:80:c2:00:00:03', authorized: true, vlanId: 42 }]);
    assert.deepEqual(driver.stations()[0], { bssid: PAE_GROUP_ADDRESS, sta: STA, rsne: Buffer.alloc(0), portAuthorized: true, pairwiseKeyInstalled: true, vlanId: 42 });
    driver.disconnect({ type: 'disconnect', bssid: PAE_GROUP_ADDRESS, sta: STA, reason: 15, deauth: true });
    assert.equal(driver.station(STA), undefined);
    assert.equal(wire.sent.length, 0, 'a wire has no deauthentication');
    // Closing the port of a station already forgotten is a no-op; keys for it are refused.
    driver.setPortAuthorized({ type: 'set-port', bssid: PAE_GROUP_ADDRESS, sta: STA, authorized: false, vlanId: 0, sessionTimeoutS: 0 });
    assert.throws(() => driver.installPairwiseKey({ type: 'install-pairwise-key', bssid: PAE_GROUP_ADDRESS, sta: STA, cipher: 0x000fac04, keyId: 0, key: tk }), /not on port/);
  });
});

void describe('wired driver: static stations', () => {
  void it('are announced when the agent session starts (after Welcome), with an empty RSNE', async () => {
    const { driver, events } = await started([port({ staticStations: [STA] })]);
    await tick();
    assert.equal(events.length, 0, 'not before a session exists');
    driver.sessionStarted();
    assert.deepEqual(events, [{ type: 'associated', bssid: PAE_GROUP_ADDRESS, sta: STA, rsne: Buffer.alloc(0), reassociation: false }]);
    assert.equal(driver.station(STA)?.static, true);
  });

  void it('are announced again staticRejoinMs after a disconnect', async () => {
    const { driver, events } = await started([port({ staticStations: [STA] })], { staticRejoinMs: 20 });
    driver.sessionStarted();
    driver.disconnect({ type: 'disconnect', bssid: PAE_GROUP_ADDRESS, sta: STA, reason: 15, deauth: true });
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(events.map((e) => e.type), ['associated', 'associated']);
    await driver.stop();
  });

  void it('with staticRejoinMs 0, stay away after a disconnect', async () => {
    const { driver, events } = await started([port({ staticStations: [STA] })], { staticRejoinMs: 0 });
    driver.sessionStarted();
    driver.disconnect({ type: 'disconnect', bssid: PAE_GROUP_ADDRESS, sta: STA, reason: 15, deauth: true });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(events.length, 1);
  });
});

void describe('wired driver: start and stop', () => {
  void it('start fails with the opener error and leaves nothing open', async () => {
    const wire = new FakeWire();
    let n = 0;
    const opener: EthernetLinkOpener = (o) => (n++ === 0 ? wire.open(o) : Promise.reject(new WiredDriverUnavailableError('apt-get install -y libpcap-dev')));
    const d = new WiredDriver({ ports: [port(), port({ interfaceName: 'eth2', bssid: hex('020000000002') })], openLink: opener });
    await assert.rejects(d.start(() => undefined), /libpcap-dev/);
    assert.equal(wire.closed, 1);
  });

  void it('no events after stop', async () => {
    const { driver, wire, events } = await started([port({ staticStations: [STA2] })]);
    await driver.stop();
    await tick();
    assert.equal(wire.closed, 1);
    assert.equal(events.length, 0);
    assert.throws(() => driver.transmitEapol({ type: 'transmit-eapol', bssid: PAE_GROUP_ADDRESS, sta: STA, frame: EAPOL_START, protected: false }), /not open/);
  });
});
