import { Audited, Author, DomainEvent } from '../database/units/domain-event';
import type { IdentityKind } from './store/identity.entity';
import type { Role } from './store/membership.entity';

export interface BusinessRef {
  id: string;
  name: string;
}

export interface IdentityRef {
  id: string;
  kind: IdentityKind;
  label: string;
}

@Audited()
export class BusinessCreatedEvent extends DomainEvent {
  readonly name = 'business.created';
  constructor(
    author: Author,
    readonly business: BusinessRef,
    readonly owner: IdentityRef,
  ) {
    super(author);
  }
}

@Audited()
export class BusinessSuspendedEvent extends DomainEvent {
  readonly name = 'business.suspended';
  constructor(
    author: Author,
    readonly business: BusinessRef,
  ) {
    super(author);
  }
}

@Audited()
export class BusinessResumedEvent extends DomainEvent {
  readonly name = 'business.resumed';
  constructor(
    author: Author,
    readonly business: BusinessRef,
  ) {
    super(author);
  }
}

@Audited()
export class MemberAddedEvent extends DomainEvent {
  readonly name = 'member.added';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly member: IdentityRef,
    readonly role: Role,
  ) {
    super(author);
  }
}

@Audited()
export class MemberRoleChangedEvent extends DomainEvent {
  readonly name = 'member.role_changed';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly member: IdentityRef,
    readonly from: Role,
    readonly to: Role,
  ) {
    super(author);
  }
}

@Audited()
export class MemberRemovedEvent extends DomainEvent {
  readonly name = 'member.removed';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly member: IdentityRef,
    readonly role: Role,
    readonly revokedTokenIds: string[],
  ) {
    super(author);
  }
}

@Audited()
export class IdentityCreatedEvent extends DomainEvent {
  readonly name = 'identity.created';
  constructor(
    author: Author,
    /** Null for a user, who belongs to no one business. */
    readonly businessId: string | null,
    readonly identity: IdentityRef,
  ) {
    super(author);
  }
}

@Audited()
export class IdentityDeletedEvent extends DomainEvent {
  readonly name = 'identity.deleted';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly identity: IdentityRef,
    readonly revokedTokenIds: string[],
  ) {
    super(author);
  }
}

@Audited()
export class PlatformAdminAddedEvent extends DomainEvent {
  readonly name = 'identity.platform_admin_added';
  constructor(
    author: Author,
    readonly identity: IdentityRef,
  ) {
    super(author);
  }
}

@Audited()
export class PlatformAdminRemovedEvent extends DomainEvent {
  readonly name = 'identity.platform_admin_removed';
  constructor(
    author: Author,
    readonly identity: IdentityRef,
    readonly revokedTokenIds: string[],
  ) {
    super(author);
  }
}
