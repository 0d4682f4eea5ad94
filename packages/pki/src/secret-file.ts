/**
 * A secret as container runtimes hand it over: a file (compose or Kubernetes secrets, a
 * per-service volume) holding one value. The authenticator's AIRLOCK__<KEY>_FILE and the
 * agent's AIRLOCK_SIM_*_FILE both read it here.
 */
import { readFileSync, statSync } from 'node:fs';

/** A secret file holds one value: anything larger is a wrong path, not a secret. */
export const SECRET_FILE_MAX_BYTES = 64 * 1024;

/** Why a secret file could not be read; the message names the file and never its content. */
export class SecretFileError extends Error {
  override readonly name = 'SecretFileError';
}

/** The file's content less one trailing newline (CRLF too). Throws SecretFileError. */
export function readSecretFile(path: string, runsAs: string): string {
  try {
    if (statSync(path).size > SECRET_FILE_MAX_BYTES) throw new SecretFileError(`${path} is larger than ${SECRET_FILE_MAX_BYTES} bytes; it should hold one secret`);
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    if (e instanceof SecretFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new SecretFileError(`cannot read ${path} (${code})${code === 'EACCES' ? `: make it readable by the user ${runsAs} runs as` : ''}`);
  }
}
