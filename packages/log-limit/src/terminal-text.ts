/**
 * Untrusted text on the operator's terminal (issue 13 item 6): the airlock CLI and the
 * pretty log format (pretty-log.ts) of the authenticator and the edge agent. Agent ids,
 * station and BSS text, handshake details, diagnoses and the authenticator's error messages
 * come from the network or from files; printed raw, an ESC sequence in one of them clears the screen or
 * moves the cursor (ECMA-48 CSI, also the 8-bit C1 form 0x9b), a CR or LF fakes a row,
 * and a Unicode bidi override or isolate (UAX #9: U+202A-U+202E, U+2066-U+2069) reorders
 * one. {@link escapeControls} renders every such character as a visible escape so that a
 * value stays on its line; every table cell and every free-text line of the CLI, and every
 * message, key and value of a pretty log line, goes through it.
 */

/**
 * What is escaped: C0 controls (ESC, CR, LF, TAB, NUL, ...), DEL, C1 controls, the line and
 * paragraph separators U+2028/U+2029, and the bidi embeddings, overrides and isolates.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * The part of {@link UNSAFE} that JSON.stringify leaves raw inside strings. Not C0: JSON.stringify
 * escapes C0 inside strings itself, and the LF of its indentation lies outside them.
 */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function hex(c: string, digits: number): string {
  return c.charCodeAt(0).toString(16).padStart(digits, '0');
}

/**
 * `s` with its control characters made visible: TAB, LF, CR as \t, \n, \r; other C0
 * controls, DEL and C1 controls as \xHH; U+2028/U+2029 and bidi controls as \uHHHH.
 * Printable text (any script, emoji, a backslash) is left as it is. The result contains
 * no character this function escapes, so applying it twice changes nothing.
 */
export function escapeControls(s: string): string {
  return s.replace(UNSAFE, (c) => NAMED[c] ?? (c.charCodeAt(0) <= 0x9f ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/**
 * A tagged template for a free-text line: every interpolated value is passed through
 * {@link escapeControls}; the literal parts are the program's own text and stay as written.
 */
export function line(strings: TemplateStringsArray, ...values: unknown[]): string {
  return strings.reduce((acc, s, i) => acc + escapeControls(String(values[i - 1])) + s);
}

/**
 * JSON text (from JSON.stringify) with the characters JSON.stringify leaves raw that a
 * terminal acts on (DEL, C1 controls, U+2028/U+2029, bidi controls) written as \uHHHH
 * escapes. Still valid JSON, and it parses to the same values: in JSON.stringify's output
 * these characters can only occur inside string literals, where \uHHHH means the same
 * character. C0 controls are already escaped by JSON.stringify.
 */
export function escapeJsonControls(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${hex(c, 4)}`);
}
