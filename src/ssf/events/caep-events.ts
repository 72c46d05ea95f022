import type { Author, DomainEvent } from '../../database/units/domain-event';
import { NARROWED_API_FIELDS } from '../../tokens/policy/token-narrowing';
import {
  TokenDisabledEvent,
  TokenEnabledEvent,
  type TokenRef,
  TokenRevokedEvent,
  TokenRotatedEvent,
  TokenUpdatedEvent,
} from '../../tokens/tokens.events';

/** CAEP 1.0 §3.3: a credential was created, changed or revoked. */
export const CREDENTIAL_CHANGE =
  'https://schemas.openid.net/secevent/caep/event-type/credential-change';
/** SSF 1.0 §8.1.4: the event a receiver asks for to check that its stream delivers. */
export const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

/**
 * The event types a stream may be sent, by URI, and the short name each is queued and stored
 * under (a message's `event_type` holds 64 characters; the URIs are longer).
 */
export const STREAM_EVENT_TYPES = {
  [CREDENTIAL_CHANGE]: 'caep.credential-change',
  [VERIFICATION]: 'ssf.verification',
} as const;
export type StreamEventUri = keyof typeof STREAM_EVENT_TYPES;

/** What a receiver may ask for: the verification event is sent whenever it is asked for. */
export const EVENTS_SUPPORTED: readonly StreamEventUri[] = [CREDENTIAL_CHANGE];

/** CAEP's `credential_type` for a Latchkey token: a type both sides agree on (§3.3.1). */
export const CREDENTIAL_TYPE = 'api-key';

type ChangeType = 'create' | 'revoke' | 'update' | 'delete';
type InitiatingEntity = 'admin' | 'user' | 'policy' | 'system';

/**
 * The claims a SET stores before it is signed: `iss`, `jti` and `aud` are the attempt's to add
 * (`security-event-token.ts`).
 */
export interface StoredSetClaims {
  iat: number;
  txn?: string;
  sub_id: Record<string, unknown>;
  events: Record<string, Record<string, unknown>>;
}

/**
 * The token a change is about, as an RFC 9493 complex subject (SSF 1.0 §3.2): the business as
 * `tenant`, the holder as `user`, and the token itself as `token`, by its public `jti`. None of
 * them is secret, and none is the token's hash.
 */
export function tokenSubject(token: TokenRef): Record<string, unknown> {
  return {
    format: 'complex',
    tenant: { format: 'opaque', id: token.businessId },
    user: { format: 'opaque', id: token.identityId },
    token: { format: 'opaque', id: token.jti },
  };
}

/** The API names of the fields a PATCH narrows (`token-narrowing.ts`), as `TokenUpdatedEvent` has them. */
const NARROWED_NAMES = new Set(NARROWED_API_FIELDS);

/** Revocations the server makes by a rule, not at anyone's request. */
const BY_POLICY = new Set(['inactive', 'leaked']);

function initiatedBy(author: Author, holderId: string, cause?: string): InitiatingEntity {
  if (cause !== undefined && BY_POLICY.has(cause)) return 'policy';
  if (author.actor.type === 'system' || author.actor.id === null) return 'system';
  return author.actor.id === holderId ? 'user' : 'admin';
}

interface Change {
  token: TokenRef;
  changeType: ChangeType;
  initiating: InitiatingEntity;
  reason: string | null;
  extra: Record<string, unknown>;
}

/** The credential change a token event tells, or null for events no stream is sent. */
function changeOf(event: DomainEvent): Change | null {
  if (event instanceof TokenRevokedEvent) {
    const { token, author, reason, cause } = event;
    return {
      token,
      changeType: 'revoke',
      initiating: initiatedBy(author, token.identityId, cause),
      reason,
      extra: {},
    };
  }
  if (event instanceof TokenDisabledEvent || event instanceof TokenEnabledEvent) {
    const disabled = event instanceof TokenDisabledEvent;
    return {
      token: event.token,
      changeType: 'update',
      initiating: initiatedBy(event.author, event.token.identityId),
      reason: disabled ? event.reason : null,
      // CAEP has no change type for a pause: `update`, and what it is now.
      extra: { status: disabled ? 'disabled' : 'enabled' },
    };
  }
  if (event instanceof TokenUpdatedEvent) {
    // A PATCH beyond a name narrows (fewer scopes, an earlier expiry, networks, limits) or sets
    // meta; a receiver that caches what the token may do must learn it again. Only the names of
    // the fields go out: the values are the business's, and meta is never told.
    const narrowed = event.changed.filter((field) => NARROWED_NAMES.has(field));
    if (narrowed.length === 0) return null;
    return {
      token: event.token,
      changeType: 'update',
      initiating: initiatedBy(event.author, event.token.identityId),
      reason: null,
      extra: { narrowed },
    };
  }
  if (event instanceof TokenRotatedEvent) {
    // The successor is the new credential; the old one is revoked (its own event) or expires at
    // the end of the grace period.
    return {
      token: event.to,
      changeType: 'create',
      initiating: initiatedBy(event.author, event.to.identityId),
      reason: null,
      extra: {
        rotated_from: { format: 'opaque', id: event.from.jti },
        grace_period_seconds: event.gracePeriodSeconds,
      },
    };
  }
  return null;
}

/**
 * The CAEP credential-change a domain event is told to its business's streams as, or null. `txn`
 * is the audit entry's id (read only for the events told), so a receiver can find the change in
 * the business's audit log.
 */
export function credentialChangeClaims(
  event: DomainEvent,
  at: Date,
  auditEntryId: () => string | undefined,
): { businessId: string; claims: StoredSetClaims } | null {
  const change = changeOf(event);
  if (change === null || change.token.businessId === null) return null;
  const seconds = Math.floor(at.getTime() / 1000);
  const txn = auditEntryId();
  return {
    businessId: change.token.businessId,
    claims: {
      iat: seconds,
      ...(txn ? { txn } : {}),
      sub_id: tokenSubject(change.token),
      events: {
        [CREDENTIAL_CHANGE]: {
          credential_type: CREDENTIAL_TYPE,
          change_type: change.changeType,
          friendly_name: change.token.name,
          event_timestamp: seconds,
          initiating_entity: change.initiating,
          ...(change.reason ? { reason_admin: { en: change.reason } } : {}),
          ...change.extra,
        },
      },
    },
  };
}

/** SSF 1.0 §8.1.4.2: the verification event, about the stream itself, echoing the `state`. */
export function verificationClaims(
  streamId: string,
  at: Date,
  state: string | undefined,
): StoredSetClaims {
  return {
    iat: Math.floor(at.getTime() / 1000),
    sub_id: { format: 'opaque', id: streamId },
    events: { [VERIFICATION]: state === undefined ? {} : { state } },
  };
}
