import type { Test } from 'supertest';
import { BusinessFixture, createMachine } from '../factories/tenancy.factory';
import { asOwner, Caller } from '../harness/app/api';
import { exchangeForm, githubClaims, GITHUB_ISSUER, IssuerKey, jwksOf, sign } from './oidc-issuer';
import type { TestApp } from '../harness/app/test-app';

export const rulesPath = (identityId: string) =>
  `/api/v1/machine-identities/${identityId}/trust-rules`;

export const postRule = (t: TestApp, caller: Caller, identityId: string, body: object): Test =>
  t.http().post(rulesPath(identityId)).set(caller).send(body);

export const listRules = (t: TestApp, caller: Caller, identityId: string): Test =>
  t.http().get(rulesPath(identityId)).set(caller);

export const deleteRule = (t: TestApp, caller: Caller, identityId: string, id: string): Test =>
  t
    .http()
    .delete(`${rulesPath(identityId)}/${id}`)
    .set(caller);

/** A rule for GitHub Actions pushes to any branch of acme/api, keys inline, over `body`. */
export function githubRule(key: IssuerKey, body: Record<string, unknown> = {}) {
  return {
    issuer: GITHUB_ISSUER,
    jwks: jwksOf(key),
    audience: 'https://github.com/acme',
    subject: 'repo:acme/api:ref:refs/heads/*',
    claims: { repository_owner: 'acme' },
    scopes: ['deploy:write'],
    max_ttl_seconds: 900,
    ...body,
  };
}

/** POST /oauth2/token, form-encoded, naming the business by header unless `businessId` is null. */
export function exchange(
  t: TestApp,
  jwt: string,
  businessId: string | null,
  extra: Record<string, string> = {},
): Test {
  const req = t.http().post('/oauth2/token').type('form');
  if (businessId !== null) void req.set('x-business-id', businessId);
  return req.send(exchangeForm(jwt, extra));
}

/**
 * A machine identity of `business` with a rule trusting `key` for GitHub pushes to acme/api, and
 * a token it got by exchanging a fresh JWT: `origin: federation`.
 */
export async function federatedToken(
  t: TestApp,
  business: BusinessFixture,
  key: IssuerKey,
  options: { role?: 'admin' | 'member'; scopes?: string[] } = {},
): Promise<{ machineId: string; ruleId: string; token: string }> {
  const machine = await createMachine(t, business, options.role ?? 'admin');
  const rule = await postRule(
    t,
    asOwner(business),
    machine.id,
    githubRule(key, { scopes: options.scopes ?? ['tokens:admin', 'members:write'] }),
  ).expect(201);
  const res = await exchange(t, await sign(key, githubClaims()), business.id).expect(200);
  return { machineId: machine.id, ruleId: rule.body.data.id, token: res.body.access_token };
}
