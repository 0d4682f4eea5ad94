/**
 * @airlock/link: the AgentLink vocabulary — the events an agent reports, the commands the
 * authenticator sends, and an agent's Hello — defined once, as plain shapes with no code.
 * The edge agent's drivers and the authenticator core speak it; @airlock/proto maps it to
 * the wire.
 */
export type * from './vocabulary.js';
