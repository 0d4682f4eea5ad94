/**
 * Byte helpers shared by the codecs (EAPOL, EAP, RSNE and KDE in packages/rsn, RADIUS in packages/radius).
 */

/**
 * A Buffer over the same memory as `bytes`, without copying: the argument itself when it
 * already is a Buffer. Writes through the result are visible in `bytes`.
 */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Throws RangeError unless `v` is an integer in [min, max]; encoders call it on caller input. */
export function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
}

/** Throws RangeError unless `b` is exactly `len` octets long. */
export function checkLength(name: string, b: Uint8Array, len: number): void {
  if (b.length !== len) throw new RangeError(`${name} must be ${len} octets, got ${b.length}`);
}
