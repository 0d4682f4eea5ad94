/** Byte helpers of the codecs, from @airlock/bytes (shared with the RADIUS codec). */
export { asBuffer, checkInt, checkLength } from '@airlock/bytes';
