// Log volume as a shared resource (DESIGN.md "Security", "Fairness"): lines driven by remote
// input are rate-limited per source and their strings truncated. Used by the authenticator
// and the edge agent.
export { truncateText, MAX_REMOTE_STRING } from './truncate.js';
export { RateLimitedLog, type RateLimitOptions, type RateLimitedLevel, type SuppressedSummary, type SweepResult } from './rate-limited-log.js';
export { SourceLog, type LineLogger, type SourceLogOptions } from './source-log.js';
