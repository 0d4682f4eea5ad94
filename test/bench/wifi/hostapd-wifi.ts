/**
 * The reference AP of `npm run bench:wifi`: hostapd 2.10 (Debian `hostapd`) with
 * driver=nl80211 on a mac80211_hwsim radio inside the VM test host, with the BSSes of the
 * airlock agent: WPA2-PSK, WPA2-Enterprise relaying EAP to the same FreeRADIUS, and (for
 * wifi-sae) WPA3-Personal: SAE with PMF required and both ways of making the password
 * element (sae_pwe=2).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChild, type Child } from '../interop/child.js';
import { HOSTAPD_BIN } from '../interop/hostapd.js';

/** What the reference AP serves. */
export interface WifiHostapdOptions {
  workDir: string;
  /** The radio's interface (its first BSS); the second BSS is IFACE_1 with `eapBssid`. */
  interfaceName: string;
  eapBssid: string;
  channel: number;
  psk: { ssid: string; passphrase: string };
  eap: { ssid: string; radiusHost: string; radiusPort: number; secret: string };
  /** A third BSS, IFACE_2 with `bssid`: WPA3-Personal (wpa_key_mgmt=SAE, ieee80211w=2, sae_pwe=2). */
  sae?: { ssid: string; password: string; bssid: string };
}

/** hostapd.conf text for the two BSSes. */
export function wifiHostapdConfig(o: WifiHostapdOptions): string {
  for (const v of [o.psk.passphrase, o.eap.secret, o.psk.ssid, o.eap.ssid, o.sae?.ssid ?? '', o.sae?.password ?? '']) if (/[\n\r]/.test(v)) throw new Error('hostapd values cannot contain newlines');
  return [
    '# written by airlock test/bench/wifi/hostapd-wifi.ts',
    `interface=${o.interfaceName}`,
    'driver=nl80211',
    'hw_mode=g',
    `channel=${o.channel}`,
    'logger_stdout=-1',
    'logger_stdout_level=2',
    `ssid=${o.psk.ssid}`,
    'wpa=2',
    'wpa_key_mgmt=WPA-PSK',
    'rsn_pairwise=CCMP',
    `wpa_passphrase=${o.psk.passphrase}`,
    '',
    `bss=${o.interfaceName}_1`,
    `bssid=${o.eapBssid}`,
    `ssid=${o.eap.ssid}`,
    'wpa=2',
    'wpa_key_mgmt=WPA-EAP',
    'rsn_pairwise=CCMP',
    'ieee8021x=1',
    'eapol_version=2',
    'own_ip_addr=127.0.0.1',
    'nas_identifier=hostapd-bench-wifi',
    `auth_server_addr=${o.eap.radiusHost}`,
    `auth_server_port=${o.eap.radiusPort}`,
    `auth_server_shared_secret=${o.eap.secret}`,
    ...(o.sae === undefined
      ? []
      : [
          '',
          `bss=${o.interfaceName}_2`,
          `bssid=${o.sae.bssid}`,
          `ssid=${o.sae.ssid}`,
          'wpa=2',
          'wpa_key_mgmt=SAE',
          'rsn_pairwise=CCMP',
          `sae_password=${o.sae.password}`,
          'ieee80211w=2',
          'sae_pwe=2',
        ]),
    '',
  ].join('\n');
}

/** Starts hostapd; resolves once the radio is enabled (one AP-ENABLED for all its BSSes). */
export async function startWifiHostapd(o: WifiHostapdOptions): Promise<{ child: Child; logFile: string }> {
  const configFile = join(o.workDir, 'hostapd-wifi.conf');
  writeFileSync(configFile, wifiHostapdConfig(o), { mode: 0o600 });
  const logFile = join(o.workDir, 'hostapd-wifi.log');
  const child = startChild('hostapd', [HOSTAPD_BIN, '-t', configFile], logFile);
  try {
    await child.waitForLine(/AP-ENABLED/, 60_000);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { child, logFile };
}
