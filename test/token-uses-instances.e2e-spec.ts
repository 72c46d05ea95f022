import { UsesMeter } from '../src/tokens/uses/uses-meter';
import { createBusiness, createToken } from './factories/tenancy.factory';
import { asMember, asOwner, getToken, me } from './helpers/api';
import { bootTestApp, TestApp } from './helpers/test-app';
import { LEDGER_CASES, ledgerEnv } from './helpers/uses-ledgers';

const CALLS = 50;

/**
 * The count is exact across instances: with Redis on either driver (one script per use), and
 * without it on SQLite, where two instances share one file and reserve uses from it by
 * compare-and-set. PostgreSQL without Redis is the same compare-and-set, run here too.
 */
describe.each(LEDGER_CASES)(
  'Uses across two instances on %s, counted in the %s',
  (driver, ledger) => {
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      const env = { TOKEN_CACHE_TTL_MS: '10000', ...ledgerEnv(ledger) };
      a = await bootTestApp(driver, env);
      b = await bootTestApp(driver, env, a.db);
    });
    afterAll(async () => {
      await b?.close({ keepDatabase: true });
      await a?.close();
    });

    it(`grants a token with uses_limit 3 exactly 3 of ${CALLS} parallel calls split across them`, async () => {
      const biz = await createBusiness(a);
      const tok = await createToken(a, asOwner(biz), { name: 'metered', uses_limit: 3 });
      const calls = Array.from({ length: CALLS }, (_, i) =>
        me(i % 2 === 0 ? a : b, asMember(tok.secret, biz.id)).then((res) => ({
          status: res.status,
          code: res.body.code as string | null,
        })),
      );
      const answers = await Promise.all(calls);
      const count = (status: number) => answers.filter((r) => r.status === status).length;
      expect({ ok: count(200), exhausted: count(429) }).toEqual({ ok: 3, exhausted: CALLS - 3 });
      expect(
        answers.filter((r) => r.status === 429).every((r) => r.code === 'USES_EXHAUSTED'),
      ).toBe(true);
      for (const app of [a, b]) await app.app.get(UsesMeter).flush(false);
      const view = await getToken(a, asOwner(biz), tok.id).expect(200);
      expect(view.body.data).toMatchObject({ status: 'active', uses_remaining: 0 });
    });
  },
);
