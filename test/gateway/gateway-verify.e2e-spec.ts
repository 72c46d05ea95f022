import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { LastUsedWriter } from '../../src/tokens/verify/last-used-writer';
import { mintSecret } from '../../src/tokens/token-secret';
import { TokenUsageRecorder } from '../../src/tokens/usage/token-usage-recorder';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
  createUnexpiringBusiness,
  IssuedToken,
} from '../factories/tenancy.factory';
import { asMember, asOwner, removeMember, rotate, suspend } from '../harness/app/api';
import { dbTime } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * GET /auth/verify, the check a gateway makes before it passes a request on: the whole
 * decision table (the token's state × the business the gateway names × the scopes it requires),
 * each answer's status, code, challenge and headers, a verify counted as a use, and the route
 * Envoy calls. test/gateway/gateway-trust.e2e-spec.ts holds the gateway secret, the client address and
 * the limits; test/timed/gateways.e2e-spec.ts runs real nginx and Caddy in front.
 */

/** What a token is, for the table: its state, and what it holds. */
const KINDS = [
  'unrestricted',
  'scoped',
  'no-scopes',
  'retiring',
  'platform',
  'expired',
  'revoked',
  'suspended',
  'removed-member',
  'membership-gone',
  'unknown',
  'malformed',
  'missing',
] as const;
type Kind = (typeof KINDS)[number];

/** The business the gateway names (X-Latchkey-Business). */
const BUSINESSES = ['none', 'own', 'other', 'nonexistent'] as const;
type BusinessAsked = (typeof BUSINESSES)[number];

/** The scopes it requires (X-Latchkey-Require-Scope), and which of them the scoped token holds. */
const SCOPES = [
  'none',
  'orders:read',
  'deploy:prod',
  'orders:read deploy:prod',
  'billing:write',
  'orders:read,billing:write',
] as const;
type ScopesAsked = (typeof SCOPES)[number];

/** The scoped tokens hold ['orders:read', 'deploy:*']: the rule, written out by hand. */
const SCOPED_TOKEN_MEETS: Record<ScopesAsked, boolean> = {
  none: true,
  'orders:read': true,
  'deploy:prod': true,
  'orders:read deploy:prod': true,
  'billing:write': false,
  'orders:read,billing:write': false,
};

interface Expected {
  status: number;
  code?: string;
  challenge?: string;
}

/** The design's rules for a verify, stated apart from the code that applies them. */
function expected(kind: Kind, business: BusinessAsked, scopes: ScopesAsked): Expected {
  const invalid = (code: string): Expected => ({
    status: 401,
    code,
    challenge: 'Bearer error="invalid_token"',
  });
  switch (kind) {
    case 'unknown':
    case 'malformed':
    case 'missing':
    case 'membership-gone':
      return invalid('INVALID_TOKEN');
    case 'expired':
      return invalid('TOKEN_EXPIRED');
    case 'revoked':
    case 'removed-member': // removing a member revokes their tokens
      return invalid('TOKEN_REVOKED');
    case 'unrestricted':
    case 'scoped':
    case 'no-scopes':
    case 'retiring':
    case 'platform':
    case 'suspended':
      break;
  }
  if (
    kind === 'platform' ? business !== 'none' : business === 'other' || business === 'nonexistent'
  ) {
    return { status: 403, code: 'BUSINESS_MISMATCH' };
  }
  if (kind === 'suspended') return { status: 403, code: 'BUSINESS_SUSPENDED' };
  const meets =
    kind === 'scoped' || kind === 'retiring'
      ? SCOPED_TOKEN_MEETS[scopes]
      : kind === 'no-scopes'
        ? scopes === 'none'
        : true;
  if (!meets) {
    const named = scopes.split(/[ ,]+/).join(' ');
    return {
      status: 403,
      code: 'INSUFFICIENT_SCOPE',
      challenge: `Bearer error="insufficient_scope", scope="${named}"`,
    };
  }
  return { status: 204 };
}

const ROWS = KINDS.flatMap((kind) =>
  BUSINESSES.flatMap((business) =>
    SCOPES.map((scopes) => [kind, business, scopes, expected(kind, business, scopes)] as const),
  ),
);

/** Every client a distinct address, as a gateway forwards them, so no row spends another's budget. */
let clients = 0;
const nextClient = () => `198.18.${Math.floor(++clients / 250)}.${(clients % 250) + 1}`;

const SAFE_VALUE = /^[\x20-\x7e]*$/;

describe.each(DRIVERS)('GET /auth/verify on %s', (driver) => {
  let t: TestApp;
  let own: BusinessFixture;
  let other: BusinessFixture;
  let suspended: BusinessFixture;
  const secrets = {} as Record<Kind, string | null>;
  const tokens = {} as Record<Kind, IssuedToken | undefined>;

  beforeAll(async () => {
    t = await bootTestApp(driver, { TRUST_PROXY: '127.0.0.1' });
    own = await createUnexpiringBusiness(t);
    other = await createBusiness(t);
    suspended = await createUnexpiringBusiness(t);
    const make = (kind: Kind, body: Record<string, unknown> = {}, biz = own) =>
      createToken(t, asOwner(biz), { name: kind, ...body }).then((made) => {
        tokens[kind] = made;
        secrets[kind] = made.secret;
        return made;
      });
    await make('unrestricted');
    await make('scoped', { scopes: ['orders:read', 'deploy:*'] });
    await make('no-scopes', { scopes: [] });
    // In its rotation grace period: it still authenticates, and writes nothing but its revocation.
    const retiring = await make('retiring', { scopes: ['orders:read', 'deploy:*'] });
    await rotate(t, asMember(retiring.secret, own.id), retiring.id, {
      grace_period_seconds: 3600,
    }).expect(201);
    // Its grace period is now its expiry.
    const view = await t.http().get(`/api/v1/tokens/${retiring.id}`).set(asOwner(own)).expect(200);
    retiring.view = view.body.data;
    secrets.platform = t.platformToken;
    // Expired behind the verifier's back, before it ever read the token.
    const expired = await make('expired');
    await t.sql('UPDATE api_tokens SET expires_at = ? WHERE id = ?', [
      dbTime(driver, new Date(Date.now() - 60_000)),
      expired.id,
    ]);
    const revoked = await make('revoked');
    await t.http().post(`/api/v1/tokens/${revoked.id}/revoke`).set(asOwner(own)).expect(201);
    await make('suspended', {}, suspended);
    await suspend(t, suspended.id).expect(200);
    const removed = await addMember(t, own);
    secrets['removed-member'] = removed.token;
    await removeMember(t, asOwner(own), removed.identityId).expect(200);
    // The membership row gone with the token still unrevoked: the verifier's own backstop.
    const orphan = await addMember(t, own);
    secrets['membership-gone'] = orphan.token;
    await t.sql('DELETE FROM memberships WHERE identity_id = ? AND business_id = ?', [
      orphan.identityId,
      own.id,
    ]);
    secrets.unknown = mintSecret('lk').secret;
    secrets.malformed = `${mintSecret('lk').secret.slice(0, -1)}x`;
    secrets.missing = null;
  });
  afterAll(() => t?.close());

  const businessId = (asked: BusinessAsked, kind: Kind): string | undefined =>
    ({
      none: undefined,
      own: kind === 'suspended' ? suspended.id : own.id,
      other: other.id,
      nonexistent: randomUUID(),
    })[asked];

  const verify = (kind: Kind, business: BusinessAsked, scopes: ScopesAsked) => {
    const req = t.http().get('/auth/verify').set('x-forwarded-for', nextClient());
    const secret = secrets[kind];
    if (secret !== null) req.set('authorization', `Bearer ${secret}`);
    const id = businessId(business, kind);
    if (id) req.set('x-latchkey-business', id);
    if (scopes !== 'none') req.set('x-latchkey-require-scope', scopes);
    return req;
  };

  /** A token's entry in its status list, as the header spells it (status-lists.e2e-spec.ts checks its place). */
  const STATUS_LIST_ENTRY = expect.stringMatching(
    /^idx=\d+, uri="http:\/\/localhost:\d+\/status-lists\/[0-9a-f-]{36}"$/,
  ) as string;

  /** The headers a 204 must carry for this kind of token, exactly. */
  const verifiedHeadersOf = (kind: Kind): Record<string, string> => {
    if (kind === 'platform') {
      return {
        'x-latchkey-business-id': '',
        'x-latchkey-identity-type': 'user',
        'x-latchkey-scopes': '*',
        'x-latchkey-expires-at': '',
        'x-latchkey-uses-remaining': '',
        'x-latchkey-status-list': STATUS_LIST_ENTRY,
        'x-latchkey-check-online': '',
        'x-latchkey-meta': '',
      };
    }
    const { view } = tokens[kind]!;
    return {
      'x-latchkey-token-id': view.id,
      'x-latchkey-business-id': own.id,
      'x-latchkey-identity-id': view.identity_id,
      'x-latchkey-identity-type': 'user',
      'x-latchkey-scopes': view.scopes === null ? '*' : view.scopes.join(' '),
      'x-latchkey-expires-at': view.expires_at ?? '',
      'x-latchkey-uses-remaining': '',
      'x-latchkey-status-list': STATUS_LIST_ENTRY,
      'x-latchkey-check-online': '',
      'x-latchkey-meta': '',
    };
  };

  const latchkeyHeaders = (res: Response) =>
    Object.fromEntries(
      Object.entries(res.headers).filter(([name]) => name.startsWith('x-latchkey-')),
    );

  it.each(ROWS)('%s token, business %s, scopes %j: %j', async (kind, business, scopes, want) => {
    const res = await verify(kind, business, scopes);
    expect({ status: res.status, code: res.body?.code }).toEqual({
      status: want.status,
      code: want.code,
    });
    expect(res.headers['www-authenticate']).toBe(want.challenge);
    for (const [name, value] of Object.entries(res.headers)) {
      expect([name, SAFE_VALUE.test(String(value))]).toEqual([name, true]);
    }
    if (want.status !== 204) {
      expect(latchkeyHeaders(res)).toEqual({});
      // A refusal is the error shape, and small: a gateway reads the status alone.
      expect(Buffer.byteLength(res.text)).toBeLessThan(400);
      return;
    }
    expect(res.text).toBe('');
    expect(res.headers['cache-control']).toBe('no-store');
    const got = latchkeyHeaders(res);
    if (kind === 'platform') {
      const { 'x-latchkey-token-id': tokenId, 'x-latchkey-identity-id': identityId, ...rest } = got;
      expect(rest).toEqual(verifiedHeadersOf(kind));
      expect([tokenId, identityId]).toEqual([
        expect.stringMatching(/^[0-9a-f-]{36}$/),
        expect.stringMatching(/^[0-9a-f-]{36}$/),
      ]);
    } else {
      expect(got).toEqual(verifiedHeadersOf(kind));
    }
  });

  it('reports the expiry of a token that has one, as ISO 8601', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000);
    const token = await createToken(t, asOwner(own), { expires_at: expiresAt.toISOString() });
    const res = await t
      .http()
      .get('/auth/verify')
      .set('authorization', `Bearer ${token.secret}`)
      .expect(204);
    expect(res.headers['x-latchkey-expires-at']).toBe(token.view.expires_at);
    expect(new Date(res.headers['x-latchkey-expires-at']).getTime()).toBe(
      new Date(token.view.expires_at!).getTime(),
    );
  });

  it("refuses a suspended business's token even where the gateway names no business, and passes it once resumed", async () => {
    const biz = await createUnexpiringBusiness(t);
    const caller = { authorization: `Bearer ${biz.ownerToken}` };
    await t.http().get('/auth/verify').set(caller).expect(204);
    await suspend(t, biz.id).expect(200);
    const res = await t.http().get('/auth/verify').set(caller).expect(403);
    expect(res.body.code).toBe('BUSINESS_SUSPENDED');
    await t
      .http()
      .post(`/platform/v1/businesses/${biz.id}/resume`)
      .set('authorization', `Bearer ${t.platformToken}`)
      .expect(200);
    await t.http().get('/auth/verify').set(caller).expect(204);
  });

  describe('x-latchkey-check-online: what a status list cannot carry', () => {
    // nextClient()'s addresses are all in 198.18.0.0/15.
    const NETWORKS = { allowed_cidrs: ['198.18.0.0/15'] };
    it.each<[string, Record<string, unknown>, string]>([
      ['networks', NETWORKS, 'networks'],
      ['its own rate limit', { rate_limit_per_minute: 600 }, 'rate_limit'],
      ['a uses limit', { uses_limit: 5 }, 'uses'],
      [
        'all three',
        { ...NETWORKS, rate_limit_per_minute: 600, uses_limit: 5 },
        'networks rate_limit uses',
      ],
    ])('names them for a token with %s, on every verify: %j', async (_name, body, words) => {
      const token = await createToken(t, asOwner(own), body);
      for (let i = 0; i < 2; i++) {
        const res = await t
          .http()
          .get('/auth/verify')
          .set('authorization', `Bearer ${token.secret}`)
          .set('x-forwarded-for', nextClient())
          .expect(204);
        expect(res.headers['x-latchkey-check-online']).toBe(words);
        expect(res.headers['x-latchkey-status-list']).toEqual(STATUS_LIST_ENTRY);
      }
    });

    it("names the rate limit of a token a limited token made, which spends its maker's window", async () => {
      const maker = await createToken(t, asOwner(own), { rate_limit_per_minute: 600 });
      const made = await createToken(t, asMember(maker.secret, own.id), { name: 'child' });
      expect(made.view).toMatchObject({
        shared_rate_limit: { token_id: maker.id, per_minute: 600 },
      });
      const res = await t
        .http()
        .get('/auth/verify')
        .set('authorization', `Bearer ${made.secret}`)
        .set('x-forwarded-for', nextClient())
        .expect(204);
      expect(res.headers['x-latchkey-check-online']).toBe('rate_limit');
    });
  });

  it('ignores the headers a client forges in the answer’s names, and x-business-id', async () => {
    const token = tokens.unrestricted!;
    const res = await t
      .http()
      .get('/auth/verify')
      .set('authorization', `Bearer ${token.secret}`)
      .set('x-latchkey-token-id', randomUUID())
      .set('x-latchkey-identity-id', randomUUID())
      .set('x-latchkey-scopes', 'billing:admin')
      .set('x-business-id', other.id)
      .expect(204);
    expect(latchkeyHeaders(res)).toEqual(verifiedHeadersOf('unrestricted'));
  });

  describe('counts a verify as a use of the token', () => {
    it('in its usage (2xx and 4xx, from the forwarded address) and its last_used_at', async () => {
      const token = await createToken(t, asOwner(own), { scopes: ['orders:read'] });
      const client = nextClient();
      const call = (scope: string) =>
        t
          .http()
          .get('/auth/verify')
          .set('authorization', `Bearer ${token.secret}`)
          .set('x-forwarded-for', client)
          .set('x-latchkey-require-scope', scope);
      await call('orders:read').expect(204);
      await call('orders:read').expect(204);
      await call('billing:write').expect(403);
      await t.app.get(TokenUsageRecorder).flush();
      await t.app.get(LastUsedWriter).flush();
      const usage = await t
        .http()
        .get(`/api/v1/tokens/${token.id}/usage`)
        .set(asOwner(own))
        .expect(200);
      const hours = usage.body.data.hours as {
        requests: number;
        ok_count: number;
        client_error_count: number;
      }[];
      const sum = (f: 'requests' | 'ok_count' | 'client_error_count') =>
        hours.reduce((n, h) => n + h[f], 0);
      expect([sum('requests'), sum('ok_count'), sum('client_error_count')]).toEqual([3, 2, 1]);
      expect(usage.body.data.recent_ips.map((r: { ip: string }) => r.ip)).toEqual([client]);
      const [row] = await t.sql<{ last_used_at: unknown }>(
        'SELECT last_used_at FROM api_tokens WHERE id = ?',
        [token.id],
      );
      expect(row.last_used_at).not.toBeNull();
    });
  });

  describe('the route Envoy calls: any method, any path below /auth/verify/', () => {
    it.each(['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const)(
      '%s /auth/verify/orders/7 answers as GET /auth/verify does',
      async (method) => {
        const call = (secret: string, scope?: string) => {
          const req = t
            .http()
            [method.toLowerCase() as 'get'](`/auth/verify/orders/7?x=1`)
            .set('authorization', `Bearer ${secret}`)
            .set('x-latchkey-business', own.id);
          return scope ? req.set('x-latchkey-require-scope', scope) : req;
        };
        const ok = await call(secrets.retiring!, 'orders:read').expect(204);
        expect(latchkeyHeaders(ok)).toEqual(verifiedHeadersOf('retiring'));
        const refused = await call(secrets.scoped!, 'billing:write').expect(403);
        expect(refused.headers['www-authenticate']).toContain('insufficient_scope');
        await call(secrets.revoked!).expect(401);
      },
    );

    it('matches whole segments only', async () => {
      const res = await t
        .http()
        .get('/auth/verifyx')
        .set('authorization', `Bearer ${secrets.unrestricted}`);
      expect(res.status).toBe(404);
    });
  });

  it('is in the OpenAPI document with its headers and answers, and the Envoy route is not', async () => {
    const spec = (await t.http().get('/docs-json').expect(200)).body;
    const op = spec.paths['/auth/verify'].get;
    expect(op.operationId).toBe('verifyGatewayRequest');
    expect(op.security).toEqual([{ bearer: [] }]);
    expect((op.parameters as { name: string; in: string }[]).map((p) => [p.in, p.name])).toEqual([
      ['header', 'x-latchkey-business'],
      ['header', 'x-latchkey-require-scope'],
      ['header', 'x-latchkey-gateway-secret'],
      ['header', 'x-latchkey-limit'],
      ['header', 'x-latchkey-tag'],
      ['header', 'x-latchkey-cost'],
    ]);
    expect(Object.keys(op.responses['204'].headers)).toEqual([
      'X-Latchkey-Token-Id',
      'X-Latchkey-Business-Id',
      'X-Latchkey-Identity-Id',
      'X-Latchkey-Identity-Type',
      'X-Latchkey-Scopes',
      'X-Latchkey-Expires-At',
      'X-Latchkey-Uses-Remaining',
      'X-Latchkey-Status-List',
      'X-Latchkey-Check-Online',
      'X-Latchkey-Meta',
    ]);
    expect(Object.keys(op.responses).sort()).toEqual(['204', '401', '403', '422', '429']);
    expect(Object.keys(op.responses['403'].headers)).toEqual(['WWW-Authenticate']);
    expect(op.responses['403'].description).toMatch(/^Error codes: GATEWAY_NOT_TRUSTED, /);
    expect(Object.keys(spec.paths).filter((p) => p.startsWith('/auth/verify'))).toEqual([
      '/auth/verify',
    ]);
  });
});
