import { UnitOfWork } from '../../../src/database/units/unit-of-work';
import { TokenWritesRepository } from '../../../src/tokens/store/repositories/token-writes.repository';
import { LastUsedWriter } from '../../../src/tokens/verify/last-used-writer';
import { sleep } from '../../harness/app/assertions';
import { createBusiness, createToken } from '../../factories/tenancy.factory';
import { asMember, asOwner, getToken, me } from '../../harness/app/api';
import { bootTestApp, TestApp } from '../../harness/app/test-app';
import { expectNear, tokenRows } from '../../harness/app/token-checks';
import { DRIVERS } from '../../setup/servers';

describe.each(DRIVERS)('Last use on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver);
  });
  afterAll(() => t?.close());

  const { tokenRow } = tokenRows(() => t);

  describe('last_used_at', () => {
    it('is written off the request path, on flush, for a used token only', async () => {
      const b = await createBusiness(t);
      const used = await createToken(t, asOwner(b), { name: 'used' });
      const unused = await createToken(t, asOwner(b), { name: 'unused' });
      expect((await tokenRow(used.id)).last_used_at).toBeNull();

      const before = Date.now();
      await me(t, asMember(used.secret, b.id)).expect(200);
      await t.app.get(LastUsedWriter).flush();

      const row = await tokenRow(used.id);
      expect(row.last_used_at).not.toBeNull();
      expectNear(row.last_used_at, before, 10_000);
      expect((await tokenRow(unused.id)).last_used_at).toBeNull();

      const view = await getToken(t, asOwner(b), used.id).expect(200);
      expect(view.body.data.last_used_at).toEqual(expect.any(String));
    });

    it('never holds a token back from making one while its flush holds the row', async () => {
      const b = await createBusiness(t);
      const maker = await createToken(t, asOwner(b), { name: 'maker' });
      // A flush that has written the maker's last use and not yet committed.
      const written = new Promise<void>((wrote) => {
        void t.app.get(UnitOfWork).run(async (tx) => {
          await t.app.get(TokenWritesRepository).markUsed([maker.id], new Date(), tx);
          wrote();
          await sleep(300);
        });
      });
      await written;
      const made = await t
        .http()
        .post('/api/v1/tokens')
        .set(asMember(maker.secret, b.id))
        .send({ name: 'made' });
      expect([made.status, made.body.code ?? null]).toEqual([201, null]);
    });
  });
});
