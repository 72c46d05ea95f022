import { AUDIT_LISTED_IDS_MAX } from '../../common/validation/byte-budget';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainEvent, EventClass } from '../../database/units/domain-event';
import { DomainEvents } from '../../database/units/domain-events';
import { statementsTogether } from '../../database/units/statements-together';
import { Metrics } from '../../metrics/metrics';
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
} from '../../tenancy/tenancy.events';
import {
  TokenCreatedEvent,
  TokenExpiredEvent,
  TokenExpiringEvent,
  TokenLeakedEvent,
  TokenRef,
  TokenRejectedEvent,
  TokenRevokedEvent,
  TokenRotatedEvent,
  TokensBulkRevokedEvent,
} from '../../tokens/tokens.events';
import { AuditEntry } from '../audit-entry';
import type { AuditOutcome } from '../codec/audit-fields';
import { AuditAppender } from './audit-appender';
import { AuditStream } from '../query/audit-stream';

/** How an event of a feature above the log reads as an entry (`AuditListener.record`). */
export interface RecordedAs {
  businessId: string | null;
  target: AuditEntry['target'];
  metadata: Record<string, unknown>;
  outcome?: AuditOutcome;
}

const business = (b: BusinessRef) => ({ type: 'business', id: b.id, label: b.name });
const identity = (i: IdentityRef) => ({ type: i.kind, id: i.id, label: i.label });
const token = (t: TokenRef) => ({ type: 'token', id: t.id, label: t.name });

/**
 * An operation's event lists the token ids it revoked, up to AUDIT_LISTED_IDS_MAX, so that one
 * event stays within the metadata's byte budget however many tokens it took; each token also
 * has its own `token.revoked` event, so the full list is always in the log.
 */
function listedIds(key: string, ids: readonly string[]): Record<string, unknown> {
  if (ids.length <= AUDIT_LISTED_IDS_MAX) return { [key]: ids };
  return { [key]: ids.slice(0, AUDIT_LISTED_IDS_MAX), [`${key}_truncated`]: true };
}

/**
 * Writes one audit event for each domain event, with the emitting transaction's manager: the
 * change and its record commit together or not at all. Errors propagate (a required handler), so
 * a failed write rolls the change back and the caller gets 503. Events carry refs, never a
 * secret or a hash, and only those refs reach the log.
 */
@Injectable()
export class AuditListener {
  /**
   * Registers in the constructor, not at init: the first start's bootstrap writes before the
   * app's lifecycle hooks run, and must be audited too.
   */
  constructor(
    private readonly audit: AuditAppender,
    private readonly events: DomainEvents,
    private readonly metrics: Metrics,
    private readonly stream: AuditStream,
  ) {
    const audits = { audits: true };
    events.handle(BusinessCreatedEvent, (e, em) => this.onBusinessCreated(e, em), audits);
    events.handle(BusinessSuspendedEvent, (e, em) => this.onBusinessSuspended(e, em), audits);
    events.handle(BusinessResumedEvent, (e, em) => this.onBusinessResumed(e, em), audits);
    events.handle(MemberAddedEvent, (e, em) => this.onMemberAdded(e, em), audits);
    events.handle(MemberRoleChangedEvent, (e, em) => this.onMemberRoleChanged(e, em), audits);
    events.handle(MemberRemovedEvent, (e, em) => this.onMemberRemoved(e, em), audits);
    events.handle(IdentityCreatedEvent, (e, em) => this.onIdentityCreated(e, em), audits);
    events.handle(IdentityDeletedEvent, (e, em) => this.onIdentityDeleted(e, em), audits);
    events.handle(PlatformAdminAddedEvent, (e, em) => this.onPlatformAdminAdded(e, em), audits);
    events.handle(PlatformAdminRemovedEvent, (e, em) => this.onPlatformAdminRemoved(e, em), audits);
    events.handle(TokenCreatedEvent, (e, em) => this.onTokenCreated(e, em), audits);
    events.handle(TokenRevokedEvent, (e, em) => this.onTokenRevoked(e, em), audits);
    events.handle(TokenRotatedEvent, (e, em) => this.onTokenRotated(e, em), audits);
    events.handle(TokensBulkRevokedEvent, (e, em) => this.onTokensBulkRevoked(e, em), audits);
    events.handle(TokenRejectedEvent, (e, em) => this.onTokenRejected(e, em), audits);
    events.handle(TokenExpiringEvent, (e, em) => this.onTokenExpiring(e, em), audits);
    events.handle(TokenExpiredEvent, (e, em) => this.onTokenExpired(e, em), audits);
    events.handle(TokenLeakedEvent, (e, em) => this.onTokenLeaked(e, em), audits);
  }

  /**
   * Records the events of a feature that sits above the log (webhooks), which the log cannot
   * import: the feature says how one of its event classes reads as an entry, and the log
   * registers the audit handler for it, so the start-up check holds for those classes too.
   */
  record<E extends DomainEvent>(type: EventClass<E>, describe: (event: E) => RecordedAs): void {
    this.events.handle(
      type,
      (e, em) => {
        const as = describe(e);
        return this.write(em, e, as.businessId, as.target, as.metadata, as.outcome);
      },
      { audits: true },
    );
  }

  onBusinessCreated(e: BusinessCreatedEvent, em: EntityManager) {
    return this.write(em, e, null, business(e.business), {
      owner_id: e.owner.id,
      owner: e.owner.label,
    });
  }

