import { randomUUID } from 'node:crypto';
import { createBusiness, createMachine, BusinessFixture } from '../factories/tenancy.factory';
import { asMember, asOwner, listAuditEvents, suspend } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { exchange, federatedToken, githubRule, postRule } from './federation-fixtures';
import {
  exchangeForm,
  githubClaims,
  GITHUB_ISSUER,
  gitlabClaims,
  GITLAB_ISSUER,
  hs256WithPublicKey,
  IssuerKey,
  makeKey,
  sign,
  unsignedJwt,
} from './oidc-issuer';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { WebhookReceiver } from '../harness/app/webhook-receiver';
import { DRIVERS } from '../setup/servers';

const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const now = () => Math.floor(Date.now() / 1000);

/** The RFC 6749 refusal: 400, the code, a description, and nothing of the token sent. */
function expectOAuthError(
  res: { status: number; body: unknown; headers: Record<string, string> },
  error: string,
  jwt?: string,
) {
  expect({ status: res.status, body: res.body }).toEqual({
    status: 400,
    body: { error, error_description: expect.any(String) },
  });
  expect(res.headers['cache-control']).toBe('no-store');
  if (jwt) {
    for (const part of jwt.split('.').filter((p) => p.length > 8)) {
      expect(JSON.stringify(res.body)).not.toContain(part);
    }
  }
}

