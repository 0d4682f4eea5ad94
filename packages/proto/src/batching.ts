/**
 * ConnectBatched splits what one turn produced into gRPC messages that stay under the
 * receiver's size limit (grpc.max_receive_message_length): a burst of a thousand
 * associations or msg 1/4 frames must not become one oversized message that ends the
 * stream. Sizes are estimated from the fields (bytes and strings at their length, numbers at
 * their largest varint), which bounds the protobuf encoding from above for these messages.
 */

/** An upper-bound estimate of a message's protobuf size, in octets. */
export function approximateSize(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return value.length + 6;
  switch (typeof value) {
    case 'string':
      return Buffer.byteLength(value) + 6;
    case 'number':
    case 'bigint':
      return 11;
    case 'boolean':
      return 2;
    case 'object': {
      let n = 6;
      if (Array.isArray(value)) {
        for (const v of value) n += approximateSize(v);
        return n;
      }
      for (const v of Object.values(value as Record<string, unknown>)) n += approximateSize(v);
      return n;
    }
    default:
      return 0;
  }
}

/** Room for a message's seq, oneof tag, MACs and flags around its variable fields. */
const ENVELOPE = 96;

/**
 * The size estimate of one AgentLink message, cheaply: the frames and keys that make a
 * message large at their length plus an envelope; a Hello (tables of any size) in full.
 */
export function messageSize(m: { body?: { $case: string; value: unknown } | undefined }): number {
  const body = m.body;
  if (body === undefined) return ENVELOPE;
  const v = body.value as { frame?: Uint8Array; key?: Uint8Array; rsne?: Uint8Array };
  if (body.$case === 'hello') return approximateSize(m);
  return ENVELOPE + (v.frame?.length ?? 0) + (v.key?.length ?? 0) + (v.rsne?.length ?? 0);
}

/**
 * How many messages make the next run, `at(i)` being the i-th of those left: as many as fit
 * within `maxBytes` estimated, at least one (a lone oversized message goes alone); 0 when
 * none are left.
 */
export function runLength(at: (i: number) => { body?: { $case: string; value: unknown } | undefined } | undefined, maxBytes: number): number {
  let n = 0;
  let size = 0;
  for (let m = at(0); m !== undefined; m = at(++n)) {
    const s = messageSize(m);
    if (n > 0 && size + s > maxBytes) break;
    size += s;
  }
  return n;
}

/** `messages` in order, cut into runs whose estimated size stays within `maxBytes` (a lone oversized message goes alone). */
export function splitBatches<T extends { body?: { $case: string; value: unknown } | undefined }>(messages: readonly T[], maxBytes: number): T[][] {
  const out: T[][] = [];
  for (let i = 0, n; (n = runLength((k) => messages[i + k], maxBytes)) > 0; i += n) out.push(messages.slice(i, i + n));
  return out;
}
