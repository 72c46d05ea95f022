import { Audited, Author, DomainEvent } from '../database/units/domain-event';

/**
 * A resource as its audit entries name it: by its URI, with its scopes' names (their
 * descriptions are the console's text, not what the log needs to tell one change from another).
 */
export interface ResourceRef {
  id: string;
  businessId: string;
  uri: string;
  name: string;
  scopes: string[];
}

const target = (r: ResourceRef) => ({ type: 'resource', id: r.id, label: r.uri });

@Audited((e: ResourceRegisteredEvent) => ({
  businessId: e.resource.businessId,
  target: target(e.resource),
  metadata: { name: e.resource.name, scopes: e.resource.scopes },
}))
export class ResourceRegisteredEvent extends DomainEvent {
  readonly name = 'resource.registered';
  constructor(
    author: Author,
    readonly resource: ResourceRef,
  ) {
    super(author);
  }
}

/** Its name or scopes changed (a description alone counts); `from` is how it was. */
@Audited((e: ResourceUpdatedEvent) => ({
  businessId: e.resource.businessId,
  target: target(e.resource),
  metadata: {
    name: e.resource.name,
    scopes: e.resource.scopes,
    from: { name: e.from.name, scopes: e.from.scopes },
  },
}))
export class ResourceUpdatedEvent extends DomainEvent {
  readonly name = 'resource.updated';
  constructor(
    author: Author,
    readonly resource: ResourceRef,
    readonly from: ResourceRef,
  ) {
    super(author);
  }
}

@Audited((e: ResourceDeletedEvent) => ({
  businessId: e.resource.businessId,
  target: target(e.resource),
  metadata: { name: e.resource.name, scopes: e.resource.scopes },
}))
export class ResourceDeletedEvent extends DomainEvent {
  readonly name = 'resource.deleted';
  constructor(
    author: Author,
    readonly resource: ResourceRef,
  ) {
    super(author);
  }
}
