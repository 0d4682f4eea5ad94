/**
 * What both ends of `npm run bench:wifi` agree on (run.ts on the host, vm-bench.ts in the VM):
 * the scenarios, and the networks of the authenticator (the same whether it runs in the VM or
 * on the host).
 */
import { EAP_SSID, PSK_PASSPHRASE, PSK_SSID } from '../../wifi/world.js';

/** The scenarios of bench:wifi, in the order they run. */
export const WIFI_SCENARIOS = ['wifi-psk', 'wifi-peap', 'wifi-sae'] as const;
/** One scenario of bench:wifi. */
export type WifiScenario = (typeof WIFI_SCENARIOS)[number];

/** The WPA3-Personal BSS of wifi-sae (on both APs). */
export const SAE_BENCH = { ssid: 'airlock-sae', password: 'airlock wpa3 password' } as const;

/** The authenticator's networks: WPA2-PSK, WPA2-Enterprise, WPA3-Personal (SAE, H2E and hunting-and-pecking). */
export function benchNetworks(): Record<string, unknown>[] {
  return [
    { ssid: PSK_SSID, akms: ['psk'], passphrases: [PSK_PASSPHRASE], group_rekey_s: 0 },
    { ssid: EAP_SSID, akms: ['8021x'], group_rekey_s: 0 },
    { ssid: SAE_BENCH.ssid, akms: ['sae'], passphrases: [SAE_BENCH.password], group_rekey_s: 0, sae: { pwe: 'both' } },
  ];
}
