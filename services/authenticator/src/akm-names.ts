/** AKM names of the configuration and of metric labels. */
import { AKM } from '@airlock/rsn';
import type { AkmName } from './config.js';

/** AKM selector of each configuration name. */
export const AKM_BY_NAME: Record<AkmName, number> = {
  psk: AKM.PSK,
  'psk-sha256': AKM.PSK_SHA256,
  '8021x': AKM.IEEE8021X,
  '8021x-sha256': AKM.IEEE8021X_SHA256,
  sae: AKM.SAE,
};

const AKM_LABELS = new Map<number, string>(Object.entries(AKM_BY_NAME).map(([name, sel]) => [sel, name]));

/** "psk", "psk-sha256", ... for an AKM selector (metric label). */
export function akmLabel(akm: number): string {
  return AKM_LABELS.get(akm) ?? `00-0f-ac:${akm & 0xff}`;
}
