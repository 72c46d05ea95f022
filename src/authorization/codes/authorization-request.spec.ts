import fc from 'fast-check';
import type { AuthorizationRequestParams } from './dto/authorization-code.dto';
import {
  AUTHORIZATION_REQUEST_CHECKS,
  AuthorizationRequestCheckId,
  AuthorizationRequestFacts,
} from './authorization-request-checks';
import type { ClientFacts } from './authorization-ports';
import { authorizationResponseLocation, checkAuthorizationRequest } from './authorization-request';

const ISSUER = 'https://latchkey.example.com';
const CLIENT_ID = 'https://app.example.com/oauth/client.json';
const REDIRECT = 'https://app.example.com/callback';
const LOOPBACK = 'http://127.0.0.1/callback';
const RESOURCE = 'https://mcp.example.com/mcp';
// RFC 7636 Appendix B's challenge.
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

const REGISTERED = [REDIRECT, LOOPBACK];

/** A loopback redirect's parts but its port (RFC 8252 §7.3), as the client registry reads them. */
const LOOPBACK_PARTS = /^(http:\/\/127\.0\.0\.1)(?::\d{1,5})?([/?].*)$/;
const withoutPort = (uri: string) => LOOPBACK_PARTS.exec(uri)?.slice(1).join('') ?? null;

/** The client registry's answer, faked: exact matching, any port on the loopback literal. */
const clientOf = (clientId: string, registered: readonly string[]): ClientFacts => ({
  clientId,
  acceptsRedirectUri: (uri) =>
    registered.some(
      (r) => r === uri || (withoutPort(r) !== null && withoutPort(r) === withoutPort(uri)),
    ),
});

const FACTS: AuthorizationRequestFacts = {
  issuer: ISSUER,
  client: clientOf(CLIENT_ID, REGISTERED),
  resource: { uri: RESOURCE, scopes: ['orders:read', 'orders:write'] },
};

const PARAMS: Record<string, string | readonly string[] | undefined> = {
  client_id: CLIENT_ID,
  redirect_uri: REDIRECT,
  response_type: 'code',
  code_challenge: CHALLENGE,
  code_challenge_method: 'S256',
  resource: RESOURCE,
  scope: 'orders:read orders:write',
  state: 'af0ifjsldkj',
};

/** A request that fails one check and passes every check before it. */
interface Case {
  params?: AuthorizationRequestParams;
  facts?: Partial<AuthorizationRequestFacts>;
}

/** One case per check: a check added to the table without its case does not compile. */
const CASES: Record<AuthorizationRequestCheckId, Case> = {
  client_id_missing: { params: { client_id: undefined } },
  client_unknown: { facts: { client: null } },
  redirect_uri_missing: { params: { redirect_uri: undefined } },
  redirect_uri_unregistered: { params: { redirect_uri: 'https://app.example.com/callback/' } },
  parameter_repeated: { params: { scope: ['orders:read', 'orders:write'] } },
  response_type_missing: { params: { response_type: undefined } },
  response_type_unsupported: { params: { response_type: 'token' } },
  code_challenge_missing: { params: { code_challenge: undefined } },
  code_challenge_method_unsupported: { params: { code_challenge_method: 'plain' } },
  code_challenge_malformed: { params: { code_challenge: `${CHALLENGE.slice(1)}=` } },
  resource_missing: { params: { resource: undefined } },
  resource_malformed: { params: { resource: `${RESOURCE}#tools` } },
  resource_unregistered: { facts: { resource: null } },
  scope_missing: { params: { scope: undefined } },
  scope_malformed: { params: { scope: 'orders:read  orders:write' } },
  scope_undeclared: { params: { scope: 'orders:read orders:delete' } },
  dpop_jkt_malformed: { params: { dpop_jkt: 'not-a-thumbprint' } },
};

const run = (c: Case = {}) =>
  checkAuthorizationRequest({ ...PARAMS, ...c.params }, { ...FACTS, ...c.facts });

