/** The Result of decoding untrusted bytes, from @airlock/bytes (shared with the RADIUS codec). */
export { fail, ok, type DecodeError, type DecodeErrorCode, type Result } from '@airlock/bytes';
