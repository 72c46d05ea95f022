import { Audited, Author, DomainEvent } from '../database/units/domain-event';
import type { Role } from '../auth/roles';

/** A group rule as its audit entries name it. */
export interface GroupRoleRef {
  id: string;
  businessId: string;
  group: string;
  role: Role;
}

const target = (r: GroupRoleRef) => ({ type: 'sso_group_role', id: r.id, label: r.group });

/** A person signed in to the console through the identity provider; their session was made. */
@Audited((e: SsoSignedInEvent) => ({
  businessId: e.businessId,
  target: { type: 'identity', id: e.identityId, label: e.email },
  metadata: { role: e.role, token_jti: e.tokenJti, groups: e.groups },
}))
export class SsoSignedInEvent extends DomainEvent {
  readonly name = 'sso.signed_in';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly identityId: string,
    readonly email: string,
    readonly role: Role,
    /** The groups whose rules gave the role. */
    readonly groups: string[],
    readonly tokenJti: string,
  ) {
    super(author);
  }
}

/** The refusals of a person the provider vouched for that the business concerned audits. */
export type AuditedRefusalCode = 'SSO_NO_ROLE' | 'SSO_EMAIL_UNVERIFIED' | 'SSO_BUSINESS_SUSPENDED';

/**
 * The provider vouched for a person, and the business they asked to sign in to (or that their
 * groups reached) refused them: none of their groups has a rule there (`SSO_NO_ROLE`), their
 * email is not verified (`SSO_EMAIL_UNVERIFIED`), or the business is suspended
 * (`SSO_BUSINESS_SUSPENDED`). The person may be no member, so the target names the email alone.
 */
@Audited((e: SsoSignInRefusedEvent) => ({
  businessId: e.businessId,
  target: { type: 'identity', id: null, label: e.email },
  metadata: { code: e.code },
}))
export class SsoSignInRefusedEvent extends DomainEvent {
  readonly name = 'sso.sign_in_refused';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly email: string,
    readonly code: AuditedRefusalCode,
  ) {
    super(author);
  }
}

/** A group rule was made, or its role changed (`from` null: it is new). */
@Audited((e: SsoGroupRoleSetEvent) => ({
  businessId: e.rule.businessId,
  target: target(e.rule),
  metadata: { role: e.rule.role, from: e.from },
}))
export class SsoGroupRoleSetEvent extends DomainEvent {
  readonly name = 'sso.group_role_set';
  constructor(
    author: Author,
    readonly rule: GroupRoleRef,
    readonly from: Role | null,
  ) {
    super(author);
  }
}

@Audited((e: SsoGroupRoleRemovedEvent) => ({
  businessId: e.rule.businessId,
  target: target(e.rule),
  metadata: { role: e.rule.role },
}))
export class SsoGroupRoleRemovedEvent extends DomainEvent {
  readonly name = 'sso.group_role_removed';
  constructor(
    author: Author,
    readonly rule: GroupRoleRef,
  ) {
    super(author);
  }
}