describe(checkAuthorizationRequest.name, () => {
  it('passes a request that every check takes, with what consent and the code need', () => {
    expect(run({ params: { dpop_jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } })).toEqual({
      kind: 'valid',
      request: {
        clientId: CLIENT_ID,
        redirectUri: REDIRECT,
        resource: RESOURCE,
        scopes: ['orders:read', 'orders:write'],
        codeChallenge: CHALLENGE,
        codeChallengeMethod: 'S256',
        state: 'af0ifjsldkj',
        dpopJkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I',
      },
    });
  });

  it.each(AUTHORIZATION_REQUEST_CHECKS.map((check) => [check.id, check] as const))(
    '%s: answered as its row says',
    (id, check) => {
      const answer = run(CASES[id]);
      expect(answer).toMatchObject({ kind: check.answer.kind, check: id });
      if (answer.kind === 'page') {
        expect(answer).toEqual({ ...check.answer, check: id });
      } else if (answer.kind === 'redirect') {
        // Only once the client and its redirect URI are trusted, and then with state and iss.
        expect(answer).toEqual({
          kind: 'redirect',
          check: id,
          error: check.answer.error,
          redirectUri: REDIRECT,
          params: {
            error: check.answer.error,
            error_description: check.answer.description,
            state: 'af0ifjsldkj',
            iss: ISSUER,
          },
        });
      }
    },
  );

  it('keeps the table in the order of the RFCs: every error page before any redirect', () => {
    const kinds = AUTHORIZATION_REQUEST_CHECKS.map((c) => c.answer.kind);
    expect(kinds.lastIndexOf('page')).toBeLessThan(kinds.indexOf('redirect'));
  });

  it.each([
    ['client_id', 'client_id_missing'],
    ['redirect_uri', 'redirect_uri_missing'],
  ])('answers a repeated %s with the error page, never a redirect', (name, check) => {
    const value = PARAMS[name] as string;
    expect(run({ params: { [name]: [value, value] } })).toMatchObject({ kind: 'page', check });
  });

  it('refuses a missing code_challenge_method, which RFC 7636 reads as plain', () => {
    expect(run({ params: { code_challenge_method: undefined } })).toMatchObject({
      kind: 'redirect',
      check: 'code_challenge_method_unsupported',
      error: 'invalid_request',
    });
  });

  it('echoes no state that was sent twice, and none that was not sent', () => {
    const twice = run({ params: { state: ['a', 'b'] } });
    const none = run({ params: { state: undefined, response_type: 'token' } });
    expect(twice.kind === 'redirect' && twice.params).toEqual(
      expect.not.objectContaining({ state: expect.anything() }),
    );
    expect(none.kind === 'redirect' && none.params).toEqual(
      expect.not.objectContaining({ state: expect.anything() }),
    );
  });

  it('refuses a client the directory answered for another client_id', () => {
    const facts = { client: clientOf('https://other.example.com/c.json', REGISTERED) };
    expect(run({ facts })).toMatchObject({ kind: 'page', check: 'client_unknown' });
  });

  it('takes a registered resource spelled otherwise, and answers it canonical', () => {
    const answer = run({ params: { resource: 'HTTPS://MCP.example.com:443/mcp' } });
    expect(answer.kind === 'valid' && answer.request.resource).toBe(RESOURCE);
  });
});

it('takes the loopback redirect on any port, as the client registry matches it', () => {
  const answer = run({ params: { redirect_uri: 'http://127.0.0.1:51004/callback' } });
  expect(answer.kind === 'valid' && answer.request.redirectUri).toBe(
    'http://127.0.0.1:51004/callback',
  );
});

describe(authorizationResponseLocation.name, () => {
  it('adds the parameters to the query, keeping the one registered', () => {
    const params = { error: 'invalid_scope', state: 'a b&c', iss: ISSUER };
    expect(authorizationResponseLocation(REDIRECT, params)).toBe(
      `${REDIRECT}?error=invalid_scope&state=a+b%26c&iss=https%3A%2F%2Flatchkey.example.com`,
    );
    expect(authorizationResponseLocation(`${REDIRECT}?app=1`, { iss: ISSUER })).toBe(
      `${REDIRECT}?app=1&iss=https%3A%2F%2Flatchkey.example.com`,
    );
  });
});

