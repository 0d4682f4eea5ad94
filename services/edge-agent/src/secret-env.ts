/**
 * Secrets from the environment the way containers pass them: NAME, or NAME_FILE naming a
 * file that holds the value (read by @airlock/pki's readSecretFile). Both set is an
 * operator error.
 */
import { readSecretFile } from '@airlock/pki';

/** NAME's value, from NAME or the file NAME_FILE names; undefined when neither is set. Throws an Error whose message names the variable and the file, never the value. */
export function secretFromEnv(name: string, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (file === undefined || file === '') return direct;
  if (direct !== undefined) throw new Error(`${name} and ${name}_FILE are both set: keep one`);
  try {
    return readSecretFile(file, 'the agent');
  } catch (e) {
    throw new Error(`${name}_FILE: ${e instanceof Error ? e.message : String(e)}`);
  }
}
