// Keys and secrets are never logged (DESIGN.md "Security"): the names under which a value is
// always censored, in JSON logs (services/authenticator/src/logging.ts) and in the pretty
// format (pretty-log.ts) of both services.

/** Object keys whose values are always censored (matched case-insensitively). */
export const SECRET_LOG_KEYS: readonly string[] = [
  'pmk', 'ptk', 'kck', 'kek', 'tk', 'gtk', 'msk', 'psk',
  'passphrase', 'passphrases', 'secret', 'sharedSecret', 'shared_secret', 'key', 'password',
  'privateKey', 'private_key', 'kekPrevious', 'kek_previous',
];

/** What a censored value is replaced with. */
export const REDACTED = '[redacted]';

/** SECRET_LOG_KEYS in lower case, for a case-insensitive lookup. */
export const SECRET_LOG_KEY_SET: ReadonlySet<string> = new Set(SECRET_LOG_KEYS.map((k) => k.toLowerCase()));
