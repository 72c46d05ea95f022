import { type Author, CLI_AUTHOR, SYSTEM_AUTHOR } from '../../database/units/domain-event';
import {
  type RevocationCause,
  TokenCreatedEvent,
  TokenDisabledEvent,
  TokenEnabledEvent,
  type TokenRef,
  TokenRevokedEvent,
  TokenRotatedEvent,
  TokenUpdatedEvent,
} from '../../tokens/tokens.events';
import { CREDENTIAL_CHANGE, credentialChangeClaims, verificationClaims } from './caep-events';

const HOLDER = 'holder-identity';
const token = (over: Partial<TokenRef> = {}): TokenRef => ({
  id: 'token-id',
  jti: 'jti-1',
  name: 'deploy',
  businessId: 'biz-1',
  identityId: HOLDER,
  ...over,
});
const person = (id: string): Author => ({
  actor: { id, type: 'user', label: `${id}@example.test` },
  origin: { channel: 'api', requestId: 'req', ip: '127.0.0.1', userAgent: 'ua' },
});
const AT = new Date('2026-11-27T10:00:00Z');
const claimsOf = (event: Parameters<typeof credentialChangeClaims>[0]) =>
  credentialChangeClaims(event, AT, () => 'audit-1');

describe('credentialChangeClaims', () => {
  const CAUSES: RevocationCause[] = [
    'requested',
    'rotated',
    'bulk',
    'presented',
    'leaked',
    'member_removed',
    'identity_deleted',
    'platform_admin_removed',
    'reissued',
    'inactive',
  ];
  const AUTHORS: [string, Author][] = [
    ['the holder', person(HOLDER)],
    ['someone else', person('other')],
    ['the server', SYSTEM_AUTHOR],
    ['the CLI', CLI_AUTHOR],
  ];
  const expected = (author: string, cause: RevocationCause) => {
    if (cause === 'leaked' || cause === 'inactive') return 'policy';
    if (author === 'the server' || author === 'the CLI') return 'system';
    return author === 'the holder' ? 'user' : 'admin';
  };
  const rows = CAUSES.flatMap((cause) =>
    AUTHORS.map(([label, author]) => [label, cause, author, expected(label, cause)] as const),
  );

  it.each(rows)('a revocation by %s, cause %s: initiating_entity %s', (_l, cause, author, who) => {
    const told = claimsOf(new TokenRevokedEvent(author, token(), 'why', cause));
    expect(told?.claims.events[CREDENTIAL_CHANGE]).toMatchObject({
      change_type: 'revoke',
      initiating_entity: who,
      reason_admin: { en: 'why' },
    });
  });

  it('names the token, its holder and its business, and stores no iss, jti or aud of its own', () => {
    const told = claimsOf(new TokenEnabledEvent(person('other'), token()));
    expect(told).toEqual({
      businessId: 'biz-1',
      claims: {
        iat: AT.getTime() / 1000,
        txn: 'audit-1',
        sub_id: {
          format: 'complex',
          tenant: { format: 'opaque', id: 'biz-1' },
          user: { format: 'opaque', id: HOLDER },
          token: { format: 'opaque', id: 'jti-1' },
        },
        events: {
          [CREDENTIAL_CHANGE]: {
            credential_type: 'api-key',
            change_type: 'update',
            friendly_name: 'deploy',
            event_timestamp: AT.getTime() / 1000,
            initiating_entity: 'admin',
            status: 'enabled',
          },
        },
      },
    });
  });

  it('tells a pause with its reason, and a rotation as its successor created', () => {
    const paused = claimsOf(new TokenDisabledEvent(person(HOLDER), token(), 'on leave'));
    expect(paused?.claims.events[CREDENTIAL_CHANGE]).toMatchObject({
      change_type: 'update',
      status: 'disabled',
      reason_admin: { en: 'on leave' },
    });
    const next = token({ id: 'token-2', jti: 'jti-2' });
    const rotated = claimsOf(new TokenRotatedEvent(person(HOLDER), token(), next, 0));
    expect(rotated?.claims.sub_id).toMatchObject({ token: { format: 'opaque', id: 'jti-2' } });
    expect(rotated?.claims.events[CREDENTIAL_CHANGE]).toMatchObject({
      change_type: 'create',
      rotated_from: { format: 'opaque', id: 'jti-1' },
    });
  });

  it('tells a narrowing as an update naming the fields, never their values nor meta', () => {
    const before = { scopes: ['payroll:*'] };
    const after = { scopes: ['payroll:read'] };
    const narrowed = claimsOf(
      new TokenUpdatedEvent(person(HOLDER), token(), ['scopes', 'meta'], before, after),
    );
    const told = narrowed?.claims.events[CREDENTIAL_CHANGE];
    expect(told).toMatchObject({ change_type: 'update', narrowed: ['scopes'] });
    expect(JSON.stringify(told)).not.toContain('payroll');
    // A PATCH of meta alone changes nothing a receiver caches.
    expect(claimsOf(new TokenUpdatedEvent(person(HOLDER), token(), ['meta'], {}, {}))).toBeNull();
  });

  it('tells nothing of a platform token, nor of events no stream is sent', () => {
    const read = jest.fn(() => 'audit-1');
    const platform = token({ businessId: null });
    expect(
      credentialChangeClaims(
        new TokenRevokedEvent(person('x'), platform, null, 'requested'),
        AT,
        read,
      ),
    ).toBeNull();
    expect(
      credentialChangeClaims(new TokenCreatedEvent(person('x'), token(), null, null), AT, read),
    ).toBeNull();
    // The audit entry is read only for an event that is told.
    expect(read).not.toHaveBeenCalled();
  });
});

describe('verificationClaims', () => {
  it('is about the stream, and echoes the state only when one was given', () => {
    const VERIFY = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
    expect(verificationClaims('stream-1', AT, 'abc').events).toEqual({
      [VERIFY]: { state: 'abc' },
    });
    expect(verificationClaims('stream-1', AT, undefined)).toEqual({
      iat: AT.getTime() / 1000,
      sub_id: { format: 'opaque', id: 'stream-1' },
      events: { [VERIFY]: {} },
    });
  });
});
