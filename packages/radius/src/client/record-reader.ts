// RADIUS records out of a byte stream: RFC 6614 carries RADIUS over TLS as RFC 6613 carries
// it over TCP, packets back to back with no datagram around them, so a packet's end is found
// by the Length field of its header (octets 2-3). A stream delivers records split across reads and several records
// in one read; both are put back together here. A Length below the header (20) or above
// the largest packet (4096, RFC 2865 §3) means the stream is out of step or hostile: nothing
// after it can be framed, so the reader stops and its owner drops the connection.
//
// No I/O: the TLS transport feeds it what the socket read.

import type { Result } from '@airlock/bytes';
import { RADIUS_HEADER_LENGTH, RADIUS_MAX_LENGTH } from '../codec/index.js';

/** Octets of a header needed to read the Length field: Code, Identifier, Length. */
const LENGTH_END = 4;

/** Why a stream cannot be framed any further. */
export type FramingErrorCode =
  /** A Length below the 20-octet header. */
  | 'record-too-short'
  /** A Length above 4096 octets. */
  | 'record-too-long';

/** A framing failure: the connection is dropped. */
export interface FramingError {
  code: FramingErrorCode;
  /** The Length field that was read. */
  length: number;
  detail: string;
}

/** Reassembles RADIUS records from the chunks of one stream (one reader per connection). */
export class RecordReader {
  /** Bytes of a record not yet complete (a view of the last chunk, or a copy). */
  private pending: Buffer = Buffer.alloc(0);
  private failure: FramingError | undefined;

  /** Octets held of a record not yet complete. */
  get buffered(): number {
    return this.pending.length;
  }

  /**
   * Appends `chunk` and returns the records it completes, in order, each a copy of its own
   * (a record outlives the chunk: its attributes are handed to callers). After a framing
   * error every later call returns that error again.
   */
  push(chunk: Buffer): Result<Buffer[], FramingError> {
    if (this.failure !== undefined) return { ok: false, error: this.failure };
    let data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const records: Buffer[] = [];
    while (data.length >= LENGTH_END) {
      const length = data.readUInt16BE(2);
      if (length < RADIUS_HEADER_LENGTH || length > RADIUS_MAX_LENGTH) {
        this.pending = Buffer.alloc(0);
        this.failure = {
          code: length < RADIUS_HEADER_LENGTH ? 'record-too-short' : 'record-too-long',
          length,
          detail: `a record Length of ${length} octets (allowed ${RADIUS_HEADER_LENGTH}..${RADIUS_MAX_LENGTH})`,
        };
        return { ok: false, error: this.failure };
      }
      if (data.length < length) break;
      records.push(Buffer.from(data.subarray(0, length)));
      data = data.subarray(length);
    }
    // A partial record is at most 4095 octets: copied, so that the chunk it came in is not kept.
    this.pending = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
    return { ok: true, value: records };
  }
}