describe.each(DRIVERS)('the RFC 8693 token exchange on %s', (driver) => {
  let t: TestApp;
  let key: IssuerKey;
  let b: BusinessFixture;
  let machineId: string;

  const tokensOf = async (identityId: string) =>
    Number(
      (
        await t.sql<{ n: number | string }>(
          'SELECT COUNT(*) AS n FROM api_tokens WHERE identity_id = ?',
          [identityId],
        )
      )[0].n,
    );

  beforeAll(async () => {
    t = await bootTestApp(driver, {
      FEDERATION_JWKS_ALLOW_PRIVATE: 'true',
      FEDERATION_JWKS_ALLOW_HTTP: 'true',
      RATE_LIMIT_OAUTH_PER_MINUTE: '0',
      RATE_LIMIT_FEDERATION_IDENTITY_PER_MINUTE: '0',
      RATE_LIMIT_FEDERATION_ISSUER_PER_MINUTE: '0',
      TOKEN_CACHE_TTL_MS: '0',
      WEBHOOK_POLL_MS: '100',
    });
    key = await makeKey('RS256');
    b = await createBusiness(t);
    machineId = (await createMachine(t, b, 'member')).id;
    await postRule(t, asOwner(b), machineId, githubRule(key)).expect(201);
  });
  afterAll(() => t?.close());

  it("trades a GitHub Actions token for an ordinary token of the rule's machine", async () => {
    const claims = githubClaims();
    const jwt = await sign(key, claims);
    const res = await exchange(t, jwt, b.id).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      access_token: expect.stringMatching(/^lk_[0-9A-Za-z]{36}$/),
      issued_token_type: ACCESS_TOKEN,
      token_type: 'Bearer',
      expires_in: expect.any(Number),
      scope: 'deploy:write',
    });
    // The earlier of the rule's 900 s and the JWT's own exp (300 s away).
    expect(res.body.expires_in).toBeGreaterThan(280);
    expect(res.body.expires_in).toBeLessThanOrEqual(300);

    const me = await t.http().get('/api/v1/me').set(asMember(res.body.access_token, b.id));
    expect(me.status).toBe(200);
    const tokenId = me.body.data.token.id as string;
    expect(me.body.data.token).toMatchObject({
      identity_id: machineId,
      origin: 'federation',
      scopes: ['deploy:write'],
      expires_at: new Date((claims.exp as number) * 1000).toISOString(),
    });

    const audit = await listAuditEvents(t, asOwner(b), { target_id: tokenId }).expect(200);
    const items = audit.body.data.items as {
      action: string;
      actor: { id: string; type: string };
      metadata: Record<string, unknown>;
    }[];
    expect(items.map((e) => e.action).sort()).toEqual(['token.created', 'token.exchanged']);
    const exchanged = items.find((e) => e.action === 'token.exchanged')!;
    expect(exchanged.actor).toMatchObject({ id: machineId, type: 'machine' });
    expect(exchanged.metadata).toMatchObject({
      identity_id: machineId,
      issuer: GITHUB_ISSUER,
      subject: claims.sub,
      subject_token_jti: claims.jti,
      scopes: ['deploy:write'],
    });
    const all = JSON.stringify((await listAuditEvents(t, asOwner(b)).expect(200)).body);
    expect(all).not.toContain(jwt.split('.')[2]);
    expect(all).not.toContain(res.body.access_token);
  });

  it("tells the business's webhooks, as every issued token does, and token.exchanged too", async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      const biz = await createBusiness(t);
      const m = await createMachine(t, biz);
      await postRule(t, asOwner(biz), m.id, githubRule(key)).expect(201);
      await t
        .http()
        .post('/api/v1/webhooks')
        .set(asOwner(biz))
        .send({ url: receiver.url, event_types: ['token.created', 'token.exchanged'] })
        .expect(201);
      const claims = githubClaims();
      await exchange(t, await sign(key, claims), biz.id).expect(200);
      const got = await receiver.waitFor((all) => all.length >= 2);
      expect(got.map((r) => r.json.type).sort()).toEqual(['token.created', 'token.exchanged']);
      const exchanged = got.find((r) => r.json.type === 'token.exchanged')!;
      expect(exchanged.json.data).toMatchObject({
        action: 'token.exchanged',
        metadata: { subject: claims.sub, subject_token_jti: claims.jti },
      });
    } finally {
      await receiver.stop();
    }
  });

  it('trades a GitLab CI token, keys at a jwks_uri, the business named by resource', async () => {
    const es = await makeKey('ES256');
    const { JwksServer } = await import('./oidc-issuer');
    const server = await new JwksServer().start();
    try {
      server.serve(es);
      const m = await createMachine(t, b, 'admin');
      await postRule(t, asOwner(b), m.id, {
        issuer: GITLAB_ISSUER,
        jwks_uri: server.url,
        audience: 'https://latchkey.example.test',
        subject: 'project_path:acme/api:ref_type:branch:ref:*',
        claims: { namespace_path: 'acme', ref_protected: 'true' },
        scopes: ['deploy:write', 'tokens:admin'],
        max_ttl_seconds: 120,
      }).expect(201);
      const jwt = await sign(es, gitlabClaims('acme/api', 'main', { exp: now() + 3000 }));
      const res = await exchange(t, jwt, null, {
        resource: `urn:latchkey:business:${b.id}`,
        scope: 'deploy:write',
      }).expect(200);
      expect(res.body).toMatchObject({ scope: 'deploy:write', token_type: 'Bearer' });
      // The rule's 120 s, sooner than the JWT's 3000.
      expect(res.body.expires_in).toBeLessThanOrEqual(120);
      expect(res.body.expires_in).toBeGreaterThan(100);
      const me = await t.http().get('/api/v1/me').set(asMember(res.body.access_token, b.id));
      expect(me.body.data.token).toMatchObject({ identity_id: m.id, scopes: ['deploy:write'] });
    } finally {
      await server.stop();
    }
  });

  it.each(['PS256', 'EdDSA'] as const)('accepts %s', async (alg) => {
    const k = await makeKey(alg);
    const m = await createMachine(t, b);
    const repo = `acme/${alg.toLowerCase()}`;
    const subject = `repo:${repo}:ref:refs/heads/*`;
    await postRule(t, asOwner(b), m.id, githubRule(k, { subject })).expect(201);
    await exchange(t, await sign(k, githubClaims(repo)), b.id).expect(200);
  });

  describe("the attacker's tokens", () => {
    const cases: [string, string, () => Promise<string>][] = [
      [
        'alg none',
        'invalid_grant: signed with',
        () => Promise.resolve(unsignedJwt(githubClaims(), key.kid)),
      ],
      [
        'HS256 keyed with the issuer public key (algorithm confusion)',
        'invalid_grant: signed with',
        () => Promise.resolve(hs256WithPublicKey(key, githubClaims())),
      ],
      [
        'a wrong iss',
        'invalid_grant: No trust rule',
        () => sign(key, githubClaims('acme/api', 'main', { iss: 'https://evil.example.com' })),
      ],
      [
        'a wrong aud',
        'invalid_grant: No trust rule',
        () => sign(key, githubClaims('acme/api', 'main', { aud: 'https://github.com/evil' })),
      ],
      [
        'an expired token',
        'invalid_grant: expired',
        () => sign(key, githubClaims('acme/api', 'main', { iat: now() - 900, exp: now() - 120 })),
      ],
      [
        'a future nbf',
        'invalid_grant: not valid yet',
        () => sign(key, githubClaims('acme/api', 'main', { nbf: now() + 600 })),
      ],
      [
        'a future iat',
        'invalid_grant: in the future',
        () => sign(key, githubClaims('acme/api', 'main', { iat: now() + 600 })),
      ],
      [
        'a kid the JWKS lacks',
        'invalid_grant: kid',
        async () => sign(await makeKey('RS256', 'not-in-jwks'), githubClaims()),
      ],
      [
        "another key under the issuer's kid",
        'invalid_grant: signature',
        async () => sign(await makeKey('RS256', key.kid), githubClaims()),
      ],
      [
        'a subject no rule matches (a tag, not a branch)',
        'invalid_grant: No trust rule',
        () => sign(key, { ...githubClaims(), sub: 'repo:acme/api:ref:refs/tags/v1' }),
      ],
      [
        'a branch glob reaching into the next field',
        'invalid_grant: No trust rule',
        () => sign(key, { ...githubClaims(), sub: 'repo:acme/api:ref:refs/heads/x:environment:p' }),
      ],
      [
        'a claim of another owner',
        'invalid_grant: No trust rule',
        () => sign(key, githubClaims('acme/api', 'main', { repository_owner: 'evil' })),
      ],
      [
        'no jti',
        'invalid_grant: required claim',
        () => sign(key, githubClaims('acme/api', 'main', { jti: undefined })),
      ],
      ['no JWT at all', 'invalid_request: not a JWT', () => Promise.resolve('lk_notajwt')],
    ];

    it.each(cases)('%s: 400 %s, no token made', async (_, answer, make) => {
      const [error, why] = answer.split(': ');
      const before = await tokensOf(machineId);
      const jwt = await make();
      const res = await exchange(t, jwt, b.id);
      expectOAuthError(res, error, jwt);
      expect(res.body.error_description).toContain(why);
      expect(await tokensOf(machineId)).toBe(before);
    });

    it('asks for scopes beyond the rule: invalid_scope, no token made', async () => {
      const before = await tokensOf(machineId);
      const jwt = await sign(key, githubClaims());
      expectOAuthError(
        await exchange(t, jwt, b.id, { scope: 'deploy:write tokens:admin' }),
        'invalid_scope',
        jwt,
      );
      expect(await tokensOf(machineId)).toBe(before);
      // The JWT was not spent by the refusal.
      await exchange(t, jwt, b.id, { scope: 'deploy:write' }).expect(200);
    });

    it('replays a jti: the second exchange is refused', async () => {
      const jwt = await sign(key, githubClaims());
      await exchange(t, jwt, b.id).expect(200);
      expectOAuthError(await exchange(t, jwt, b.id), 'invalid_grant', jwt);
    });

    it('replays a jti in parallel: exactly one exchange wins', async () => {
      const jwt = await sign(key, githubClaims());
      const before = await tokensOf(machineId);
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => exchange(t, jwt, b.id).then((r) => r.status)),
      );
      expect(answers.sort()).toEqual([200, 400, 400, 400, 400, 400]);
      expect(await tokensOf(machineId)).toBe(before + 1);
    });

    it('replays a jti on a second instance of the same database: refused there', async () => {
      const second = await bootTestApp(
        driver,
        { RATE_LIMIT_OAUTH_PER_MINUTE: '0', TOKEN_CACHE_TTL_MS: '0' },
        t.db,
      );
      try {
        const jwt = await sign(key, githubClaims());
        await exchange(t, jwt, b.id).expect(200);
        expectOAuthError(await exchange(second, jwt, b.id), 'invalid_grant', jwt);
        const fresh = await sign(key, githubClaims());
        await exchange(second, fresh, b.id).expect(200);
        expectOAuthError(await exchange(t, fresh, b.id), 'invalid_grant', fresh);
      } finally {
        await second.close({ keepDatabase: true });
      }
    });

    it("matches only another business's rule: refused, whatever business it names", async () => {
      const other = await createBusiness(t);
      const foreign = await createMachine(t, other);
      await postRule(
        t,
        asOwner(other),
        foreign.id,
        githubRule(key, { subject: 'repo:acme/secret:*' }),
      ).expect(201);
      const jwt = await sign(key, githubClaims('acme/secret'));
      expectOAuthError(await exchange(t, jwt, b.id), 'invalid_grant', jwt);
      expect(await tokensOf(foreign.id)).toBe(0);
    });

    it("matches only another machine's rule: that machine's token, never this one's", async () => {
      const biz = await createBusiness(t);
      const main = await createMachine(t, biz);
      const tags = await createMachine(t, biz);
      await postRule(
        t,
        asOwner(biz),
        main.id,
        githubRule(key, { subject: 'repo:acme/api:ref:refs/heads/main' }),
      ).expect(201);
      await postRule(
        t,
        asOwner(biz),
        tags.id,
        githubRule(key, { subject: 'repo:acme/api:ref:refs/tags/*' }),
      ).expect(201);
      const jwt = await sign(key, { ...githubClaims(), sub: 'repo:acme/api:ref:refs/tags/v2' });
      const res = await exchange(t, jwt, biz.id).expect(200);
      const me = await t.http().get('/api/v1/me').set(asMember(res.body.access_token, biz.id));
      expect(me.body.data.token.identity_id).toBe(tags.id);
      expect(await tokensOf(main.id)).toBe(0);
    });

    it('matches rules of two machines: refused as ambiguous, no token made', async () => {
      const biz = await createBusiness(t);
      const one = await createMachine(t, biz);
      const two = await createMachine(t, biz);
      await postRule(t, asOwner(biz), one.id, githubRule(key)).expect(201);
      await postRule(t, asOwner(biz), two.id, githubRule(key)).expect(201);
      const jwt = await sign(key, githubClaims());
      expectOAuthError(await exchange(t, jwt, biz.id), 'invalid_grant', jwt);
      expect((await tokensOf(one.id)) + (await tokensOf(two.id))).toBe(0);
    });
  });

  describe('a token the exchange made', () => {
    let token: string;
    let machine: string;
    let biz: BusinessFixture;
    let otherMachine: string;
    beforeAll(async () => {
      biz = await createBusiness(t);
      const made = await federatedToken(t, biz, key);
      token = made.token;
      machine = made.machineId;
      otherMachine = (await createMachine(t, biz)).id;
    });

    const attempts: [string, (id: string) => [string, string, object]][] = [
      ['a token for itself', () => ['post', '/api/v1/tokens', { name: 'more' }]],
      [
        'a token for another machine',
        () => ['post', '/api/v1/tokens', { name: 'm', identity_id: otherMachine }],
      ],
      ['a rotation of itself', (id) => ['post', `/api/v1/tokens/${id}/rotate`, {}]],
      [
        'a new member (whose first token it would receive)',
        () => [
          'post',
          '/api/v1/members',
          { email: `${randomUUID()}@example.test`, role: 'member' },
        ],
      ],
      [
        'a trust rule, to mint more',
        () => ['post', `/api/v1/machine-identities/${otherMachine}/trust-rules`, githubRule(key)],
      ],
    ];
    it.each(attempts)('may not make %s: 403 TOKEN_FEDERATED', async (_, what) => {
      const me = await t.http().get('/api/v1/me').set(asMember(token, biz.id)).expect(200);
      const [method, path, body] = what(me.body.data.token.id as string);
      const before = await tokensOf(machine);
      const res = await (
        t.http() as unknown as Record<string, (p: string) => import('supertest').Test>
      )
        [method](path)
        .set(asMember(token, biz.id))
        .send(body);
      expectError(res, 403, 'TOKEN_FEDERATED');
      expect(await tokensOf(machine)).toBe(before);
      expect(await tokensOf(otherMachine)).toBe(0);
    });

    it('may revoke itself', async () => {
      await t
        .http()
        .post('/api/v1/tokens/self/revoke')
        .set(asMember(token, biz.id))
        .send({})
        .expect(201);
      expect((await t.http().get('/api/v1/me').set(asMember(token, biz.id))).status).toBe(401);
    });
  });

  describe('the request', () => {
    const valid = () => sign(key, githubClaims());
    it.each([
      ['another grant type', { grant_type: 'client_credentials' }, 'unsupported_grant_type'],
      ['no grant type', { grant_type: '' }, 'invalid_request'],
      ['no subject_token', { subject_token: '' }, 'invalid_request'],
      ['another subject_token_type', { subject_token_type: 'urn:x' }, 'invalid_request'],
      ['a malformed scope', { scope: 'Deploy Write' }, 'invalid_scope'],
      [
        'a resource neither a business nor an http(s) URI',
        { resource: 'ftp://api.example.com' },
        'invalid_target',
      ],
      [
        'a resource URI with a fragment',
        { resource: 'https://api.example.com/#x' },
        'invalid_target',
      ],
      [
        'a resource naming another business',
        { resource: `urn:latchkey:business:${randomUUID()}` },
        'invalid_target',
      ],
      [
        'another requested_token_type',
        { requested_token_type: 'urn:ietf:params:oauth:token-type:id_token' },
        'invalid_target',
      ],
    ])('%s: 400 %s', async (_, patch, error) => {
      const jwt = await valid();
      const form = new URLSearchParams(exchangeForm(jwt));
      for (const [k, v] of Object.entries(patch)) form.set(k, v);
      const res = await t
        .http()
        .post('/oauth2/token')
        .type('form')
        .set('x-business-id', b.id)
        .send(form.toString());
      expectOAuthError(res, error, jwt);
    });

    it('a parameter given twice (a JSON list): invalid_request', async () => {
      const jwt = await valid();
      const form = Object.fromEntries(new URLSearchParams(exchangeForm(jwt)));
      const res = await t
        .http()
        .post('/oauth2/token')
        .set('x-business-id', b.id)
        .send({ ...form, scope: ['deploy:write', 'deploy:write'] });
      expectOAuthError(res, 'invalid_request', jwt);
    });

    // `resource` alone may be repeated (RFC 8707 §2): test/federation/exchange-binding.e2e-spec.ts.
    it.each(['scope', 'subject_token', 'grant_type'])(
      'a form that gives %s twice: invalid_request, whichever value comes last',
      async (name) => {
        const jwt = await valid();
        const form = new URLSearchParams(
          exchangeForm(jwt, { resource: `urn:latchkey:business:${b.id}` }),
        );
        const value = form.get(name) ?? 'deploy:write';
        form.set(name, value);
        form.append(name, value);
        const res = await t
          .http()
          .post('/oauth2/token')
          .type('form')
          .set('x-business-id', b.id)
          .send(form.toString());
        expectOAuthError(res, 'invalid_request', jwt);
      },
    );

    it('JSON is read as the form is', async () => {
      const jwt = await valid();
      const form = Object.fromEntries(new URLSearchParams(exchangeForm(jwt)));
      await t.http().post('/oauth2/token').set('x-business-id', b.id).send(form).expect(200);
    });

    it('no business named: invalid_request; an unknown or suspended one: invalid_grant', async () => {
      const jwt = await valid();
      expectOAuthError(await exchange(t, jwt, null), 'invalid_request', jwt);
      expectOAuthError(await exchange(t, jwt, randomUUID()), 'invalid_grant', jwt);
      const gone = await createBusiness(t);
      const m = await createMachine(t, gone);
      await postRule(t, asOwner(gone), m.id, githubRule(key)).expect(201);
      await suspend(t, gone.id).expect(200);
      expectOAuthError(await exchange(t, jwt, gone.id), 'invalid_grant', jwt);
      expect(await tokensOf(m.id)).toBe(0);
    });
  });
});
