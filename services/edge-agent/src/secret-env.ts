/**
 * Secrets from the environment the way containers pass them: NAME, or NAME_FILE naming a
 * file that holds the value (compose and Kubernetes secrets, a per-service volume). The
 * file's one trailing newline is not part of the value. Both set is an operator error.
 */
import { readFileSync, statSync } from 'node:fs';

/** A secret file holds one value: anything larger is a wrong path, not a secret. */
const MAX_BYTES = 64 * 1024;

/** NAME's value, from NAME or the file NAME_FILE names; undefined when neither is set. Throws an Error whose message names the variable and the file, never the value. */
export function secretFromEnv(name: string, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (file === undefined || file === '') return direct;
  if (direct !== undefined) throw new Error(`${name} and ${name}_FILE are both set: keep one`);
  try {
    if (statSync(file).size > MAX_BYTES) throw new Error(`${name}_FILE: ${file} is larger than ${MAX_BYTES} bytes; it should hold one secret`);
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === undefined) throw e;
    throw new Error(`${name}_FILE: cannot read ${file} (${code})${code === 'EACCES' ? ': make it readable by the user the agent runs as' : ''}`);
  }
}
