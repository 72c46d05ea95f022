import { Audited, Author, DomainEvent } from '../database/units/domain-event';

/**
 * What an audit entry may say about an endpoint: its id and where it points, as scheme and host
 * only. A URL's path or query often holds a credential of the receiver (a chat hook's token), so
 * the whole URL never reaches the log.
 */
export interface EndpointRef {
  id: string;
  chainId: string;
  /** `https://hooks.example.com`: the URL's origin. */
  origin: string;
}

@Audited()
export class WebhookCreatedEvent extends DomainEvent {
  readonly name = 'webhook.created';
  constructor(
    author: Author,
    readonly endpoint: EndpointRef,
    readonly eventTypes: readonly string[],
  ) {
    super(author);
  }
}

@Audited()
export class WebhookUpdatedEvent extends DomainEvent {
  readonly name = 'webhook.updated';
  constructor(
    author: Author,
    readonly endpoint: EndpointRef,
    /** The fields it changed, by name (`url`, `event_types`, `description`, `enabled`). */
    readonly changed: readonly string[],
  ) {
    super(author);
  }
}

@Audited()
export class WebhookDeletedEvent extends DomainEvent {
  readonly name = 'webhook.deleted';
  constructor(
    author: Author,
    readonly endpoint: EndpointRef,
  ) {
    super(author);
  }
}

@Audited()
export class WebhookSecretRotatedEvent extends DomainEvent {
  readonly name = 'webhook.secret_rotated';
  constructor(
    author: Author,
    readonly endpoint: EndpointRef,
    readonly previousValidUntil: string,
  ) {
    super(author);
  }
}

/** Why the server disabled an endpoint by itself. */
export type DisableCause = 'gone' | 'failing';

@Audited()
export class WebhookDisabledEvent extends DomainEvent {
  readonly name = 'webhook.disabled';
  constructor(
    author: Author,
    readonly endpoint: EndpointRef,
    readonly cause: DisableCause,
  ) {
    super(author);
  }
}

/** A chain's v1a key rotated: the new one signs from now, the one it replaced beside it a while. */
@Audited()
export class WebhookKeyRotatedEvent extends DomainEvent {
  readonly name = 'webhook.key_rotated';
  constructor(
    author: Author,
    readonly chainId: string,
    /** The key that signs from now on. */
    readonly kid: string,
    /** The key it replaced, and until when that one still signs beside it. */
    readonly previousKid: string,
    readonly previousValidUntil: string,
  ) {
    super(author);
  }
}
