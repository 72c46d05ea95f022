import { DomainEvent, EventActor, EventOrigin } from '../database/domain-event';
import type { IdentityKind } from './identity.entity';
import type { Role } from './membership.entity';

export interface BusinessRef {
  id: string;
  name: string;
}

export interface IdentityRef {
  id: string;
  kind: IdentityKind;
  label: string;
}

export class BusinessCreatedEvent extends DomainEvent {
  readonly name = 'business.created';
  constructor(
    actor: EventActor,
    origin: EventOrigin,
    readonly business: BusinessRef,
    readonly owner: IdentityRef,
  ) {
    super(actor, origin);
  }
}

export class BusinessSuspendedEvent extends DomainEvent {
  readonly name = 'business.suspended';
  constructor(
    actor: EventActor,
    origin: EventOrigin,
    readonly business: BusinessRef,
  ) {
    super(actor, origin);
  }
}

export class BusinessResumedEvent extends DomainEvent {
  readonly name = 'business.resumed';
  constructor(
    actor: EventActor,
    origin: EventOrigin,
    readonly business: BusinessRef,
  ) {
    super(actor, origin);
  }
}

export class MemberAddedEvent extends DomainEvent {
  readonly name = 'member.added';
  constructor(
    actor: EventActor,
    origin: EventOrigin,
    readonly businessId: string,
    readonly member: IdentityRef,
    readonly role: Role,
  ) {
    super(actor, origin);
  }
}

export class MemberRoleChangedEvent extends DomainEvent {
  readonly name = 'member.role_changed';
  constructor(
    actor: EventActor,
    origin: EventOrigin,
    readonly businessId: string,
    readonly member: IdentityRef,
    readonly from: Role,
    readonly to: Role,
  ) {
    super(actor, origin);
  }
}

export class MemberRemovedEvent extends DomainEvent {
  readonly name = 'member.removed';
  constructor(
    actor: EventActor,
    origin: EventOrigin,
    readonly businessId: string,
    readonly member: IdentityRef,
    readonly role: Role,
    readonly revokedTokenIds: string[],
  ) {
    super(actor, origin);
  }
}

export class IdentityCreatedEvent extends DomainEvent {
  readonly name = 'identity.created';
  constructor(
    actor: EventActor,
    origin: EventOrigin,
    /** Null for a user, who belongs to no one business. */
    readonly businessId: string | null,
    readonly identity: IdentityRef,
  ) {
    super(actor, origin);
  }
}

export class IdentityDeletedEvent extends DomainEvent {
  readonly name = 'identity.deleted';
  constructor(
    actor: EventActor,
    origin: EventOrigin,
    readonly businessId: string,
    readonly identity: IdentityRef,
    readonly revokedTokenIds: string[],
  ) {
    super(actor, origin);
  }
}

export class PlatformAdminAddedEvent extends DomainEvent {
  readonly name = 'identity.platform_admin_added';
  constructor(
    actor: EventActor,
    origin: EventOrigin,
    readonly identity: IdentityRef,
  ) {
    super(actor, origin);
  }
}

export class PlatformAdminRemovedEvent extends DomainEvent {
  readonly name = 'identity.platform_admin_removed';
  constructor(
    actor: EventActor,
    origin: EventOrigin,
    readonly identity: IdentityRef,
    readonly revokedTokenIds: string[],
  ) {
    super(actor, origin);
  }
}
