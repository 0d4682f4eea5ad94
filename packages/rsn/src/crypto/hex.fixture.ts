/**
 * Test fixture helper: test vectors are written one field per line as hex strings and
 * joined here. Not part of the package API.
 */

/** Joins hex fields (whitespace ignored) into bytes; throws on malformed test data. */
export function hex(...fields: string[]): Buffer {
  const s = fields.join('').replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) throw new Error(`malformed hex in test vector: ${s}`);
  return Buffer.from(s, 'hex');
}

/** ASCII bytes of a string (SSIDs, labels and messages in test vectors). */
export function ascii(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}
