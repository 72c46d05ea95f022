import { listedIds } from '../common/validation/byte-budget';
import { Audited, Author, DomainEvent } from '../database/units/domain-event';
import type { IdentityKind } from './store/identity.entity';
import type { Role } from '../auth/roles';

export interface BusinessRef {
  id: string;
  name: string;
}

export interface IdentityRef {
  id: string;
  kind: IdentityKind;
  label: string;
}

// How each event reads in the audit log: the entry's target, and what its metadata keeps.
const business = (b: BusinessRef) => ({ type: 'business', id: b.id, label: b.name });
const identity = (i: IdentityRef) => ({ type: i.kind, id: i.id, label: i.label });

@Audited((e: BusinessCreatedEvent) => ({
  businessId: null,
  target: business(e.business),
  metadata: { owner_id: e.owner.id, owner: e.owner.label },
}))
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

@Audited((e: BusinessSuspendedEvent) => ({
  businessId: null,
  target: business(e.business),
  metadata: {},
}))
export class BusinessSuspendedEvent extends DomainEvent {
  readonly name = 'business.suspended';
  constructor(
    author: Author,
    readonly business: BusinessRef,
  ) {
    super(author);
  }
}

@Audited((e: BusinessResumedEvent) => ({
  businessId: null,
  target: business(e.business),
  metadata: {},
}))
export class BusinessResumedEvent extends DomainEvent {
  readonly name = 'business.resumed';
  constructor(
    author: Author,
    readonly business: BusinessRef,
  ) {
    super(author);
  }
}

@Audited((e: MemberAddedEvent) => ({
  businessId: e.businessId,
  target: identity(e.member),
  metadata: { role: e.role },
}))
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

@Audited((e: MemberRoleChangedEvent) => ({
  businessId: e.businessId,
  target: identity(e.member),
  metadata: { from: e.from, to: e.to },
}))
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

@Audited((e: MemberRemovedEvent) => ({
  businessId: e.businessId,
  target: identity(e.member),
  metadata: { role: e.role, ...listedIds('revoked_token_ids', e.revokedTokenIds) },
}))
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

/** A user is global and lands in the platform chain; a machine in its business's. */
@Audited((e: IdentityCreatedEvent) => ({
  businessId: e.businessId,
  target: identity(e.identity),
  metadata: {},
}))
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

@Audited((e: IdentityDeletedEvent) => ({
  businessId: e.businessId,
  target: identity(e.identity),
  metadata: listedIds('revoked_token_ids', e.revokedTokenIds),
}))
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

@Audited((e: PlatformAdminAddedEvent) => ({
  businessId: null,
  target: identity(e.identity),
  metadata: {},
}))
export class PlatformAdminAddedEvent extends DomainEvent {
  readonly name = 'identity.platform_admin_added';
  constructor(
    author: Author,
    readonly identity: IdentityRef,
  ) {
    super(author);
  }
}

@Audited((e: PlatformAdminRemovedEvent) => ({
  businessId: null,
  target: identity(e.identity),
  metadata: listedIds('revoked_token_ids', e.revokedTokenIds),
}))
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

/** The business turned token sign-in to the console on or off for its people. */
@Audited((e: SsoSettingsUpdatedEvent) => ({
  businessId: e.businessId,
  target: { type: 'business', id: e.businessId, label: 'console sign-in' },
  metadata: { token_sign_in: e.tokenSignIn },
}))
export class SsoSettingsUpdatedEvent extends DomainEvent {
  readonly name = 'sso.settings_updated';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly tokenSignIn: boolean,
  ) {
    super(author);
  }
}
