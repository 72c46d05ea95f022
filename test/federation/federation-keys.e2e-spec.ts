import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REFETCH_COOLDOWN_MS, JwksKeys } from '../../src/federation/exchange/jwks-keys';
import { BusinessFixture, createBusiness, createMachine } from '../factories/tenancy.factory';
import { asOwner } from '../harness/app/api';
import { exchange, githubRule, postRule } from './federation-fixtures';
import { githubClaims, IssuerKey, JwksServer, makeKey, sign } from './oidc-issuer';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

const LOOPBACK = { FEDERATION_JWKS_ALLOW_PRIVATE: 'true', FEDERATION_JWKS_ALLOW_HTTP: 'true' };
const NO_LIMITS = {
  RATE_LIMIT_OAUTH_PER_MINUTE: '0',
  RATE_LIMIT_FEDERATION_IDENTITY_PER_MINUTE: '0',
  RATE_LIMIT_FEDERATION_ISSUER_PER_MINUTE: '0',
};

describe.each(DRIVERS)('federation keys on %s', (driver) => {
  let t: TestApp;
  let server: JwksServer;
  let keys: JwksKeys;
  beforeAll(async () => {
    t = await bootTestApp(driver, { ...LOOPBACK, ...NO_LIMITS });
    keys = t.app.get(JwksKeys);
    server = await new JwksServer().start();
  });
  afterAll(async () => {
    await server.stop();
    await t.close();
  });
  afterEach(() => {
    keys.clock = Date.now;
  });

  /** A business whose machine trusts GitHub pushes to `repo`, keys at the JWKS server. */
  async function remoteRule(repo: string): Promise<BusinessFixture> {
    const b = await createBusiness(t);
    const m = await createMachine(t, b);
    await postRule(
      t,
      asOwner(b),
      m.id,
      githubRule(await makeKey(), {
        jwks: undefined,
        jwks_uri: `${server.url}?repo=${repo}`,
        subject: `repo:${repo}:ref:refs/heads/*`,
      }),
    ).expect(201);
    return b;
  }

  const exchangeAs = async (key: IssuerKey, repo: string, b: BusinessFixture) =>
    exchange(t, await sign(key, githubClaims(repo)), b.id);

  it('fetches a jwks_uri once and serves exchanges from the cache', async () => {
    const key = await makeKey();
    server.serve(key);
    const b = await remoteRule('acme/cached');
    const before = server.fetches;
    for (let i = 0; i < 3; i++) expect((await exchangeAs(key, 'acme/cached', b)).status).toBe(200);
    expect(server.fetches - before).toBe(1);
  });

  it('follows a key rotation: an unknown kid fetches again, at most once a minute', async () => {
    const old = await makeKey();
    const rotated = await makeKey();
    server.serve(old);
    const b = await remoteRule('acme/rotating');
    expect((await exchangeAs(old, 'acme/rotating', b)).status).toBe(200);
    const fetched = server.fetches;
    server.serve(rotated);

    // Within the minute of the last fetch, the new kid is unknown and nothing is fetched.
    const early = await exchangeAs(rotated, 'acme/rotating', b);
    expect(early.body).toEqual({
      error: 'invalid_grant',
      error_description: expect.stringContaining('kid'),
    });
    expect(server.fetches).toBe(fetched);
    // A stream of made-up kids fetches nothing either.
    for (let i = 0; i < 3; i++) await exchangeAs(await makeKey(), 'acme/rotating', b);
    expect(server.fetches).toBe(fetched);

    // A minute on, the unknown kid fetches the set once more, and the new key is taken.
    keys.clock = () => Date.now() + REFETCH_COOLDOWN_MS + 1000;
    const later = await exchangeAs(rotated, 'acme/rotating', b);
    expect(later.status).toBe(200);
    expect(server.fetches).toBe(fetched + 1);
    // The old key left the set: its JWTs are refused now, and within the minute fetch nothing.
    const retired = await exchangeAs(old, 'acme/rotating', b);
    expect(retired.body.error).toBe('invalid_grant');
    expect(server.fetches).toBe(fetched + 1);
  });

  it('gives up on a jwks_uri that does not answer, and says only that', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const slow = await bootTestApp(
      driver,
      { ...LOOPBACK, ...NO_LIMITS, FEDERATION_JWKS_TIMEOUT_MS: '300' },
      t.db,
    );
    try {
      const b = await createBusiness(t);
      const m = await createMachine(slow, b);
      const key = await makeKey();
      const uri = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/jwks`;
      await postRule(
        slow,
        asOwner(b),
        m.id,
        githubRule(key, { jwks: undefined, jwks_uri: uri }),
      ).expect(201);
      const res = await exchange(slow, await sign(key, githubClaims()), b.id);
      expect(res.body).toEqual({
        error: 'invalid_grant',
        error_description: "The issuer's keys could not be fetched",
      });
    } finally {
      silent.closeAllConnections();
      silent.close();
      await slow.close({ keepDatabase: true });
    }
  });

  it('refuses to fetch a jwks_uri at a private address when the allowance is off', async () => {
    // The rule was made where loopback is allowed (or its DNS answer changed since): an instance
    // without the allowance judges the address again when it fetches, and never connects.
    const key = await makeKey();
    server.serve(key);
    const b = await remoteRule('acme/private');
    // http stays allowed, so the refusal is the address's alone.
    const strict = await bootTestApp(
      driver,
      { ...NO_LIMITS, FEDERATION_JWKS_ALLOW_HTTP: 'true', FEDERATION_JWKS_ALLOW_PRIVATE: 'false' },
      t.db,
    );
    try {
      expect((await exchangeAs(key, 'acme/private', b)).status).toBe(200);
      const fetched = server.fetches;
      const res = await exchangeAs(key, 'acme/private', b).then(async () =>
        exchange(strict, await sign(key, githubClaims('acme/private')), b.id),
      );
      expect(res.body).toEqual({
        error: 'invalid_grant',
        error_description: "The issuer's keys could not be fetched",
      });
      expect(server.fetches).toBe(fetched);
    } finally {
      await strict.close({ keepDatabase: true });
    }
  });
});