  onBusinessSuspended(e: BusinessSuspendedEvent, em: EntityManager) {
    return this.write(em, e, null, business(e.business), {});
  }

  onBusinessResumed(e: BusinessResumedEvent, em: EntityManager) {
    return this.write(em, e, null, business(e.business), {});
  }

  onMemberAdded(e: MemberAddedEvent, em: EntityManager) {
    return this.write(em, e, e.businessId, identity(e.member), { role: e.role });
  }

  onMemberRoleChanged(e: MemberRoleChangedEvent, em: EntityManager) {
    return this.write(em, e, e.businessId, identity(e.member), { from: e.from, to: e.to });
  }

  onMemberRemoved(e: MemberRemovedEvent, em: EntityManager) {
    return this.write(em, e, e.businessId, identity(e.member), {
      role: e.role,
      ...listedIds('revoked_token_ids', e.revokedTokenIds),
    });
  }

  /** A user is global and lands in the platform chain; a machine in its business's. */
  onIdentityCreated(e: IdentityCreatedEvent, em: EntityManager) {
    return this.write(em, e, e.businessId, identity(e.identity), {});
  }

  onIdentityDeleted(e: IdentityDeletedEvent, em: EntityManager) {
    return this.write(
      em,
      e,
      e.businessId,
      identity(e.identity),
      listedIds('revoked_token_ids', e.revokedTokenIds),
    );
  }

  onPlatformAdminAdded(e: PlatformAdminAddedEvent, em: EntityManager) {
    return this.write(em, e, null, identity(e.identity), {});
  }

  onPlatformAdminRemoved(e: PlatformAdminRemovedEvent, em: EntityManager) {
    return this.write(
      em,
      e,
      null,
      identity(e.identity),
      listedIds('revoked_token_ids', e.revokedTokenIds),
    );
  }

  onTokenCreated(e: TokenCreatedEvent, em: EntityManager) {
    return this.write(em, e, e.token.businessId, token(e.token), {
      jti: e.token.jti,
      identity_id: e.token.identityId,
      scopes: e.scopes,
      expires_at: e.expiresAt,
    });
  }

  onTokenRevoked(e: TokenRevokedEvent, em: EntityManager) {
    return this.write(em, e, e.token.businessId, token(e.token), {
      jti: e.token.jti,
      identity_id: e.token.identityId,
      reason: e.reason,
    });
  }

  onTokenRotated(e: TokenRotatedEvent, em: EntityManager) {
    return this.write(em, e, e.from.businessId, token(e.from), {
      jti: e.from.jti,
      successor_id: e.to.id,
      successor_jti: e.to.jti,
      grace_period_seconds: e.gracePeriodSeconds,
    });
  }

  onTokensBulkRevoked(e: TokensBulkRevokedEvent, em: EntityManager) {
    return this.write(
      em,
      e,
      e.businessId,
      { type: 'business', id: e.businessId, label: null },
      {
        reason: e.reason,
        filters: e.filters,
        revoked: e.tokenIds.length,
        ...listedIds('token_ids', e.tokenIds),
      },
    );
  }

  onTokenExpiring(e: TokenExpiringEvent, em: EntityManager) {
    return this.write(em, e, e.token.businessId, token(e.token), {
      jti: e.token.jti,
      identity_id: e.token.identityId,
      expires_at: e.expiresAt,
      days_before: e.daysBefore,
    });
  }

  onTokenExpired(e: TokenExpiredEvent, em: EntityManager) {
    return this.write(em, e, e.token.businessId, token(e.token), {
      jti: e.token.jti,
      identity_id: e.token.identityId,
      expires_at: e.expiresAt,
    });
  }

  /**
   * Where the scanner saw it (the URL, the kind of place, the scanner's type name), and whether
   * the report revoked it or found it revoked already.
   */
  onTokenLeaked(e: TokenLeakedEvent, em: EntityManager) {
    return this.write(em, e, e.token.businessId, token(e.token), {
      jti: e.token.jti,
      identity_id: e.token.identityId,
      url: e.sighting.url,
      source: e.sighting.source,
      token_type: e.sighting.type,
      revoked_by_report: e.revokedByReport,
    });
  }

  onTokenRejected(e: TokenRejectedEvent, em: EntityManager) {
    return this.write(
      em,
      e,
      e.token.businessId,
      token(e.token),
      { jti: e.token.jti, identity_id: e.token.identityId, reason: e.reason },
      'failure',
    );
  }

  private async write(
    em: EntityManager,
    event: DomainEvent,
    businessId: string | null,
    target: AuditEntry['target'],
    metadata: Record<string, unknown>,
    outcome: AuditOutcome = 'success',
  ): Promise<void> {
    try {
      const { event: stored, writes } = await this.audit.appending(em, {
        businessId,
        action: event.name,
        outcome,
        actor: event.author.actor,
        target,
        origin: event.author.origin,
        // The caller's own request id, beside the server's `request_id`, when it sent one.
        metadata: event.author.origin.clientRequestId
          ? { ...metadata, client_request_id: event.author.origin.clientRequestId }
          : metadata,
      });
      // The outbox's insert goes with the append's own writes: one round trip when pipelined.
      await statementsTogether(em, [...writes, () => this.stream.appended(stored, em, event)]);
    } catch (e) {
      this.metrics.auditAppendFailed(event.name);
      throw e;
    }
    this.metrics.auditAppended(event.name);
  }
}
