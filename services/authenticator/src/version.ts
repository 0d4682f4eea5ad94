// The version of @airlock/authenticator (airlock_build_info{version}).
import { readFileSync } from 'node:fs';

/**
 * The `version` of this package's package.json, read once: it sits next to dist/ (and src/)
 * in the workspace and in the deploy image alike.
 */
export const AUTHENTICATOR_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
