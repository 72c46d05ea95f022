import { randomBytes } from 'node:crypto';
import type { Test } from 'supertest';
import { s256Challenge } from '../../src/authorization/codes/pkce';
import type { BusinessFixture } from '../factories/tenancy.factory';
import { uniqueLabel } from '../factories/unique';
import { asOwner, type Caller } from '../harness/app/api';
import { bootTestApp, type TestApp } from '../harness/app/test-app';
import type { Driver } from '../setup/servers';

export const REDIRECT = 'http://127.0.0.1:4567/callback';
export const BASE = 'https://latchkey.test';
/** The resource server's gateway secret: only a trusted gateway may name the resource it is. */
export const GATEWAY_SECRET = 'gateway-secret-for-mcp-tests';

/** A PKCE pair (RFC 7636 §4.1, §4.2). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256Challenge(verifier) };
}

/** The app as the flow's tests boot it: no /oauth2 limit, a public address, a gateway secret. */
export const bootAuthorizationServer = (driver: Driver, env: Record<string, string> = {}) =>
  bootTestApp(driver, {
    RATE_LIMIT_OAUTH_PER_MINUTE: '0',
    PUBLIC_BASE_URL: BASE,
    VERIFY_GATEWAY_SECRET: GATEWAY_SECRET,
    ...env,
  });

/** Registers a resource with two scopes in the business; answers its URI. */
export async function registerResource(t: TestApp, biz: BusinessFixture): Promise<string> {
  const uri = `https://mcp-${uniqueLabel('r').toLowerCase()}.example.com/mcp`;
  await t
    .http()
    .post('/api/v1/resources')
    .set(asOwner(biz))
    .send({
      uri,
      name: 'Notes MCP server',
      scopes: [
        { name: 'notes:read', description: 'Read your notes' },
        { name: 'notes:write', description: 'Write your notes' },
      ],
    })
    .expect(201);
  return uri;
}

/** Registers a public client (RFC 7591) with a loopback redirect; answers its client_id. */
export async function registerClient(t: TestApp, name = 'Acme Agent'): Promise<string> {
  const res = await t
    .http()
    .post('/oauth2/register')
    .send({ client_name: name, redirect_uris: ['http://127.0.0.1/callback'] })
    .expect(201);
  return res.body.client_id as string;
}

/** A client and a person running the flow over HTTP against one business. */
export class FlowDriver {
  constructor(
    readonly t: TestApp,
    readonly biz: BusinessFixture,
    readonly clientId: string,
    readonly resource: string,
  ) {}

  issuer(businessId = this.biz.id): string {
    return `${BASE}/oauth2/businesses/${businessId}`;
  }

  authorizeRequest(query: Record<string, string>, businessId = this.biz.id): Test {
    return this.t.http().get(`/oauth2/businesses/${businessId}/authorize`).query(query);
  }

  /** A valid authorization request's parameters, with `extra` over them. */
  params(challenge: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      response_type: 'code',
      client_id: this.clientId,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource: this.resource,
      scope: 'notes:read',
      state: 'st-123',
      ...extra,
    };
  }

  /** Runs the authorization request; answers the sealed request the console is sent with. */
  async authorize(extra: Record<string, string> = {}) {
    const { verifier, challenge } = pkce();
    const res = await this.authorizeRequest(this.params(challenge, extra)).expect(302);
    const location = new URL(res.headers.location);
    if (location.pathname !== '/admin/consent') throw new Error(`not to consent: ${location.href}`);
    return { request: location.searchParams.get('request')!, verifier };
  }

  decide(request: string, caller: Caller, decision: 'allow' | 'deny' = 'allow'): Test {
    return this.t
      .http()
      .post('/api/v1/authorization-requests/decision')
      .set(caller)
      .send({ request, decision });
  }

  /** The person allows; answers the code the client is sent back with. */
  async allow(request: string, caller: Caller = asOwner(this.biz)): Promise<string> {
    const res = await this.decide(request, caller).expect(201);
    return new URL(res.body.data.redirect_to as string).searchParams.get('code')!;
  }

  token(body: Record<string, string>, businessId = this.biz.id): Test {
    return this.t.http().post(`/oauth2/businesses/${businessId}/token`).type('form').send(body);
  }

  codeBody(code: string, verifier: string, extra: Record<string, string> = {}) {
    return {
      grant_type: 'authorization_code',
      client_id: this.clientId,
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      resource: this.resource,
      ...extra,
    };
  }

  refreshBody(refreshToken: string, extra: Record<string, string> = {}) {
    return {
      grant_type: 'refresh_token',
      client_id: this.clientId,
      refresh_token: refreshToken,
      ...extra,
    };
  }

  /** The whole flow for `caller`: answers the token response. */
  async codeFlow(caller: Caller = asOwner(this.biz), extra: Record<string, string> = {}) {
    const { request, verifier } = await this.authorize(extra);
    const code = await this.allow(request, caller);
    const res = await this.token(this.codeBody(code, verifier)).expect(200);
    return res.body as { access_token: string; refresh_token: string; scope: string };
  }

  /** The resource server's check of an access token (`GET /auth/verify`, as its gateway). */
  verify(accessToken: string, at = this.resource): Test {
    return this.t
      .http()
      .get('/auth/verify')
      .set('authorization', `Bearer ${accessToken}`)
      .set('x-latchkey-gateway-secret', GATEWAY_SECRET)
      .set('x-latchkey-resource', at);
  }
}
