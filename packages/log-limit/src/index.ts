// Log lines of the authenticator and the edge agent. Log volume as a shared resource
// (DESIGN.md "Security", "Fairness"): lines driven by remote input are rate-limited per
// source and their strings truncated.
export { truncateText, MAX_REMOTE_STRING } from './truncate.js';
export { RateLimitedLog, type RateLimitOptions, type RateLimitedLevel, type SuppressedSummary, type SweepResult } from './rate-limited-log.js';
export { SourceLog, type LineLogger, type SourceLogOptions } from './source-log.js';
// What log text may hold on a terminal and in a file: the secret key names censored in both
// formats, the terminal escapes, and the pretty format (issue 14 "Readable logs").
export { SECRET_LOG_KEYS, SECRET_LOG_KEY_SET, REDACTED } from './secret-keys.js';
export { escapeControls, escapeJsonControls, line } from './terminal-text.js';
export { LOG_FORMATS, prettyLogDestination, prettyLogLine, wantsColour, type LogFormat, type PrettyLogOptions, type TextSink } from './pretty-log.js';
