/**
 * The Admin API's StreamEvents (admin.proto): the recent station events of the journal
 * (events/event-journal.ts), then, with `follow`, the live ones until the caller cancels or
 * the authenticator stops. Writes honour the stream's backpressure ('drain'); while the
 * caller is slow its items wait in its bounded queue, and what does not fit is dropped and
 * announced with an EventsDropped item (CONVENTIONS 16).
 */
import * as grpc from '@grpc/grpc-js';
import type { StreamEventsRequest, StreamEventsResponse } from '@airlock/proto';
import type { Logger } from 'pino';
import { macFromText, macText } from './backend.js';
import type { EventFilter, EventJournal } from '../events/event-journal.js';

/** Who calls (over TLS: an operator), or the status that refuses the call (admin/server.ts). */
export type CallerCheck = (call: Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext' | 'getPeer'>, name: string) => { by: string } | { refused: Partial<grpc.StatusObject> };

/** The filters of a request, or why they are wrong. */
export function eventFilter(req: StreamEventsRequest): EventFilter | string {
  const f: EventFilter = {};
  for (const [k, what] of [['sta', 'station'], ['bssid', 'BSS']] as const) {
    const text = req[k];
    if (text === '') continue;
    const m = macFromText(text);
    if (m === undefined) return `${what} ${JSON.stringify(text.slice(0, 40))} is not a MAC address (aa:bb:cc:dd:ee:ff)`;
    f[k] = macText(m);
  }
  if (req.agentId.length > 128) return 'agent_id: at most 128 characters';
  if (req.agentId !== '') f.agentId = req.agentId;
  return f;
}

/** The StreamEvents handler over `events` (undefined: this process keeps none). */
export function streamEventsHandler(events: EventJournal | undefined, logger: Logger, who: CallerCheck): grpc.handleServerStreamingCall<StreamEventsRequest, StreamEventsResponse> {
  return (call) => {
    // A write after the caller went must not crash the process.
    call.on('error', () => undefined);
    const refuse = (code: grpc.status, details: string): void => {
      call.emit('error', { code, details });
    };
    const w = who(call, 'StreamEvents');
    if ('refused' in w) {
      call.emit('error', w.refused);
      return;
    }
    const filter = eventFilter(call.request);
    if (typeof filter === 'string') return refuse(grpc.status.INVALID_ARGUMENT, filter);
    if (events === undefined) return refuse(grpc.status.UNIMPLEMENTED, 'this process keeps no station events');
    const sub = events.subscribe(filter, call.request.follow);
    if (sub === undefined) return refuse(grpc.status.RESOURCE_EXHAUSTED, `${events.following} callers follow the station events already: end one first`);
    if (call.request.follow) logger.debug({ by: w.by, filter }, 'station events followed');
    let done = false;
    let draining = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      sub.close();
      call.end();
    };
    const pump = (): void => {
      if (done || draining) return;
      for (;;) {
        const item = sub.take();
        if (item === undefined) {
          if (sub.closed) finish();
          return;
        }
        if (!call.write({ item })) {
          draining = true;
          call.once('drain', () => {
            draining = false;
            pump();
          });
          return;
        }
      }
    };
    sub.onReadable = pump;
    call.on('cancelled', () => {
      done = true;
      sub.close();
    });
    pump();
  };
}
