import { performance } from 'node:perf_hooks';
import { TRUST_RULES_TTL_MS } from '../../src/federation/exchange/trust-rule-book';
import { BusinessFixture, createBusiness, createMachine } from '../factories/tenancy.factory';
import { asOwner, deleteMachine } from '../harness/app/api';
import { sleep } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS, TEST_REDIS_URL } from '../setup/servers';
import { deleteRule, exchange, githubRule, postRule } from './federation-fixtures';
import { githubClaims, IssuerKey, makeKey, sign } from './oidc-issuer';

const LOOPBACK = { FEDERATION_JWKS_ALLOW_PRIVATE: 'true', FEDERATION_JWKS_ALLOW_HTTP: 'true' };
const NO_LIMITS = {
  RATE_LIMIT_OAUTH_PER_MINUTE: '0',
  RATE_LIMIT_FEDERATION_IDENTITY_PER_MINUTE: '0',
  RATE_LIMIT_FEDERATION_ISSUER_PER_MINUTE: '0',
};

/**
 * The exchange keeps a business's trust rules by issuer in memory (`TrustRuleBook`), so, as an
 * attacker would, this tests what a kept rule could still let through: a JWT presented after its
 * rule was deleted, or after its machine left the business, is refused at once on the instance
 * that made the change, and on another within the bound (a bus delivery with Redis; without it
 * the book's TTL). A rule made after the issuer's rules were kept is seen as soon.
 */
describe.each(DRIVERS)('the trust rules the exchange keeps, on %s', (driver) => {
  let a: TestApp;
  let b: TestApp;
  let key: IssuerKey;
  const env = {
    ...LOOPBACK,
    ...NO_LIMITS,
    ...(TEST_REDIS_URL
      ? {
          REDIS_URL: TEST_REDIS_URL,
          REDIS_KEY_PREFIX: `latchkey-rulebook-${process.pid}-${Date.now()}-${driver}:`,
        }
      : {}),
  };
  beforeAll(async () => {
    a = await bootTestApp(driver, env);
    b = await bootTestApp(driver, env, a.db);
    key = await makeKey('RS256');
  });
  afterAll(async () => {
    await b?.close({ keepDatabase: true });
    await a?.close();
  });

  /** A machine of a new business, trusting `key` for pushes to acme/api; answers its rule's id. */
  async function trusted(): Promise<{ biz: BusinessFixture; machineId: string; ruleId: string }> {
    const biz = await createBusiness(a);
    const machine = await createMachine(a, biz);
    const rule = await postRule(a, asOwner(biz), machine.id, githubRule(key)).expect(201);
    return { biz, machineId: machine.id, ruleId: rule.body.data.id as string };
  }

  /** A fresh JWT of `repo`'s push (a new jti each), exchanged on `app`: its status. */
  async function statusOn(app: TestApp, biz: BusinessFixture, repo = 'acme/api') {
    return (await exchange(app, await sign(key, githubClaims(repo)), biz.id)).status;
  }

  /**
   * Presents fresh JWTs on `app` until one is refused; answers how long after `since` that took,
   * or fails once the bound has passed (a bus delivery or the TTL, with room for a busy machine).
   */
  async function refusedWithinBound(app: TestApp, biz: BusinessFixture, since: number) {
    const bound = TRUST_RULES_TTL_MS + 2_000;
    for (;;) {
      const status = await statusOn(app, biz);
      const took = performance.now() - since;
      if (status === 400) return took;
      expect(status).toBe(200);
      if (took > bound) throw new Error(`still exchanged ${Math.round(took)} ms after the change`);
      await sleep(50);
    }
  }

  it('a deleted rule stops exchanges at once on the instance that deleted it', async () => {
    const { biz, machineId, ruleId } = await trusted();
    expect(await statusOn(a, biz)).toBe(200);
    await deleteRule(a, asOwner(biz), machineId, ruleId).expect(200);
    const refused = await exchange(a, await sign(key, githubClaims()), biz.id);
    expect([refused.status, refused.body.error]).toEqual([400, 'invalid_grant']);
  });

  it('a deleted rule stops exchanges on another instance within the bound', async () => {
    const { biz, machineId, ruleId } = await trusted();
    // B keeps the rule: its last exchange read it.
    expect(await statusOn(b, biz)).toBe(200);
    await deleteRule(a, asOwner(biz), machineId, ruleId).expect(200);
    const took = await refusedWithinBound(b, biz, performance.now());
    process.stdout.write(
      `deleted rule refused on the other instance after ${Math.round(took)} ms\n`,
    );
  });

  it("a machine removed from the business loses its rules' exchanges at once, and elsewhere within the bound", async () => {
    const { biz, machineId } = await trusted();
    expect(await statusOn(a, biz)).toBe(200);
    expect(await statusOn(b, biz)).toBe(200);
    await deleteMachine(a, asOwner(biz), machineId).expect(200);
    expect(await statusOn(a, biz)).toBe(400);
    await refusedWithinBound(b, biz, performance.now());
  });

  it('a rule made after the issuer was kept is matched on both instances within the bound', async () => {
    const { biz } = await trusted();
    // Both instances keep the issuer's one rule, which trusts acme/api alone.
    expect(await statusOn(a, biz, 'acme/web')).toBe(400);
    expect(await statusOn(b, biz, 'acme/web')).toBe(400);
    const other = await createMachine(a, biz);
    await postRule(
      a,
      asOwner(biz),
      other.id,
      githubRule(key, {
        subject: 'repo:acme/web:ref:refs/heads/*',
      }),
    ).expect(201);
    expect(await statusOn(a, biz, 'acme/web')).toBe(200);
    const since = performance.now();
    while ((await statusOn(b, biz, 'acme/web')) !== 200) {
      expect(performance.now() - since).toBeLessThan(TRUST_RULES_TTL_MS + 2_000);
      await sleep(50);
    }
  });
});
