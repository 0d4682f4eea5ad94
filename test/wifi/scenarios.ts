/**
 * The real Wi-Fi scenarios (issue 12 §3): real wpa_supplicant 2.10 stations on
 * mac80211_hwsim radios, through the nl80211 agent, gRPC and the authenticator (and
 * FreeRADIUS), all inside the VM test host. They run in this order on one world (see
 * world.ts); each asserts with node:assert and leaves the stations it connected as later
 * scenarios expect them (listed in each scenario's comment).
 */
import assert from 'node:assert/strict';
import { formatMac } from '@airlock/rsn';
import { accessRequestCount, detailRecords, detailValue } from '../support/enterprise.js';
import { Injector } from './injector.js';
import { EAP_SSID, PEAP_USER, PSK_SSID, sh, ping6, pskNetwork, TLS_STATION, until, waitConnected, type WifiStation, type WifiWorld } from './world.js';

/** One scenario: its id, what the host test calls it, and its body. */
export interface WifiScenario {
  name: string;
  title: string;
  run(w: WifiWorld, note: (key: string, value: unknown) => void): Promise<void>;
}

/** Connection timeout for one station under emulation. */
const JOIN_MS = 90_000;

/**
 * Connects `st` to `network` and waits for the 4-way handshake, CTRL-EVENT-CONNECTED and the
 * agent opening the station's port (the station may send before the AP has taken the
 * authenticator's SetPortAuthorized); returns the BSSID.
 */
async function join(w: WifiWorld, st: WifiStation, network: Record<string, string | number>, globals?: Record<string, string | number>): Promise<string> {
  const agentFrom = w.agent.log().length;
  const s = await w.connect(st, network, globals);
  await s.waitForLine('WPA: Key negotiation completed', JOIN_MS);
  const bssid = await waitConnected(s, JOIN_MS);
  const mac = formatMac(st.mac);
  const opened = await until(() => w.agent.log().slice(agentFrom).split('\n').some((l) => l.includes('"port authorized"') && l.includes(mac)), 30_000);
  assert.ok(opened, `the agent did not open the port of ${st.name}`);
  return bssid;
}

/** Unicast both ways between a station and the AP interface it joined. */
async function assertUnicast(w: WifiWorld, st: WifiStation, apIf: string, apLinkLocal: string, note: (k: string, v: unknown) => void): Promise<void> {
  // The station's address appears once it is up; its duplicate address detection takes a moment.
  const fromSta = await ping6(st.ns, apLinkLocal, st.ifname, 3, 30);
  note(`${st.name}->ap`, `${fromSta.received}/${fromSta.transmitted}`);
  assert.equal(fromSta.received, 3, `${st.name} -> AP ${apLinkLocal}%${st.ifname}: ${fromSta.out}`);
  const toSta = await ping6(undefined, st.linkLocal, apIf, 3, 30);
  note(`ap->${st.name}`, `${toSta.received}/${toSta.transmitted}`);
  assert.equal(toSta.received, 3, `AP -> ${st.name} ${st.linkLocal}%${apIf}: ${toSta.out}`);
}

/** A multicast ping from the AP (group-addressed, so protected with the GTK) answered by every station. */
async function assertBroadcast(apIf: string, stations: WifiStation[], note: (k: string, v: unknown) => void, label = 'ff02::1'): Promise<void> {
  const want = stations.map((s) => s.linkLocal);
  let seen = new Set<string>();
  // A few rounds: each station answers each request, but answers are not retransmitted.
  for (let round = 0; round < 3 && !want.every((a) => seen.has(a)); round++) {
    const r = await ping6(undefined, 'ff02::1', apIf, 3, 15);
    seen = new Set([...seen, ...r.responders]);
  }
  note(label, [...seen].sort());
  for (const s of stations) assert.ok(seen.has(s.linkLocal), `${s.name} (${s.linkLocal}) did not answer the AP's multicast ping on ${apIf}; answers from ${[...seen].join(', ')}`);
}

function stationsByName(w: WifiWorld, ...names: number[]): WifiStation[] {
  return names.map((n) => w.stations[n - 1]);
}


