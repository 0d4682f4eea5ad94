/**
 * Station frames the supplicant does not send by itself, built for scenarios from the
 * @airlock/rsn codecs: the EAPOL-Key request (IEEE 802.11-2020 §12.7.2, Request bit).
 */
import { KeyInfo, calculateEapolKeyMic, encodeEapolKeyFrame, newEapolKey, writeMic } from '@airlock/rsn';

/** An EAPOL-Key request from the station, MIC'd with its KCK: pairwise asks for a PTK rekey, group for a GTK rekey. */
export function keyRequest(a: { kck: Buffer; descriptorVersion: 2 | 3; replayCounter: bigint; pairwise: boolean }): Buffer {
  const keyInfo = a.descriptorVersion | KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.REQUEST | (a.pairwise ? KeyInfo.PAIRWISE : 0);
  const frame = encodeEapolKeyFrame(newEapolKey({ keyInfo, replayCounter: a.replayCounter }), 1);
  writeMic(frame, calculateEapolKeyMic(a.kck, frame, a.descriptorVersion));
  return frame;
}
