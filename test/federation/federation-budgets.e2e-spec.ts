import { BusinessFixture, createBusiness, createMachine } from '../factories/tenancy.factory';
import { asOwner } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { exchange, githubRule, postRule } from './federation-fixtures';
import { githubClaims, IssuerKey, makeKey, sign } from './oidc-issuer';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS, TEST_REDIS_URL } from '../setup/servers';

const LOOPBACK = { FEDERATION_JWKS_ALLOW_PRIVATE: 'true', FEDERATION_JWKS_ALLOW_HTTP: 'true' };
const NO_LIMITS = {
  RATE_LIMIT_OAUTH_PER_MINUTE: '0',
  RATE_LIMIT_FEDERATION_IDENTITY_PER_MINUTE: '0',
  RATE_LIMIT_FEDERATION_ISSUER_PER_MINUTE: '0',
};
const PER_IDENTITY = 2;
const PER_ISSUER = 3;

/**
 * The exchange's budgets: per machine identity, and per issuer within a business. Neither is
 * spent by a JWT that did not verify, nor by one already exchanged, nor by another business's
 * rules: a trust rule is any admin's to write, with any issuer string and its own keys.
 */
describe.each(DRIVERS)('federation budgets on %s', (driver) => {
  let limited: TestApp;
  const prefix = `latchkey-fed-${process.pid}-${Date.now()}-${driver}:`;
  const redis: Record<string, string> = TEST_REDIS_URL
    ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix }
    : {};
  const env = {
    ...LOOPBACK,
    ...redis,
    RATE_LIMIT_OAUTH_PER_MINUTE: '0',
    RATE_LIMIT_FEDERATION_IDENTITY_PER_MINUTE: String(PER_IDENTITY),
    RATE_LIMIT_FEDERATION_ISSUER_PER_MINUTE: String(PER_ISSUER),
  };
  let issuers = 0;
  /** An issuer no other test has spent. */
  const freshIssuer = () => `https://issuer-${++issuers}.example.com`;

  beforeAll(async () => {
    limited = await bootTestApp(driver, env);
  });
  afterAll(() => limited?.close());

  /** A machine of `b` whose rule trusts `key` as `issuer`, for pushes to `repo`. */
  async function trusting(b: BusinessFixture, key: IssuerKey, issuer: string, repo: string) {
    const m = await createMachine(limited, b);
    await postRule(
      limited,
      asOwner(b),
      m.id,
      githubRule(key, { issuer, subject: `repo:${repo}:ref:refs/heads/*` }),
    ).expect(201);
    return m;
  }

  const jwtOf = (key: IssuerKey, issuer: string, repo: string) =>
    sign(key, githubClaims(repo, 'main', { iss: issuer }));

  const statusOf = async (jwt: string, b: BusinessFixture, app = limited) =>
    (await exchange(app, jwt, b.id)).status;

  it('limits exchanges per machine identity (429, Retry-After), across instances with Redis', async () => {
    const key = await makeKey();
    const issuer = freshIssuer();
    const b = await createBusiness(limited);
    await trusting(b, key, issuer, 'acme/api');
    const other = TEST_REDIS_URL ? await bootTestApp(driver, env, limited.db) : limited;
    try {
      await exchange(limited, await jwtOf(key, issuer, 'acme/api'), b.id).expect(200);
      await exchange(other, await jwtOf(key, issuer, 'acme/api'), b.id).expect(200);
      const refused = await exchange(other, await jwtOf(key, issuer, 'acme/api'), b.id);
      expectError(refused, 429, 'RATE_LIMITED');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      if (other !== limited) await other.close({ keepDatabase: true });
    }
  });

  it("limits exchanges per issuer within a business: its machines share it, another business's are apart", async () => {
    const key = await makeKey();
    const issuer = freshIssuer();
    const b = await createBusiness(limited);
    const repos = ['acme/one', 'acme/two'];
    for (const repo of repos) await trusting(b, key, issuer, repo);
    const statuses: number[] = [];
    for (const repo of [...repos, ...repos]) {
      statuses.push(await statusOf(await jwtOf(key, issuer, repo), b));
    }
    expect(statuses).toEqual([200, 200, 200, 429]);

    const other = await createBusiness(limited);
    await trusting(other, key, issuer, 'acme/one');
    expect(await statusOf(await jwtOf(key, issuer, 'acme/one'), other)).toBe(200);
  });

  it('costs a business nothing when another names its issuer with its own key and replays a JWT', async () => {
    const victimKey = await makeKey();
    const attackerKey = await makeKey();
    const issuer = freshIssuer();
    const victim = await createBusiness(limited);
    const attacker = await createBusiness(limited);
    // The attacker's rule names the victim's issuer, with keys of the attacker's own.
    await trusting(attacker, attackerKey, issuer, 'acme/one');
    await trusting(attacker, attackerKey, issuer, 'acme/two');
    const once = await jwtOf(attackerKey, issuer, 'acme/one');
    expect(await statusOf(once, attacker)).toBe(200);
    for (let i = 0; i < 12; i++) {
      const replay = await exchange(limited, once, attacker.id);
      expect([replay.status, replay.body.error]).toEqual([400, 'invalid_grant']);
    }
    // It spends its own budget to the end with fresh JWTs too.
    const own: number[] = [];
    for (const repo of ['acme/two', 'acme/two', 'acme/one']) {
      own.push(await statusOf(await jwtOf(attackerKey, issuer, repo), attacker));
    }
    expect(own).toEqual([200, 200, 429]);

    // The victim's workloads still get the issuer's whole budget in their business, and no more.
    for (const repo of ['acme/one', 'acme/two']) await trusting(victim, victimKey, issuer, repo);
    const theirs: number[] = [];
    for (const repo of ['acme/one', 'acme/two', 'acme/one', 'acme/two']) {
      theirs.push(await statusOf(await jwtOf(victimKey, issuer, repo), victim));
    }
    expect(theirs).toEqual([200, 200, 200, 429]);
  });

  it('spends neither budget on a replay of a spent JWT: the machine and the issuer keep theirs', async () => {
    const key = await makeKey();
    const issuer = freshIssuer();
    const b = await createBusiness(limited);
    await trusting(b, key, issuer, 'acme/one');
    await trusting(b, key, issuer, 'acme/two');
    const replayed = async (jwt: string, times: number) => {
      for (let i = 0; i < times; i++) {
        const res = await exchange(limited, jwt, b.id);
        expect([res.status, res.body.error_description]).toEqual([
          400,
          expect.stringContaining('already exchanged'),
        ]);
      }
    };

    const spent = await jwtOf(key, issuer, 'acme/one');
    expect(await statusOf(spent, b)).toBe(200);
    await replayed(spent, 10);
    // The machine's second exchange of its two.
    expect(await statusOf(await jwtOf(key, issuer, 'acme/one'), b)).toBe(200);
    await replayed(spent, 5);
    expect(await statusOf(await jwtOf(key, issuer, 'acme/one'), b)).toBe(429);

    // The issuer's third of three, in this business, after every replay above.
    const other = await jwtOf(key, issuer, 'acme/two');
    expect(await statusOf(other, b)).toBe(200);
    await replayed(other, 5);
    expect(await statusOf(await jwtOf(key, issuer, 'acme/two'), b)).toBe(429);
  });

  it('spends the budgets once for a JWT sent many times at once: one exchange wins, and only it counts', async () => {
    const key = await makeKey();
    const issuer = freshIssuer();
    const b = await createBusiness(limited);
    await trusting(b, key, issuer, 'acme/api');
    const jwt = await jwtOf(key, issuer, 'acme/api');
    const statuses = await Promise.all(Array.from({ length: 6 }, () => statusOf(jwt, b)));
    expect(statuses.sort()).toEqual([200, 400, 400, 400, 400, 400]);
    expect(await statusOf(await jwtOf(key, issuer, 'acme/api'), b)).toBe(200);
    expect(await statusOf(await jwtOf(key, issuer, 'acme/api'), b)).toBe(429);
  });

  it('leaves a JWT refused with 429 unspent: it is taken once a budget allows', async () => {
    const key = await makeKey();
    const issuer = freshIssuer();
    const b = await createBusiness(limited);
    await trusting(b, key, issuer, 'acme/api');
    for (let i = 0; i < PER_IDENTITY; i++) {
      expect(await statusOf(await jwtOf(key, issuer, 'acme/api'), b)).toBe(200);
    }
    const late = await jwtOf(key, issuer, 'acme/api');
    expect(await statusOf(late, b)).toBe(429);
    const unlimited = await bootTestApp(driver, { ...LOOPBACK, ...NO_LIMITS }, limited.db);
    try {
      expect(await statusOf(late, b, unlimited)).toBe(200);
    } finally {
      await unlimited.close({ keepDatabase: true });
    }
  });

  it("spends no issuer's budget on JWTs the issuer did not sign: a stranger naming it on junk refuses no one", async () => {
    const key = await makeKey();
    const stranger = await makeKey();
    const issuer = freshIssuer();
    const b = await createBusiness(limited);
    await trusting(b, key, issuer, 'acme/api');
    for (let i = 0; i < 6; i++) {
      const junk = await exchange(limited, await jwtOf(stranger, issuer, 'acme/api'), b.id);
      expect([junk.status, junk.body.error]).toEqual([400, 'invalid_grant']);
    }
    expect(await statusOf(await jwtOf(key, issuer, 'acme/api'), b)).toBe(200);
  });

  it('counts exchanged tokens in the active-token cap of their identity', async () => {
    const capped = await bootTestApp(
      driver,
      { ...LOOPBACK, ...NO_LIMITS, MAX_ACTIVE_TOKENS_PER_IDENTITY: '1' },
      limited.db,
    );
    try {
      const key = await makeKey();
      const b = await createBusiness(limited);
      const m = await createMachine(capped, b);
      await postRule(capped, asOwner(b), m.id, githubRule(key)).expect(201);
      await exchange(capped, await sign(key, githubClaims()), b.id).expect(200);
      const refused = await exchange(capped, await sign(key, githubClaims()), b.id);
      // The cap's own answer, in the /oauth2 routes' RFC 6749 shape.
      expect({ status: refused.status, body: refused.body }).toEqual({
        status: 409,
        body: {
          error: 'invalid_request',
          error_description: expect.stringContaining('active tokens'),
        },
      });
    } finally {
      await capped.close({ keepDatabase: true });
    }
  });
});