/** Management frame subtypes (frame control octet 0) the hostile scenario sends and reads. */
const FC = { ASSOC_REQ: 0x00, ASSOC_RESP: 0x10, AUTH: 0xb0, DEAUTH: 0xc0 } as const;

let hostileSeq = 0;

/** An 802.11 management frame written out field by field (the test's own bytes). */
function mgmtFrame(subtype: number, da: Buffer, sa: Buffer, bssid: Buffer, body: Buffer): Buffer {
  const seq = Buffer.alloc(2);
  seq.writeUInt16LE((hostileSeq++ & 0xfff) << 4);
  return Buffer.concat([
    Buffer.from([subtype, 0x00]), // frame control: management, no flags
    Buffer.from([0x00, 0x00]), // duration
    da,
    sa,
    bssid,
    seq, // sequence control
    body,
  ]);
}

function le16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

/** Open System Authentication, transaction 1. */
function authRequest(bssid: Buffer, sta: Buffer): Buffer {
  return mgmtFrame(FC.AUTH, bssid, sta, bssid, Buffer.concat([le16(0), le16(1), le16(0)]));
}

/** An Association Request: capability ESS|Privacy|short slot, listen interval 10, then `elements`. */
function assocRequest(bssid: Buffer, sta: Buffer, elements: Buffer): Buffer {
  return mgmtFrame(FC.ASSOC_REQ, bssid, sta, bssid, Buffer.concat([le16(0x0411), le16(10), elements]));
}

const el = (id: number, data: number[] | Buffer): Buffer => Buffer.concat([Buffer.from([id, data.length]), Buffer.from(data)]);
const SSID_EL = el(0, Buffer.from(PSK_SSID));
const RATES_EL = el(1, [0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24]);
const EXT_RATES_EL = el(50, [0x30, 0x48, 0x60, 0x6c]);
const suite = (n: number): number[] => [0x00, 0x0f, 0xac, n];
/** An RSNE: version, group cipher, pairwise list, AKM list, capabilities (each a field). */
function rsne(o: { version?: number; group?: number; pairwise?: number[]; akm?: number[]; pairwiseCount?: number }): Buffer {
  const pairwise = o.pairwise ?? [4];
  const akm = o.akm ?? [2];
  return el(48, [
    ...le16(o.version ?? 1),
    ...suite(o.group ?? 4),
    ...le16(o.pairwiseCount ?? pairwise.length),
    ...pairwise.flatMap(suite),
    ...le16(akm.length),
    ...akm.flatMap(suite),
    0x00, 0x00, // RSN capabilities
  ]);
}

/** The status code of a captured (Re)Association Response, and its AID. */
function assocStatus(f: Buffer): { status: number; aid: number } {
  return { status: f.readUInt16LE(24 + 2), aid: f.readUInt16LE(24 + 4) & 0x3fff };
}

/** The last "radio counters" line the agent logged. */
function agentCounters(w: WifiWorld): { driver: Record<string, number>; bsses: Record<string, { dropped: Record<string, number>; refusedByStatus: Record<string, number> }> } | undefined {
  const lines = w.agent.log().split('\n').filter((l) => l.includes('"radio counters"'));
  const last = lines.at(-1);
  return last === undefined ? undefined : (JSON.parse(last) as { counters: ReturnType<typeof agentCounters> }).counters;
}

