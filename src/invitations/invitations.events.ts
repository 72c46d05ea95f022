import { Audited, Author, DomainEvent } from '../database/units/domain-event';
import type { Role } from '../auth/roles';

/** An invitation as its audit entries name it: by id and the invitee's email, never its link. */
export interface InvitationRef {
  id: string;
  businessId: string;
  email: string;
  role: Role;
}

const target = (i: InvitationRef) => ({ type: 'invitation', id: i.id, label: i.email });

@Audited((e: InvitationCreatedEvent) => ({
  businessId: e.invitation.businessId,
  target: target(e.invitation),
  metadata: { role: e.invitation.role, expires_at: e.expiresAt.toISOString() },
}))
export class InvitationCreatedEvent extends DomainEvent {
  readonly name = 'invitation.created';
  constructor(
    author: Author,
    readonly invitation: InvitationRef,
    readonly expiresAt: Date,
  ) {
    super(author);
  }
}

/** A new link replaced the old one, which stopped working. */
@Audited((e: InvitationResentEvent) => ({
  businessId: e.invitation.businessId,
  target: target(e.invitation),
  metadata: { role: e.invitation.role, expires_at: e.expiresAt.toISOString() },
}))
export class InvitationResentEvent extends DomainEvent {
  readonly name = 'invitation.resent';
  constructor(
    author: Author,
    readonly invitation: InvitationRef,
    readonly expiresAt: Date,
  ) {
    super(author);
  }
}

/** The mail server did not take the link: the invitation waits, as send_failed, for a resend. */
@Audited((e: InvitationSendFailedEvent) => ({
  businessId: e.invitation.businessId,
  target: target(e.invitation),
  outcome: 'failure',
  metadata: { role: e.invitation.role, error: e.errorCode },
}))
export class InvitationSendFailedEvent extends DomainEvent {
  readonly name = 'invitation.send_failed';
  constructor(
    author: Author,
    readonly invitation: InvitationRef,
    readonly errorCode: string,
  ) {
    super(author);
  }
}

@Audited((e: InvitationRevokedEvent) => ({
  businessId: e.invitation.businessId,
  target: target(e.invitation),
  metadata: { role: e.invitation.role },
}))
export class InvitationRevokedEvent extends DomainEvent {
  readonly name = 'invitation.revoked';
  constructor(
    author: Author,
    readonly invitation: InvitationRef,
  ) {
    super(author);
  }
}

/** The invitee took the link: their membership and first token were made with this entry. */
@Audited((e: InvitationAcceptedEvent) => ({
  businessId: e.invitation.businessId,
  target: target(e.invitation),
  metadata: { role: e.invitation.role, identity_id: e.identityId },
}))
export class InvitationAcceptedEvent extends DomainEvent {
  readonly name = 'invitation.accepted';
  constructor(
    author: Author,
    readonly invitation: InvitationRef,
    readonly identityId: string,
  ) {
    super(author);
  }
}