/** Each parameter: right, absent, empty, repeated, or one of the wrong values an attacker tries. */
const param = (right: string, ...wrong: string[]) =>
  fc.oneof(
    { weight: 30, arbitrary: fc.constant<string | string[] | undefined>(right) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.constant([right, right]) },
    { weight: 1, arbitrary: fc.string({ maxLength: 140 }) },
    ...wrong.map((w) => ({ weight: 1, arbitrary: fc.constant(w) })),
  );

const requestArb = fc.record({
  params: fc.record({
    client_id: param(CLIENT_ID, 'https://app.example.com/oauth/client.json '),
    redirect_uri: fc.oneof(
      param(REDIRECT, 'https://app.example.com/callback#x', 'https://evil.example.com/callback'),
      fc.constant(LOOPBACK.replace('127.0.0.1', '127.0.0.1:7777')),
      fc.constant('http://127.0.0.1:7777@evil.example.com/callback'),
    ),
    response_type: param('code', 'token', 'code id_token', 'CODE'),
    code_challenge: fc.oneof(
      param(CHALLENGE, `${CHALLENGE} `, CHALLENGE.slice(1)),
      fc.stringMatching(/^[A-Za-z0-9\-._~+/=]{40,130}$/),
    ),
    code_challenge_method: param('S256', 'plain', 's256'),
    resource: param(RESOURCE, `${RESOURCE}#frag`, 'mcp.example.com/mcp', 'urn:mcp', `${RESOURCE}/`),
    scope: param('orders:read', 'orders:read orders:write', 'orders:*', 'admin', ' orders:read'),
    state: param('s', 'a&b=c'),
    dpop_jkt: fc.oneof(
      fc.constant(undefined),
      fc.constant('0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I'),
      fc.string({ maxLength: 50 }),
    ),
    extra: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
  }),
  client: fc.oneof(
    { weight: 6, arbitrary: fc.constant(FACTS.client) },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
  resource: fc.oneof(
    { weight: 6, arbitrary: fc.constant(FACTS.resource) },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
});

/** The rules said again, independently of the table: what every request let through satisfies. */
function satisfiesEveryRule(
  params: Record<string, unknown>,
  facts: AuthorizationRequestFacts,
): void {
  for (const value of Object.values(params)) expect(typeof value).toMatch(/^(string|undefined)$/);
  expect(facts.client?.clientId).toBe(params.client_id);
  const redirect = String(params.redirect_uri);
  const registered = REGISTERED.some((r) => {
    if (r === redirect) return true;
    const [a, b] = [new URL(r), new URL(redirect)];
    return (
      a.protocol === 'http:' &&
      b.protocol === 'http:' &&
      a.hostname === '127.0.0.1' &&
      b.hostname === '127.0.0.1' &&
      b.username === '' &&
      a.pathname + a.search === b.pathname + b.search
    );
  });
  expect(registered).toBe(true);
  expect(params.response_type).toBe('code');
  expect(params.code_challenge_method).toBe('S256');
  expect(params.code_challenge).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
  const resource = String(params.resource);
  expect(resource).not.toContain('#');
  expect(new URL(resource).href).toBeTruthy();
  expect(facts.resource).not.toBeNull();
  for (const scope of String(params.scope).split(' ')) {
    expect(facts.resource!.scopes).toContain(scope);
  }
  if (params.dpop_jkt !== undefined) expect(params.dpop_jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
}

describe('the authorization request checks, on generated requests', () => {
  it('let through only requests that satisfy every rule, and redirect only where registered', () => {
    let passed = 0;
    fc.assert(
      fc.property(requestArb, ({ params, client, resource }) => {
        const facts = { issuer: ISSUER, client, resource };
        const answer = checkAuthorizationRequest(params, facts);
        if (answer.kind === 'valid') {
          passed++;
          satisfiesEveryRule(params, facts);
        } else if (answer.kind === 'redirect') {
          expect(client).not.toBeNull();
          expect(client!.acceptsRedirectUri(answer.redirectUri)).toBe(true);
          expect(answer.redirectUri).toBe(params.redirect_uri);
          expect(answer.params.iss).toBe(ISSUER);
        }
      }),
      { seed: 20260301, numRuns: 3000 },
    );
    // The generators must reach the far side of the table, or the property proves little.
    expect(passed).toBeGreaterThan(100);
  });
});
