import { Audited, Author, DomainEvent } from '../database/units/domain-event';
import type { IdentityRef } from './tenancy.events';
import type { BaseRole } from './store/custom-role.entity';

/** A custom role as its audit entries name it. */
export interface CustomRoleRef {
  id: string;
  businessId: string;
  name: string;
  baseRole: BaseRole;
  scopes: string[];
}

const target = (r: CustomRoleRef) => ({ type: 'custom_role', id: r.id, label: r.name });

/** A custom role was made (`from` null) or changed; its holders' tokens are bounded at once. */
@Audited((e: CustomRoleSavedEvent) => ({
  businessId: e.role.businessId,
  target: target(e.role),
  metadata: {
    base_role: e.role.baseRole,
    scopes: e.role.scopes,
    ...(e.from ? { from: { base_role: e.from.baseRole, scopes: e.from.scopes } } : {}),
  },
}))
export class CustomRoleSavedEvent extends DomainEvent {
  readonly name: 'custom_role.created' | 'custom_role.updated';
  constructor(
    author: Author,
    readonly role: CustomRoleRef,
    readonly from: CustomRoleRef | null,
  ) {
    super(author);
    this.name = from ? 'custom_role.updated' : 'custom_role.created';
  }
}

@Audited((e: CustomRoleDeletedEvent) => ({
  businessId: e.role.businessId,
  target: target(e.role),
  metadata: { base_role: e.role.baseRole, scopes: e.role.scopes },
}))
export class CustomRoleDeletedEvent extends DomainEvent {
  readonly name = 'custom_role.deleted';
  constructor(
    author: Author,
    readonly role: CustomRoleRef,
  ) {
    super(author);
  }
}

/** A member (a person or a machine) was given a custom role, or had it taken back (null). */
@Audited((e: MemberCustomRoleChangedEvent) => ({
  businessId: e.businessId,
  target: { type: e.member.kind, id: e.member.id, label: e.member.label },
  metadata: { custom_role_id: e.customRole?.id ?? null, custom_role: e.customRole?.name ?? null },
}))
export class MemberCustomRoleChangedEvent extends DomainEvent {
  readonly name = 'member.custom_role_changed';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly member: IdentityRef,
    readonly customRole: CustomRoleRef | null,
  ) {
    super(author);
  }
}
