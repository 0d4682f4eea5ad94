/** Generated AgentLink and Admin messages and grpc-js service definitions (from proto/; do not edit gen/). */
export * from './gen/airlock/v1/agent_link.js';
export {
  AdminClient,
  AdminService,
  AgentInfo,
  DisconnectStationRequest,
  DisconnectStationResponse,
  ExplainStationRequest,
  ExplainStationResponse,
  HandshakeInfo,
  ListAgentsRequest,
  ListAgentsResponse,
  ListStationsRequest,
  ListStationsResponse,
  RekeyGroupRequest,
  RekeyGroupResponse,
  StationInfo,
  type AdminServer,
} from './gen/airlock/v1/admin.js';
// Station events and 802.1X explain (issue 14).
export { EapAuthInfo, EventsDropped, RadiusRound, StationEvent, StreamEventsRequest, StreamEventsResponse } from './gen/airlock/v1/admin.js';
// RADIUS health, radius test and configuration reload (issue 14).
export { ListRadiusServersRequest, ListRadiusServersResponse, RadiusServerInfo, ReloadConfigRequest, ReloadConfigResponse, TestRadiusRequest, TestRadiusResponse } from './gen/airlock/v1/admin.js';
export { approximateSize, messageSize, runLength, splitBatches } from './batching.js';
export { Outbox, type OutboxOptions } from './outbox.js';
export { LinkStream, type LinkCall, type LinkEnd, type LinkStreamOptions } from './link-stream.js';
export { answersWithResult, cipherFromWire, cipherToWire, decodeCommand, decodeEvent, decodeHello, encodeCommand, encodeEvent, encodeHello, type AgentBody, type ControllerBody } from './link-codec.js';
