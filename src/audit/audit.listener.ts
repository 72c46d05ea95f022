import { Injectable } from '@nestjs/common';
import { DomainEvent, OnDomainEvent } from '../database/domain-event';
import {
  BusinessCreatedEvent,
  BusinessRef,
  BusinessResumedEvent,
  BusinessSuspendedEvent,
  IdentityCreatedEvent,
  IdentityDeletedEvent,
  IdentityRef,
  MemberAddedEvent,
  MemberRemovedEvent,
  MemberRoleChangedEvent,
  PlatformAdminAddedEvent,
  PlatformAdminRemovedEvent,
} from '../tenancy/tenancy.events';
import {
  TokenCreatedEvent,
  TokenRef,
  TokenRejectedEvent,
  TokenRevokedEvent,
  TokenRotatedEvent,
  TokensBulkRevokedEvent,
} from '../tokens/tokens.events';
import { AuditEntry } from './audit-entry';
import { AuditOutcome } from './audit-event.entity';
import { AuditRepository } from './audit.repository';

const business = (b: BusinessRef) => ({ type: 'business', id: b.id, label: b.name });
const identity = (i: IdentityRef) => ({ type: i.kind, id: i.id, label: i.label });
const token = (t: TokenRef) => ({ type: 'token', id: t.id, label: t.name });

/**
 * Writes one audit event for each domain event, with the emitting transaction's manager: the
 * change and its record commit together or not at all. Errors propagate (`OnDomainEvent`), so
 * a failed write rolls the change back and the caller gets 503. Events carry refs, never a
 * secret or a hash, and only those refs reach the log.
 */
@Injectable()
export class AuditListener {
  constructor(private readonly audit: AuditRepository) {}

  @OnDomainEvent('business.created')
  onBusinessCreated(e: BusinessCreatedEvent) {
    return this.write(e, null, business(e.business), {
      owner_id: e.owner.id,
      owner: e.owner.label,
    });
  }

  @OnDomainEvent('business.suspended')
  onBusinessSuspended(e: BusinessSuspendedEvent) {
    return this.write(e, null, business(e.business), {});
  }

  @OnDomainEvent('business.resumed')
  onBusinessResumed(e: BusinessResumedEvent) {
    return this.write(e, null, business(e.business), {});
  }

  @OnDomainEvent('member.added')
  onMemberAdded(e: MemberAddedEvent) {
    return this.write(e, e.businessId, identity(e.member), { role: e.role });
  }

  @OnDomainEvent('member.role_changed')
  onMemberRoleChanged(e: MemberRoleChangedEvent) {
    return this.write(e, e.businessId, identity(e.member), { from: e.from, to: e.to });
  }

  @OnDomainEvent('member.removed')
  onMemberRemoved(e: MemberRemovedEvent) {
    return this.write(e, e.businessId, identity(e.member), {
      role: e.role,
      revoked_token_ids: e.revokedTokenIds,
    });
  }

  /** A user is global and lands in the platform chain; a machine in its business's. */
  @OnDomainEvent('identity.created')
  onIdentityCreated(e: IdentityCreatedEvent) {
    return this.write(e, e.businessId, identity(e.identity), {});
  }

  @OnDomainEvent('identity.deleted')
  onIdentityDeleted(e: IdentityDeletedEvent) {
    return this.write(e, e.businessId, identity(e.identity), {
      revoked_token_ids: e.revokedTokenIds,
    });
  }

  @OnDomainEvent('identity.platform_admin_added')
  onPlatformAdminAdded(e: PlatformAdminAddedEvent) {
    return this.write(e, null, identity(e.identity), {});
  }

  @OnDomainEvent('identity.platform_admin_removed')
  onPlatformAdminRemoved(e: PlatformAdminRemovedEvent) {
    return this.write(e, null, identity(e.identity), { revoked_token_ids: e.revokedTokenIds });
  }

  @OnDomainEvent('token.created')
  onTokenCreated(e: TokenCreatedEvent) {
    return this.write(e, e.token.businessId, token(e.token), {
      jti: e.token.jti,
      identity_id: e.token.identityId,
      scopes: e.scopes,
      expires_at: e.expiresAt,
    });
  }

  @OnDomainEvent('token.revoked')
  onTokenRevoked(e: TokenRevokedEvent) {
    return this.write(e, e.token.businessId, token(e.token), {
      jti: e.token.jti,
      identity_id: e.token.identityId,
      reason: e.reason,
    });
  }

  @OnDomainEvent('token.rotated')
  onTokenRotated(e: TokenRotatedEvent) {
    return this.write(e, e.from.businessId, token(e.from), {
      jti: e.from.jti,
      successor_id: e.to.id,
      successor_jti: e.to.jti,
      grace_period_seconds: e.gracePeriodSeconds,
    });
  }

  @OnDomainEvent('token.bulk_revoked')
  onTokensBulkRevoked(e: TokensBulkRevokedEvent) {
    return this.write(
      e,
      e.businessId,
      { type: 'business', id: e.businessId, label: null },
      { reason: e.reason, filters: e.filters, revoked: e.tokenIds.length, token_ids: e.tokenIds },
    );
  }

  @OnDomainEvent('token.rejected')
  onTokenRejected(e: TokenRejectedEvent) {
    return this.write(
      e,
      e.token.businessId,
      token(e.token),
      { jti: e.token.jti, identity_id: e.token.identityId, reason: e.reason },
      'failure',
    );
  }

  private async write(
    event: DomainEvent,
    businessId: string | null,
    target: AuditEntry['target'],
    metadata: Record<string, unknown>,
    outcome: AuditOutcome = 'success',
  ): Promise<void> {
    await this.audit.append(event.manager, {
      businessId,
      action: event.name,
      outcome,
      actor: event.author.actor,
      target,
      origin: event.author.origin,
      metadata,
    });
  }
}
