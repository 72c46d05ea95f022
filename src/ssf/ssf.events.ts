import { Audited, Author, DomainEvent } from '../database/units/domain-event';

/**
 * What an audit entry may say about a stream: its id and its receiver's origin, never the whole
 * URL (its path or query may hold a credential of the receiver) nor the authorization header.
 */
export interface StreamRef {
  id: string;
  businessId: string;
  /** `https://receiver.example.com`: the push URL's origin. */
  origin: string;
}

// How each event reads in the audit log: a stream's events go to its business and target it.
const on = (stream: StreamRef, metadata: Record<string, unknown>) => ({
  businessId: stream.businessId,
  target: { type: 'ssf_stream', id: stream.id, label: stream.origin },
  metadata,
});

@Audited((e: StreamCreatedEvent) => on(e.stream, { events_delivered: e.eventsDelivered }))
export class StreamCreatedEvent extends DomainEvent {
  readonly name = 'ssf.stream_created';
  constructor(
    author: Author,
    readonly stream: StreamRef,
    readonly eventsDelivered: readonly string[],
  ) {
    super(author);
  }
}

@Audited((e: StreamUpdatedEvent) => on(e.stream, { changed: e.changed }))
export class StreamUpdatedEvent extends DomainEvent {
  readonly name = 'ssf.stream_updated';
  constructor(
    author: Author,
    readonly stream: StreamRef,
    /** The fields it changed, by their SSF names (`delivery`, `events_requested`, `description`). */
    readonly changed: readonly string[],
  ) {
    super(author);
  }
}

@Audited((e: StreamStatusChangedEvent) =>
  on(e.stream, { status: e.status, previous_status: e.previous, reason: e.reason }),
)
export class StreamStatusChangedEvent extends DomainEvent {
  readonly name = 'ssf.stream_status_changed';
  constructor(
    author: Author,
    readonly stream: StreamRef,
    readonly status: string,
    readonly previous: string,
    readonly reason: string | null,
  ) {
    super(author);
  }
}

@Audited((e: StreamDeletedEvent) => on(e.stream, {}))
export class StreamDeletedEvent extends DomainEvent {
  readonly name = 'ssf.stream_deleted';
  constructor(
    author: Author,
    readonly stream: StreamRef,
  ) {
    super(author);
  }
}
