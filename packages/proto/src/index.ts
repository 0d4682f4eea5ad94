/** Generated AgentLink messages and grpc-js service definitions (from proto/; do not edit gen/). */
export * from './gen/airlock/v1/agent_link.js';
export { approximateSize, messageSize, splitBatches } from './batching.js';
