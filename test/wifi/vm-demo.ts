/**
 * `npm run demo:wifi`, the part inside the VM test host (scripts/demo-wifi.mjs boots it):
 * the Wi-Fi world (authenticator, FreeRADIUS, the nl80211 agent with two radios of two BSSes
 * each) with real wpa_supplicant stations that join, pass traffic, leave, come back and
 * roam, until the VM is powered off. The authenticator's HTTP port (status page, /metrics)
 * listens on the VM's network card, which QEMU forwards to the host's loopback.
 *
 *   node test/dist/wifi/vm-demo.js DIR
 */
import { join } from 'node:path';
import { formatMac } from '@airlock/rsn';
import { EAP_SSID, PEAP_USER, ping6, pskNetwork, startWorld, TLS_STATION, type WifiStation, type WifiWorld } from './world.js';

function say(text: string): void {
  console.log(`airlock-demo-wifi: ${text}`);
}

/** Network block of station i: PSK on either radio, PEAP or EAP-TLS on the 802.1X BSSes (OKC on). */
function networkOf(w: WifiWorld, i: number): Record<string, string | number> {
  const pki = w.radius.pki;
  const eap = { ssid: EAP_SSID, key_mgmt: 'WPA-EAP', proto: 'RSN', pairwise: 'CCMP', group: 'CCMP', scan_freq: 2412, ca_cert: pki.ca.cert, proactive_key_caching: 1 };
  switch (i % 3) {
    case 0:
      return pskNetwork({ bssid_hint: formatMac(w.psk[i % 2].bssid) });
    case 1:
      return { ...eap, eap: 'PEAP', identity: PEAP_USER.name, password: PEAP_USER.password, phase2: 'auth=MSCHAPV2', bssid_hint: formatMac(w.eap[i % 2].bssid) };
    default: {
      const c = pki.stations[TLS_STATION];
      return { ...eap, eap: 'TLS', identity: TLS_STATION, client_cert: c.cert, private_key: c.key, bssid_hint: formatMac(w.eap[i % 2].bssid) };
    }
  }
}

async function main(): Promise<void> {
  const dir = process.argv[2] ?? '/tmp/airlock-demo-wifi';
  say('starting the authenticator, FreeRADIUS and the nl80211 agent (this takes a minute under emulation)');
  const w = await startWorld(join(dir, 'world'), { stations: 6, http: { host: '0.0.0.0', port: 9464 } });
  say(`ready: BSSes ${[...w.psk, ...w.eap].map((b) => `${b.ifname} ${formatMac(b.bssid)} "${b.ssid}"`).join(', ')}`);
  const joinOne = async (st: WifiStation, i: number): Promise<void> => {
    const s = await w.connect(st, networkOf(w, i));
    try {
      const at = await s.waitForLine('CTRL-EVENT-CONNECTED', 120_000);
      say(`${st.name} (${formatMac(st.mac)}) connected: ${s.lines()[at].replace(/^.*CTRL-EVENT-CONNECTED - /, '')}`);
    } catch {
      say(`${st.name} did not connect`);
    }
  };
  for (const [i, st] of w.stations.entries()) await joinOne(st, i);
  // Churn: one station at a time leaves and joins again, or roams to the other radio.
  for (let round = 0; ; round++) {
    await new Promise((r) => setTimeout(r, 15_000));
    const i = round % w.stations.length;
    const st = w.stations[i];
    const s = st.supplicant;
    if (s !== undefined && round % 2 === 1) {
      const current = /^bssid=([0-9a-f:]{17})$/m.exec(await s.command('status').catch(() => ''))?.[1];
      const bsses = networkOf(w, i)['ssid'] === EAP_SSID ? w.eap : w.psk;
      const other = bsses.find((b) => formatMac(b.bssid) !== current);
      if (current !== undefined && other !== undefined) {
        const r = await s.command('roam', formatMac(other.bssid)).catch((e: unknown) => String(e));
        say(`${st.name} roams from ${current} to ${formatMac(other.bssid)}: ${r}`);
      }
    } else {
      say(`${st.name} leaves and joins again`);
      await w.disconnect(st);
      await joinOne(st, i);
    }
    const ap = w.psk[0];
    const p = await ping6(undefined, 'ff02::1', ap.ifname, 1, 3);
    p.responders.delete(ap.linkLocal);
    say(`group ping from ${ap.ifname} (PSK on radio A): ${p.responders.size} station(s) answered`);
  }
}

await main().catch((err: unknown) => {
  say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
