import { GrantsService } from '../../src/authorization/grants/grants.service';
import { AuthorizationRequestHandles } from '../../src/authorization/grants/authorization-request-handle';
import { TOKEN_REQUEST_RULES } from '../../src/authorization/grants/token-request-params';
import {
  addMember,
  BusinessFixture,
  createMachine,
  createToken,
  createUnexpiringBusiness,
  MemberFixture,
} from '../factories/tenancy.factory';
import { uniqueLabel } from '../factories/unique';
import { asMember, asOwner, asPlatform, Caller, suspend } from '../harness/app/api';
import { TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import {
  bootAuthorizationServer,
  FlowDriver,
  pkce,
  REDIRECT,
  registerClient,
  registerResource,
} from './connected-apps-fixtures';

/** A body that trips exactly one rule of TOKEN_REQUEST_RULES, from a valid one of its grant. */
const RULE_CASES: Record<
  string,
  (code: Record<string, string>, refresh: Record<string, string>) => Record<string, string>
> = {
  grant_type_missing: ({ grant_type: _, ...rest }) => rest,
  grant_type_unsupported: (code) => ({ ...code, grant_type: 'password' }),
  client_id_missing: ({ client_id: _, ...rest }) => rest,
  client_secret_sent: (code) => ({ ...code, client_secret: 'hunter2' }),
  code_missing: ({ code: _, ...rest }) => rest,
  redirect_uri_missing: ({ redirect_uri: _, ...rest }) => rest,
  code_verifier_missing: ({ code_verifier: _, ...rest }) => rest,
  resource_missing: ({ resource: _, ...rest }) => rest,
  resource_malformed: (code) => ({ ...code, resource: 'mcp.example.com/no-scheme#frag' }),
  refresh_token_missing: (_code, { refresh_token: _, ...rest }) => rest,
  scope_malformed: (_code, refresh) => ({ ...refresh, scope: 'notes:read NOT A SCOPE' }),
};

/**
 * The authorization server tried as an attacker would: every rule of the token request, codes
 * replayed or carried to another client or business, refresh tokens raced, reused or presented
 * by another client, consent asked of a machine, a platform token or another business, a sealed
 * request changed or late, a session granting beyond itself, and a person who lost their
 * membership or whose business was suspended mid-session.
 */
describe.each(DRIVERS)('connected apps attacked on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let other: BusinessFixture;
  let owner: Caller;
  let flow: FlowDriver;

  beforeAll(async () => {
    t = await bootAuthorizationServer(driver);
    biz = await createUnexpiringBusiness(t, uniqueLabel('agents'));
    other = await createUnexpiringBusiness(t, uniqueLabel('others'));
    owner = asOwner(biz);
    flow = new FlowDriver(t, biz, await registerClient(t), await registerResource(t, biz));
  });
  afterAll(() => t.close());

  describe('the token request, rule by rule', () => {
    it('has a case for every rule', () => {
      expect(Object.keys(RULE_CASES).sort()).toEqual(TOKEN_REQUEST_RULES.map((r) => r.id).sort());
    });

    it.each(TOKEN_REQUEST_RULES.map((r) => [r.id, r] as const))('%s', async (_id, rule) => {
      const code = flow.codeBody('c'.repeat(43), 'v'.repeat(43));
      const refresh = flow.refreshBody(`lkr_${'r'.repeat(43)}`);
      const res = await flow.token(RULE_CASES[rule.id](code, refresh)).expect(400);
      expect(res.body).toEqual({ error: rule.error, error_description: rule.description });
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('refuses a repeated parameter and one longer than any value', async () => {
      const body = new URLSearchParams(flow.codeBody('c'.repeat(43), 'v'.repeat(43)));
      body.append('code', 'd'.repeat(43));
      const repeated = await t
        .http()
        .post(`/oauth2/businesses/${biz.id}/token`)
        .type('form')
        .send(body.toString())
        .expect(400);
      expect(repeated.body.error).toBe('invalid_request');
      const long = await flow
        .token(flow.codeBody('c'.repeat(43), 'v'.repeat(43), { state: 'x'.repeat(5000) }))
        .expect(400);
      expect(long.body.error).toBe('invalid_request');
    });
  });

  describe('codes', () => {
    it('a replayed code is refused, and revokes what the first redemption gave', async () => {
      const { request, verifier } = await flow.authorize();
      const code = await flow.allow(request);
      const first = await flow.token(flow.codeBody(code, verifier)).expect(200);
      await flow.verify(first.body.access_token).expect(204);
      const again = await flow.token(flow.codeBody(code, verifier)).expect(400);
      expect(again.body.error).toBe('invalid_grant');
      // The grant ends once the replay's refusal has committed: wait for it, bounded.
      for (let i = 0; i < 200; i++) {
        const res = await flow.verify(first.body.access_token);
        if (res.status === 401) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await flow.verify(first.body.access_token).expect(401);
      await flow.token(flow.refreshBody(first.body.refresh_token)).expect(400);
    });

    it('a code is no code for another client, another business, or without its verifier', async () => {
      const { request, verifier } = await flow.authorize();
      const code = await flow.allow(request);
      const otherClient = await registerClient(t, 'Mallory Agent');
      await flow.token(flow.codeBody(code, verifier, { client_id: otherClient })).expect(400);
      await flow.token(flow.codeBody(code, verifier), other.id).expect(400);
      await flow.token(flow.codeBody(code, pkce().verifier)).expect(400);
      await flow
        .token(flow.codeBody(code, verifier, { redirect_uri: 'http://127.0.0.1:1/cb' }))
        .expect(400);
      await flow
        .token(flow.codeBody(code, verifier, { resource: 'https://other.example.com/mcp' }))
        .expect(400);
      // Refusals leave the code for its own client.
      await flow.token(flow.codeBody(code, verifier)).expect(200);
    });

    it('ten redemptions at once: exactly one gets tokens', async () => {
      const { request, verifier } = await flow.authorize();
      const code = await flow.allow(request);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => flow.token(flow.codeBody(code, verifier))),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 400)).toHaveLength(9);
    });
  });

  describe('refresh tokens', () => {
    it('another client presenting a refresh token gets nothing, and ends nothing', async () => {
      const tokens = await flow.codeFlow();
      const otherClient = await registerClient(t, 'Mallory Agent');
      await flow
        .token(flow.refreshBody(tokens.refresh_token, { client_id: otherClient }))
        .expect(400);
      await flow.token(flow.refreshBody(tokens.refresh_token), other.id).expect(400);
      await flow.verify(tokens.access_token).expect(204);
      await flow.token(flow.refreshBody(tokens.refresh_token)).expect(200);
    });

    it('five refreshes at once: one wins, the others are reuses, and the line ends', async () => {
      const tokens = await flow.codeFlow();
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => flow.token(flow.refreshBody(tokens.refresh_token))),
      );
      const won = answers.filter((a) => a.status === 200);
      expect(won.length).toBeLessThanOrEqual(1);
      expect(answers.filter((a) => a.status === 400).length).toBeGreaterThanOrEqual(4);
      for (const w of won) await flow.verify(w.body.access_token).expect(401);
      await flow.verify(tokens.access_token).expect(401);
    });

    it('a refresh may narrow the scopes, never widen them or change the resource', async () => {
      const tokens = await flow.codeFlow(owner, { scope: 'notes:read notes:write' });
      const wider = await flow
        .token(flow.refreshBody(tokens.refresh_token, { scope: 'notes:read notes:admin' }))
        .expect(400);
      expect(wider.body.error).toBe('invalid_scope');
      const elsewhere = await flow
        .token(
          flow.refreshBody(tokens.refresh_token, { resource: 'https://other.example.com/mcp' }),
        )
        .expect(400);
      expect(elsewhere.body.error).toBe('invalid_target');
      const narrower = await flow
        .token(flow.refreshBody(tokens.refresh_token, { scope: 'notes:read' }))
        .expect(200);
      expect(narrower.body.scope).toBe('notes:read');
    });

    it('a refresh token is refused once it has expired', async () => {
      const tokens = await flow.codeFlow();
      const grants = t.app.get(GrantsService);
      grants.clock = () => Date.now() + 31 * 86_400_000;
      try {
        await flow.token(flow.refreshBody(tokens.refresh_token)).expect(400);
      } finally {
        grants.clock = Date.now;
      }
    });
  });

  describe('consent', () => {
    let member: MemberFixture;

    beforeAll(async () => {
      member = await addMember(t, biz);
    });

    it('a machine identity, a platform token or another business cannot consent', async () => {
      const { request } = await flow.authorize();
      const machine = await createMachine(t, biz, 'member');
      const machineToken = await createToken(t, owner, { name: 'm', identity_id: machine.id });
      const byMachine = await flow
        .decide(request, asMember(machineToken.secret, biz.id))
        .expect(403);
      expect(byMachine.body.code).toBe('CONSENT_BY_PERSON_ONLY');
      const byPlatform = await flow
        .decide(request, { ...asPlatform(t), 'x-business-id': biz.id })
        .expect(403);
      expect(byPlatform.body.code).toBe('CONSENT_BY_PERSON_ONLY');
      const elsewhere = await flow.decide(request, asOwner(other)).expect(404);
      expect(elsewhere.body.code).toBe('AUTHORIZATION_REQUEST_NOT_FOUND');
    });

    it('a sealed request changed on the way, or answered late, is not found', async () => {
      const { request } = await flow.authorize();
      const [header, payload, mac] = request.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const widened = Buffer.from(JSON.stringify({ ...claims, sc: ['notes:write'] })).toString(
        'base64url',
      );
      await flow.decide(`${header}.${widened}.${mac}`, owner).expect(404);
      await flow.decide(`${request}x`, owner).expect(404);
      await flow.decide('not-a-request', owner).expect(404);
      const handles = t.app.get(AuthorizationRequestHandles);
      handles.clock = () => Date.now() + 11 * 60_000;
      try {
        await flow.decide(request, owner).expect(404);
      } finally {
        handles.clock = Date.now;
      }
    });

    it('a session allows only what it could grant itself (403 SCOPE_ESCALATION)', async () => {
      const narrow = await createToken(t, asMember(member.token, biz.id), {
        name: 'narrow',
        scopes: ['notes:read'],
      });
      const { request } = await flow.authorize({ scope: 'notes:read notes:write' });
      const res = await flow.decide(request, asMember(narrow.secret, biz.id)).expect(403);
      expect(res.body.code).toBe('SCOPE_ESCALATION');
      const within = await flow.authorize({ scope: 'notes:read' });
      await flow.decide(within.request, asMember(narrow.secret, biz.id)).expect(201);
    });

    it('scopes the policy sends to an approver are never granted by a consent alone', async () => {
      const gated = await createUnexpiringBusiness(t, uniqueLabel('gated'));
      const there = new FlowDriver(t, gated, flow.clientId, await registerResource(t, gated));
      const tokens = await there.codeFlow(asOwner(gated), { scope: 'notes:read notes:write' });
      const policy = await t.http().get('/api/v1/token-policy').set(asOwner(gated)).expect(200);
      const rules = { ...(policy.body.data as Record<string, unknown>) };
      delete rules.updated_at;
      delete rules.updated_by;
      await t
        .http()
        .put('/api/v1/token-policy')
        .set(asOwner(gated))
        .send({ ...rules, approval_required: { scopes: ['notes:write'] } })
        .expect(200);
      // Asked now: refused before any code, naming the rule.
      const { request } = await there.authorize({ scope: 'notes:read notes:write' });
      const refused = await there.decide(request, asOwner(gated)).expect(403);
      expect(refused.body.code).toBe('APPROVAL_REQUIRED');
      expect(refused.body.detail).toContain('approval_required.scopes');
      // Granted before: the grant's next refresh is refused; a grant without the scope goes on.
      const res = await there.token(there.refreshBody(tokens.refresh_token)).expect(400);
      expect(res.body.error).toBe('invalid_scope');
      await there.codeFlow(asOwner(gated), { scope: 'notes:read' });
    });

    it("a member's connected app is theirs: another person cannot see or withdraw it", async () => {
      await flow.codeFlow(asMember(member.token, biz.id));
      const mine = await t.http().get('/api/v1/connected-apps').set(asMember(member.token, biz.id));
      const app = mine.body.data.items[0];
      const ownerApps = await t.http().get('/api/v1/connected-apps').set(owner).expect(200);
      expect(ownerApps.body.data.items.map((a: { id: string }) => a.id)).not.toContain(app.id);
      await t.http().delete(`/api/v1/connected-apps/${app.id}`).set(owner).expect(404);
      await t.http().delete(`/api/v1/connected-apps/${app.id}`).set(asOwner(other)).expect(404);
    });
  });

  describe('the person and the business mid-session', () => {
    it('a person removed from the business is refused a refresh, and their token at once', async () => {
      const leaving = await addMember(t, biz);
      const tokens = await flow.codeFlow(asMember(leaving.token, biz.id));
      await flow.verify(tokens.access_token).expect(204);
      await t.http().delete(`/api/v1/members/${leaving.identityId}`).set(owner).expect(200);
      await flow.verify(tokens.access_token).expect(401);
      const res = await flow.token(flow.refreshBody(tokens.refresh_token)).expect(400);
      expect(res.body.error).toBe('invalid_grant');
    });

    it("a custom role narrows a connected app's token as it narrows every token of its holder", async () => {
      const holder = await addMember(t, biz);
      const role = await t
        .http()
        .post('/api/v1/custom-roles')
        .set(owner)
        .send({
          name: uniqueLabel('reader').toLowerCase(),
          base_role: 'member',
          scopes: ['notes:read'],
        })
        .expect(201);
      const tokens = await flow.codeFlow(asMember(holder.token, biz.id), {
        scope: 'notes:read notes:write',
      });
      const needing = (scope: string) =>
        flow.verify(tokens.access_token).set('x-latchkey-require-scope', scope);
      await needing('notes:write').expect(204);
      await t
        .http()
        .put(`/api/v1/custom-roles/holders/${holder.identityId}`)
        .set(owner)
        .send({ custom_role_id: role.body.data.id })
        .expect(200);
      await needing('notes:read').expect(204);
      await needing('notes:write').expect(403);
    });

    it('a suspended business is no authorization server, and refreshes nothing', async () => {
      const shortLived = await createUnexpiringBusiness(t, uniqueLabel('suspended'));
      const there = new FlowDriver(
        t,
        shortLived,
        flow.clientId,
        await registerResource(t, shortLived),
      );
      const tokens = await there.codeFlow();
      await suspend(t, shortLived.id).expect(200);
      await there.token(there.refreshBody(tokens.refresh_token)).expect(400);
      const page = await there.authorizeRequest(there.params(pkce().challenge)).expect(404);
      expect(page.headers.location).toBeUndefined();
      await t
        .http()
        .get(`/.well-known/oauth-authorization-server/oauth2/businesses/${shortLived.id}`)
        .expect(404);
    });
  });

  describe('the authorization endpoint', () => {
    it('an unknown client or redirect URI gets an error page, never a redirect', async () => {
      const { challenge } = pkce();
      const unknown = await flow
        .authorizeRequest(flow.params(challenge, { client_id: 'lkc_' + 'x'.repeat(32) }))
        .expect(400);
      expect(unknown.headers.location).toBeUndefined();
      expect(unknown.headers['content-type']).toMatch(/^text\/html/);
      const stranger = await flow
        .authorizeRequest(flow.params(challenge, { redirect_uri: 'https://evil.example/cb' }))
        .expect(400);
      expect(stranger.headers.location).toBeUndefined();
      const html = await flow
        .authorizeRequest(flow.params(challenge, { client_id: '<script>alert(1)</script>' }))
        .expect(400);
      expect(html.text).not.toContain('<script>');
    });

    it('every redirect names this business as issuer (RFC 9207), so a mix-up is seen', async () => {
      const { challenge } = pkce();
      const refused = await flow
        .authorizeRequest(flow.params(challenge, { code_challenge_method: 'plain' }))
        .expect(302);
      const back = new URL(refused.headers.location);
      expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
      expect(back.searchParams.get('iss')).toBe(flow.issuer());
      expect(back.searchParams.get('iss')).not.toBe(flow.issuer(other.id));
      expect(back.searchParams.get('error')).toBe('invalid_request');
    });

    it('a state too long to carry is refused back to the client', async () => {
      const { challenge } = pkce();
      const res = await flow
        .authorizeRequest(flow.params(challenge, { state: 's'.repeat(1025) }))
        .expect(302);
      const back = new URL(res.headers.location);
      expect(back.searchParams.get('error')).toBe('invalid_request');
      expect(back.searchParams.get('state')).toBeNull();
    });

    it('a resource of another business is not registered here', async () => {
      const elsewhere = await registerResource(t, other);
      const { challenge } = pkce();
      const res = await flow
        .authorizeRequest(flow.params(challenge, { resource: elsewhere }))
        .expect(302);
      expect(new URL(res.headers.location).searchParams.get('error')).toBe('invalid_target');
    });
  });
});