export const SCENARIOS: WifiScenario[] = [
  {
    // Leaves sta1..sta3 connected to psk[0].
    name: 'psk',
    title: 'WPA2-PSK: 3 real stations complete the 4-way handshake through the nl80211 agent and pass unicast and group traffic',
    async run(w, note) {
      const ap = w.psk[0];
      const stas = stationsByName(w, 1, 2, 3);
      for (const st of stas) {
        const bssid = await join(w, st, pskNetwork({ bssid: formatMac(ap.bssid) }));
        assert.equal(bssid, formatMac(ap.bssid));
        const s = st.supplicant!;
        // The PTK was derived with AA = the BSSID the agent announced (invariant 1).
        assert.ok(s.indexOf(new RegExp(`WPA: RX message 3 of 4-Way Handshake from ${formatMac(ap.bssid)}`)) >= 0, 'msg 3/4 came from the BSSID');
      }
      for (const st of stas) await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
      await assertBroadcast(ap.ifname, stas, note);
      const m = await w.auth.metrics();
      note('handshakes_success', m.get('airlock_handshakes_total{result="success"}'));
      assert.ok((m.get('airlock_handshakes_total{result="success"}') ?? 0) >= 3);
    },
  },
  {
    // sta1..sta3 stay connected.
    name: 'group-rekey',
    title: 'Group rekeys on a short interval: every station takes two new GTKs and group traffic still flows',
    async run(w, note) {
      const ap = w.psk[0];
      const stas = stationsByName(w, 1, 2, 3);
      const from = stas.map((s) => s.supplicant!.lines().length);
      await w.reconfigure((c) => {
        (c['networks'] as Record<string, unknown>[])[0]['group_rekey_s'] = 6;
      });
      try {
        for (const [i, st] of stas.entries()) {
          const s = st.supplicant!;
          const first = await s.waitForLine('WPA: Group rekeying completed', 60_000, from[i]);
          await s.waitForLine('WPA: Group rekeying completed', 60_000, first + 1);
        }
      } finally {
        await w.reconfigure((c) => {
          (c['networks'] as Record<string, unknown>[])[0]['group_rekey_s'] = 0;
        });
      }
      for (const [i, st] of stas.entries()) {
        const s = st.supplicant!;
        const rekeys = s.lines().slice(from[i]).filter((l) => l.includes('WPA: Group rekeying completed')).length;
        note(`${st.name}_rekeys`, rekeys);
        assert.equal(s.indexOf('CTRL-EVENT-DISCONNECTED', from[i]), -1, `${st.name} was disconnected during the rekeys`);
      }
      await assertBroadcast(ap.ifname, stas, note, 'ff02::1 after rekeys');
    },
  },
  {
    // sta1 ends connected again without periodic rekeys.
    name: 'ptk-rekey',
    title: 'PTK rekey: the station asks for one (wpa_ptk_rekey), a new 4-way handshake runs under the old PTK, and traffic flows',
    async run(w, note) {
      const ap = w.psk[0];
      const [st] = stationsByName(w, 1);
      // Debian's wpa_supplicant has no KEY_REQUEST control command (a testing option); its
      // wpa_ptk_rekey timer sends the EAPOL-Key request (Request, Pairwise) itself.
      await join(w, st, pskNetwork({ bssid: formatMac(ap.bssid), wpa_ptk_rekey: 8 }));
      const s = st.supplicant!;
      const first = s.indexOf('WPA: Key negotiation completed');
      const request = await s.waitForLine(/WPA: Sending EAPOL-Key Request|EAPOL-Key Request \(error=0 pairwise=1/, 60_000, first + 1);
      note('request', s.lines()[request]);
      const m1 = await s.waitForLine(/WPA: RX message 1 of 4-Way Handshake/, 30_000, request + 1);
      const done = await s.waitForLine('WPA: Key negotiation completed', 30_000, m1 + 1);
      note('rekeyed', s.lines()[done]);
      assert.equal(s.indexOf('CTRL-EVENT-DISCONNECTED', first), -1, 'disconnected during the PTK rekey');
      await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
      const m = await w.auth.metrics();
      note('handshakes_success', m.get('airlock_handshakes_total{result="success"}'));
      await join(w, st, pskNetwork({ bssid: formatMac(ap.bssid) }));
    },
  },
  {
    // sta1..sta3 stay connected.
    name: 'link-cut',
    title: "Link cut: the agent's stream is cut and restored within the grace period; stations stay connected and keep passing traffic",
    async run(w, note) {
      const ap = w.psk[0];
      const stas = stationsByName(w, 1, 2, 3);
      const from = stas.map((s) => s.supplicant!.lines().length);
      const welcomes = (): number => w.agent.log().split('welcomed by the authenticator').length - 1;
      const before = welcomes();
      w.proxy.refuse(true);
      w.proxy.cut();
      try {
        const down = await until(async () => ((await w.auth.metrics()).get('airlock_agents_connected') ?? 1) === 0, 30_000);
        assert.ok(down, 'the authenticator did not see the stream end');
        // Data keeps flowing while the link is down: the keys are in the AP's kernel.
        for (const st of stas) {
          const p = await ping6(st.ns, ap.linkLocal, st.ifname, 2, 20);
          note(`${st.name} during cut`, `${p.received}/${p.transmitted}`);
          assert.equal(p.received, 2, `${st.name} during the cut: ${p.out}`);
        }
      } finally {
        w.proxy.refuse(false);
      }
      const back = await until(() => welcomes() > before, 90_000, 250);
      assert.ok(back, 'the agent did not come back');
      await until(async () => ((await w.auth.metrics()).get('airlock_stations{state="authorized"}') ?? 0) >= 3, 30_000);
      const m = await w.auth.metrics();
      note('authorized after', m.get('airlock_stations{state="authorized"}'));
      assert.ok((m.get('airlock_stations{state="authorized"}') ?? 0) >= 3, 'the authenticator kept the stations authorized');
      for (const [i, st] of stas.entries()) {
        assert.equal(st.supplicant!.indexOf('CTRL-EVENT-DISCONNECTED', from[i]), -1, `${st.name} was disconnected by the link cut`);
        await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
      }
    },
  },
  {
    // sta3 is disconnected (and reconnects by itself).
    name: 'operator-disconnect',
    title: '`airlock disconnect STA --reason 5` reaches the real station as CTRL-EVENT-DISCONNECTED reason=5',
    async run(w, note) {
      const [st] = stationsByName(w, 3);
      const s = st.supplicant!;
      const from = s.lines().length;
      const r = await w.airlock('disconnect', formatMac(st.mac), '--reason', '5');
      note('cli', r.out.trim());
      assert.equal(r.code, 0, r.out);
      const i = await s.waitForLine('CTRL-EVENT-DISCONNECTED', 30_000, from);
      note('event', s.lines()[i]);
      assert.match(s.lines()[i], /reason=5\b/);
      assert.doesNotMatch(s.lines()[i], /locally_generated=1/);
    },
  },
  {
    name: 'wrong-passphrase',
    title: 'Wrong passphrase: 4 tries then reason 15, the diagnosis says "PSK mismatch", wpa_supplicant reports WRONG_KEY',
    async run(w, note) {
      const ap = w.psk[0];
      const [st] = stationsByName(w, 4);
      const s = await w.connect(st, pskNetwork({ bssid: formatMac(ap.bssid), psk: 'not the airlock passphrase' }));
      const disc = await s.waitForLine('CTRL-EVENT-DISCONNECTED', JOIN_MS);
      note('disconnected', s.lines()[disc]);
      assert.match(s.lines()[disc], /reason=15\b/);
      const msg1 = s.lines().slice(0, disc).filter((l) => /WPA: RX message 1 of 4-Way Handshake/.test(l)).length;
      note('msg 1/4 received', msg1);
      assert.equal(msg1, 4, 'the station saw msg 1/4 four times (dot11RSNAConfigPairwiseUpdateCount)');
      const t = await s.waitForLine(/CTRL-EVENT-SSID-TEMP-DISABLED .*reason=WRONG_KEY/, 30_000);
      note('temp-disabled', s.lines()[t]);
      const explain = await w.airlock('explain', formatMac(st.mac));
      note('explain', explain.out.trim().split('\n').slice(0, 12));
      assert.equal(explain.code, 0, explain.out);
      assert.match(explain.out, /PSK mismatch/);
      await w.disconnect(st);
    },
  },
  {
    // Leaves sta5 (PEAP) and sta6 (EAP-TLS) connected to eap[0].
    name: 'enterprise',
    title: 'WPA2-Enterprise with FreeRADIUS: PEAP/MSCHAPv2 and EAP-TLS stations connect and pass traffic; a wrong password is rejected',
    async run(w, note) {
      const ap = w.eap[0];
      const [peap, tls, wrong] = stationsByName(w, 5, 6, 4);
      // Pinned to eap[0] (bssid, not only bssid_hint: a hint is a preference, and a scan under
      // TCG that missed the hinted BSS made wpa_supplicant take the other radio); the roam
      // scenario lifts the pin before it moves sta5.
      const base = { ssid: EAP_SSID, key_mgmt: 'WPA-EAP', proto: 'RSN', pairwise: 'CCMP', group: 'CCMP', scan_freq: 2412, bssid: formatMac(ap.bssid), proactive_key_caching: 1 };
      const pki = w.radius.pki;
      const bssid1 = await join(w, peap, { ...base, eap: 'PEAP', identity: PEAP_USER.name, password: PEAP_USER.password, phase2: 'auth=MSCHAPV2', ca_cert: pki.ca.cert });
      assert.ok(peap.supplicant!.indexOf('CTRL-EVENT-EAP-SUCCESS') >= 0);
      note('peap bssid', bssid1);
      const tlsCert = pki.stations[TLS_STATION];
      assert.ok(tlsCert !== undefined, 'the PKI has the EAP-TLS station certificate');
      const bssid2 = await join(w, tls, { ...base, bssid: formatMac(ap.bssid), eap: 'TLS', identity: TLS_STATION, ca_cert: pki.ca.cert, client_cert: tlsCert.cert, private_key: tlsCert.key });
      note('tls bssid', bssid2);
      for (const [st, b] of [[peap, bssid1], [tls, bssid2]] as const) {
        assert.equal(b, formatMac(ap.bssid), `${st.name} joined the BSS it was given`);
        await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
      }
      await assertBroadcast(ap.ifname, [peap, tls], note);
      // Accounting carries the AP's counters of the station (StationCounters from GET_STATION).
      const calling = formatMac(peap.mac).replace(/:/g, '-');
      const interim = (): { in: number; out: number } | undefined => {
        const r = detailRecords(w.radius.radius)
          .filter((d) => detailValue(d, 'Acct-Status-Type') === 'Interim-Update' && (detailValue(d, 'Calling-Station-Id') ?? '').toLowerCase() === calling)
          .at(-1);
        return r === undefined ? undefined : { in: Number(detailValue(r, 'Acct-Input-Octets') ?? 0), out: Number(detailValue(r, 'Acct-Output-Octets') ?? 0) };
      };
      assert.ok(await until(() => (interim()?.in ?? 0) > 0 && (interim()?.out ?? 0) > 0, 30_000, 500), `no Interim-Update with the station's octets: ${JSON.stringify(interim())}`);
      note('interim octets', interim());
      const s = await w.connect(wrong, { ...base, eap: 'PEAP', identity: PEAP_USER.name, password: 'not alice password', phase2: 'auth=MSCHAPV2', ca_cert: pki.ca.cert });
      const f = await s.waitForLine('CTRL-EVENT-EAP-FAILURE', JOIN_MS);
      note('wrong password', s.lines()[f]);
      assert.equal(s.indexOf('CTRL-EVENT-CONNECTED'), -1, 'a station with a wrong password connected');
      await w.disconnect(wrong);
      const m = await w.auth.metrics();
      note('eap', { accept: m.get('airlock_eap_authentications_total{result="accept"}'), reject: m.get('airlock_eap_authentications_total{result="reject"}') });
      assert.ok((m.get('airlock_eap_authentications_total{result="reject"}') ?? 0) >= 1);
    },
  },
  {
    // sta5 ends on eap[1].
    name: 'roam',
    title: 'Roaming: `wpa_cli roam` to the other radio with PMKSA caching (OKC), no RADIUS Access-Request, traffic keeps flowing',
    async run(w, note) {
      const [st] = stationsByName(w, 5);
      const s = st.supplicant!;
      const target = w.eap[1];
      const requestsBefore = accessRequestCount(await w.auth.metrics());
      const from = s.lines().length;
      // The enterprise scenario pinned the network to eap[0]: lift the pin (the one network is id 0).
      assert.equal(await s.command('set_network', '0', 'bssid', 'any'), 'OK');
      const r = await s.command('roam', formatMac(target.bssid));
      note('roam', r);
      assert.equal(r, 'OK');
      const bssid = await waitConnected(s, JOIN_MS, from);
      assert.equal(bssid, formatMac(target.bssid));
      const after = s.lines().slice(from);
      assert.ok(after.some((l) => /PMKSA caching|PMKID/.test(l)), 'the reassociation carried a PMKID');
      assert.equal(after.filter((l) => l.includes('CTRL-EVENT-EAP-STARTED')).length, 0, 'EAP ran again for the roam');
      const requestsAfter = accessRequestCount(await w.auth.metrics());
      note('access requests', { before: requestsBefore, after: requestsAfter });
      assert.equal(requestsAfter, requestsBefore, 'the roam sent a RADIUS Access-Request');
      await assertUnicast(w, st, target.ifname, target.linkLocal, note);
    },
  },
  {
    // sta2 is dropped by the kernel and reconnects by itself.
    name: 'kernel-drop',
    title: 'A station the kernel drops becomes a disassociation event; its next data frame gets Deauthentication reason 7 and it joins again',
    async run(w, note) {
      const ap = w.psk[0];
      const [st] = stationsByName(w, 2);
      const s = st.supplicant!;
      const from = s.lines().length;
      const agentFrom = w.agent.log().length;
      const authorized = async (): Promise<number> => (await w.auth.metrics()).get('airlock_stations{state="authorized"}') ?? 0;
      const before = await authorized();
      const r = await sh('iw', ['dev', ap.ifname, 'station', 'del', formatMac(st.mac)]);
      assert.equal(r.code, 0, r.out);
      // The authenticator hears a disassociation: one authorized station fewer (until it joins again).
      const dropped = await until(async () => (await authorized()) < before, 20_000, 50);
      note('authorized', { before, after: await authorized() });
      assert.ok(dropped, 'the authenticator did not hear that the station left');
      assert.ok(w.agent.log().slice(agentFrom).includes('the kernel removed a station'), 'the agent did not report the removal');
      // The station does not know: its next frame is a class 3 frame from a non-associated station.
      await ping6(st.ns, ap.linkLocal, st.ifname, 1, 5);
      const d = await s.waitForLine('CTRL-EVENT-DISCONNECTED', 30_000, from);
      note('station', s.lines()[d]);
      assert.match(s.lines()[d], /reason=7\b/);
      await waitConnected(s, JOIN_MS, d + 1);
      await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
    },
  },
  {
    name: 'hostile-frames',
    title: 'Hostile frames: truncated elements, bogus RSNEs, a duplicated association and an Authentication flood get a status code or a counted drop; the agent never crashes and a real station still joins',
    async run(w, note) {
      const ap = w.psk[0];
      const bssid = ap.bssid;
      const inj = await Injector.open(w.spare.injectorPhy, 'mon0', 2412);
      // The acker: a monitor (the radio is not idle) and its managed interface up (hwsim
      // acknowledges frames to its address).
      const acker = await Injector.open(w.spare.ackerPhy, 'mon1', 2412);
      const up = await sh('ip', ['link', 'set', w.spare.ackerIf, 'up']);
      assert.equal(up.code, 0, up.out);
      try {
        let n = 0;
        const fakeMac = (): Buffer => Buffer.from([0x02, 0x66, 0x00, 0x00, 0x00, ++n]);
        /** Authenticates `sta` and sends the association request `elements`; the response's status. */
        const refusal = async (sta: Buffer, elements: Buffer, label: string): Promise<number> => {
          const t0 = Date.now();
          inj.send(authRequest(bssid, sta));
          const auth = await inj.waitFor(sta, FC.AUTH, t0, 15_000);
          assert.ok(auth !== undefined, `${label}: no Authentication response (captured ${inj.captured.length} frames, subtypes ${[...new Set(inj.captured.map((f) => f.frame[0].toString(16)))].join(' ')})`);
          assert.equal(auth.frame.readUInt16LE(24 + 4), 0, `${label}: authentication refused`);
          const t1 = Date.now();
          inj.send(assocRequest(bssid, sta, elements));
          const resp = await inj.waitFor(sta, FC.ASSOC_RESP, t1, 15_000);
          assert.ok(resp !== undefined, `${label}: no Association Response`);
          const { status } = assocStatus(resp.frame);
          note(label, status);
          return status;
        };
        const valid = (r: Buffer): Buffer => Buffer.concat([SSID_EL, RATES_EL, r, EXT_RATES_EL]);
        assert.equal(await refusal(fakeMac(), Buffer.concat([SSID_EL, Buffer.from([1, 8, 0x82, 0x84, 0x8b])]), 'truncated element'), 1);
        assert.equal(await refusal(fakeMac(), Buffer.concat([SSID_EL, RATES_EL, EXT_RATES_EL]), 'no RSNE'), 40);
        assert.equal(await refusal(fakeMac(), valid(rsne({ version: 2 })), 'RSNE version 2'), 44);
        assert.equal(await refusal(fakeMac(), valid(rsne({ group: 2 })), 'RSNE group TKIP'), 41);
        assert.equal(await refusal(fakeMac(), valid(rsne({ pairwise: [2] })), 'RSNE pairwise TKIP'), 42);
        assert.equal(await refusal(fakeMac(), valid(rsne({ akm: [1] })), 'RSNE AKM 802.1X on a PSK BSS'), 43);
        assert.equal(await refusal(fakeMac(), valid(rsne({ pairwiseCount: 9 })), 'RSNE count past its end'), 40);
        assert.equal(await refusal(fakeMac(), Buffer.concat([SSID_EL, RATES_EL, rsne({}), rsne({}), EXT_RATES_EL]), 'two RSNEs'), 40);
        assert.equal(await refusal(fakeMac(), Buffer.concat([el(0, Buffer.from('another-ssid')), RATES_EL, rsne({}), EXT_RATES_EL]), 'wrong SSID'), 1);

        // A duplicated association from a station that acknowledges (the acker's address):
        // two answers with one AID, one event upstream.
        const dup = w.spare.ackerMac;
        const t0 = Date.now();
        inj.send(authRequest(bssid, dup));
        assert.ok((await inj.waitFor(dup, FC.AUTH, t0, 15_000)) !== undefined, 'duplicate: no Authentication response');
        const req = valid(rsne({}));
        const t1 = Date.now();
        inj.send(assocRequest(bssid, dup, req));
        await inj.waitFor(dup, FC.ASSOC_RESP, t1, 15_000);
        inj.send(assocRequest(bssid, dup, req));
        await until(() => inj.framesTo(dup, FC.ASSOC_RESP, t1).length >= 2, 15_000, 50);
        const answers = inj.framesTo(dup, FC.ASSOC_RESP, t1).map((f) => assocStatus(f.frame));
        note('duplicate answers', answers);
        assert.ok(answers.length >= 2, 'the duplicate was not answered');
        assert.ok(answers.every((a) => a.status === 0 && a.aid === answers[0].aid), 'both answers accept with the same AID');
        await new Promise((r) => setTimeout(r, 2000));
        const associatedLines = w.agent.log().split('\n').filter((l) => l.includes('"station associated"') && l.includes(formatMac(dup))).length;
        note('associated events', associatedLines);
        assert.equal(associatedLines, 1, 'the duplicate was reported to the authenticator');

        // An Authentication frame whose body is cut short (mac80211 passes it up: the header
        // is whole), and an Authentication flood from spoofed MACs.
        inj.send(mgmtFrame(FC.AUTH, bssid, fakeMac(), bssid, Buffer.from([0x00, 0x00])));
        const flood = 3000;
        for (let i = 0; i < flood; i++) {
          inj.send(authRequest(bssid, Buffer.from([0x02, 0x77, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 0x01])));
          if (i % 200 === 199) await new Promise((r) => setImmediate(r));
        }
        // A real station joins right after the flood.
        const [st] = stationsByName(w, 4);
        const bssidJoined = await join(w, st, pskNetwork({ bssid: formatMac(bssid) }));
        assert.equal(bssidJoined, formatMac(bssid));
        await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
        await new Promise((r) => setTimeout(r, 2500));
        assert.equal(w.agent.child.exitCode, null, 'the agent exited');
        const c = agentCounters(w);
        assert.ok(c !== undefined, 'the agent logged no counters');
        const b = c.bsses[formatMac(bssid)];
        note('agent counters', b);
        assert.ok((b.dropped['malformed'] ?? 0) >= 1, 'the cut-short frame was not counted');
        assert.ok((b.dropped['auth-evicted'] ?? 0) + (b.dropped['response-budget'] ?? 0) > 0, 'the flood left no counted drop');
        for (const code of ['1', '40', '41', '42', '43', '44']) assert.ok((b.refusedByStatus[code] ?? 0) >= 1, `status ${code} not counted`);
        await w.disconnect(st);
      } finally {
        inj.close();
        acker.close();
      }
    },
  },
];
