/**
 * Untrusted text on the operator's terminal: the escapes live in @airlock/log-limit, shared
 * with the pretty log format of both services (one definition of what a terminal acts on).
 */
export { escapeControls, escapeJsonControls, line } from '@airlock/log-limit';
