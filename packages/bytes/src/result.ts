/** Result of decoding untrusted bytes: decoders return this and never throw. */
export type Result<T, E = DecodeError> = { ok: true; value: T } | { ok: false; error: E };

/** Named reasons a decoder rejects its input. */
export type DecodeErrorCode =
  | 'empty'
  | 'truncated'
  | 'length-overflow'
  | 'bad-length'
  | 'bad-version'
  | 'bad-type'
  | 'unsupported'
  | 'invalid';

/** Why a decoder rejected its input: a named code plus a human-readable detail. */
export interface DecodeError {
  code: DecodeErrorCode;
  detail: string;
}

/** A successful result. */
export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** A failed decode with a named code. */
export function fail(code: DecodeErrorCode, detail: string): { ok: false; error: DecodeError } {
  return { ok: false, error: { code, detail } };
}
