import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Response } from 'supertest';
import type { BusinessFixture } from '../factories/tenancy.factory';
import { asOwner, Caller, listAuditEvents } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import type { Driver } from '../setup/servers';
import { CLIENT_ID, CLIENT_SECRET, IdpAccount, TestIdp, throughProvider } from './test-idp';
import { uniqueEmail, uniqueLabel } from '../factories/unique';

export const BASE_URL = 'http://latchkey.test';
export const REDIRECT_URI = `${BASE_URL}/auth/sso/callback`;

/** What a browser holds after a sign-in's start: the provider URL and the binding cookie. */
export interface Started {
  location: string;
  cookie: string;
}

/** The app on `driver`, signing in through `idp`, with sessions of 4 hours. */
export async function bootSsoApp(driver: Driver, idp: TestIdp): Promise<TestApp> {
  const secretFile = join(tmpdir(), `oidc-secret-${process.pid}-${driver}-${Date.now()}`);
  writeFileSync(secretFile, CLIENT_SECRET, { mode: 0o600 });
  return bootTestApp(driver, {
    PUBLIC_BASE_URL: BASE_URL,
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: CLIENT_ID,
    OIDC_CLIENT_SECRET_FILE: secretFile,
    OIDC_SCOPES: 'openid email groups',
    CONSOLE_SESSION_HOURS: '4',
    RATE_LIMIT_OAUTH_PER_MINUTE: '1000',
  });
}

export const newEmail = (label = 'person') => uniqueEmail(label);

/**
 * A browser's steps through a sign-in, as the suites drive them: `t` and `idp` are read when a
 * step runs, so the flow may be made before the suite's hooks have booted them.
 */
export function ssoFlow(env: () => { t: TestApp; idp: TestIdp }) {
  const setRule = (caller: Caller, group: string, role: string) =>
    env().t.http().put('/api/v1/sso/group-roles').set(caller).send({ group, role });
  /** A person the provider knows, who signs in next. */
  const person = (account: Partial<IdpAccount> = {}) => {
    const { idp } = env();
    const sub = uniqueLabel('sub');
    idp.accounts.set(sub, { email: newEmail(), email_verified: true, groups: ['eng'], ...account });
    idp.nextLogin = sub;
    return { sub, ...idp.accounts.get(sub)! };
  };
  const start = async (query: object = {}): Promise<Started> => {
    const res = await env().t.http().get('/auth/sso/start').query(query).expect(302);
    const cookie = String(res.headers['set-cookie']).split(';')[0];
    return { location: String(res.headers.location), cookie };
  };
  /** The provider's redirect back, as the browser's next request (cookie included). */
  const callback = (url: string, cookie: string | null) => {
    const req = env().t.http().get(url.slice(BASE_URL.length));
    return cookie === null ? req : req.set('Cookie', cookie);
  };
  /** What the callback's redirect carries after `#`. */
  const fragmentOf = (res: { headers: Record<string, unknown> }) => {
    const location = String(res.headers.location);
    expect(location.startsWith('/admin/sso#')).toBe(true);
    return new URLSearchParams(location.slice('/admin/sso#'.length));
  };
  const collect = (handoff: string, cookie: string | null, businessId?: string) => {
    const body = businessId === undefined ? { handoff } : { handoff, business_id: businessId };
    const req = env().t.http().post('/auth/sso/session').send(body);
    return cookie === null ? req : req.set('Cookie', cookie);
  };
  /** Through the provider and back: the callback's fragment, and the browser's cookie. */
  const returned = async (query: object = {}) => {
    const started = await start(query);
    const back = await throughProvider(started.location, REDIRECT_URI);
    const fragment = fragmentOf(await callback(back, started.cookie).expect(302));
    return { fragment, cookie: started.cookie };
  };
  /** A whole sign-in: answers the collection's response, which must have `status`. */
  const signIn = async (query: object = {}, status = 201): Promise<Response> => {
    const { fragment, cookie } = await returned(query);
    const handoff = fragment.get('handoff');
    expect(handoff).toEqual(expect.any(String));
    return collect(handoff!, cookie).expect(status);
  };
  /** The business's `sso.sign_in_refused` entries for `email`, as its owner lists them. */
  const refusalsOf = async (b: BusinessFixture, email: string) => {
    const res = await listAuditEvents(env().t, asOwner(b), { action: 'sso.sign_in_refused' });
    expect(res.status).toBe(200);
    return (res.body.data.items as { target: { label: string } }[]).filter(
      (e) => e.target.label === email,
    );
  };
  return { setRule, person, start, callback, fragmentOf, collect, returned, signIn, refusalsOf };
}

/** The entry a refusal of `email` with `code` leaves in the business concerned. */
export const refusal = (email: string, code: string) =>
  expect.objectContaining({
    action: 'sso.sign_in_refused',
    actor: expect.objectContaining({ type: 'user', id: null, label: email }),
    target: { type: 'identity', id: null, label: email },
    metadata: { code },
  });
