import { PLATFORM_CHAIN } from '../audit/audit-entry';
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

/** The business a chain belongs to, as the audit log and the events name it. */
export const businessOfChain = (chainId: string) => (chainId === PLATFORM_CHAIN ? null : chainId);

// How each event reads in the audit log: an endpoint's events go to its chain and target it.
const on = (e: { endpoint: EndpointRef }, metadata: Record<string, unknown>) => ({
  businessId: businessOfChain(e.endpoint.chainId),
  target: { type: 'webhook', id: e.endpoint.id, label: e.endpoint.origin },
  metadata,
});

@Audited((e: WebhookCreatedEvent) => on(e, { event_types: e.eventTypes }))
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

@Audited((e: WebhookUpdatedEvent) => on(e, { changed: e.changed }))
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

@Audited((e: WebhookDeletedEvent) => on(e, {}))
export class WebhookDeletedEvent extends DomainEvent {
  readonly name = 'webhook.deleted';
  constructor(
    author: Author,
    readonly endpoint: EndpointRef,
  ) {
    super(author);
  }
}

@Audited((e: WebhookSecretRotatedEvent) => on(e, { previous_valid_until: e.previousValidUntil }))
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

@Audited((e: WebhookDisabledEvent) => on(e, { cause: e.cause }))
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
@Audited((e: WebhookKeyRotatedEvent) => ({
  businessId: businessOfChain(e.chainId),
  target: { type: 'webhook_key', id: businessOfChain(e.chainId), label: e.kid },
  metadata: {
    kid: e.kid,
    previous_kid: e.previousKid,
    previous_valid_until: e.previousValidUntil,
  },
}))
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
