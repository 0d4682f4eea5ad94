/**
 * Station-originated EAPOL PDUs without a body: EAPOL-Start and EAPOL-Logoff
 * (IEEE 802.1X-2010 §11.3, Packet Types 1 and 2; the Supplicant PAE of §8.2.11 sends them).
 */
import { EapolType, encodeEapol } from '@airlock/rsn';

const NO_BODY = Buffer.alloc(0);

/** An EAPOL-Start frame (from the 802.1X header) with the given protocol version. */
export function eapolStart(version = 1): Buffer {
  return encodeEapol({ version, type: EapolType.Start, body: NO_BODY });
}

/** An EAPOL-Logoff frame (from the 802.1X header) with the given protocol version. */
export function eapolLogoff(version = 1): Buffer {
  return encodeEapol({ version, type: EapolType.Logoff, body: NO_BODY });
}
