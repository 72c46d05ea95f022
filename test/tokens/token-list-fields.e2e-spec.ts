import { TOKEN_VIEW_FIELDS } from '../../src/tokens/dto/token-view-fields';
import { LastUsedWriter } from '../../src/tokens/verify/last-used-writer';
import {
  addMember,
  BusinessFixture,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform, listPlatformTokens, listTokens } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

type View = Record<string, unknown> & { id: string };
type Page = { items: View[]; next_cursor: string | null };

/**
 * A token list asked for some fields (`?fields=name,status`) answers each token with those fields
 * and its `id`, each the value the whole view holds, whatever columns it read them from; pages
 * follow the same cursors; and what is not a view field (the hash above all) is 422.
 */
describe.each(DRIVERS)('token lists with only some fields, on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;

  beforeAll(async () => {
    t = await bootTestApp(driver, { RATE_LIMIT_IDENTITY_PER_MINUTE: '0' });
    biz = await createUnexpiringBusiness(t);
    // Tokens that fill every field of a view between them: limits, a binding, meta, a pause, a
    // revocation and a rotation.
    const full = await createToken(t, asOwner(biz), {
      name: 'fields-full',
      scopes: ['audit:read'],
      expires_in_days: 30,
      allowed_cidrs: ['10.0.0.0/8'],
      audiences: ['https://api.example.com'],
      rate_limit_per_minute: 60,
      meta: { team: 'payments' },
      uses_limit: 1000,
      refill: { interval: 'daily', amount: 1000 },
    });
    const paused = await createToken(t, asOwner(biz), { name: 'fields-paused' });
    await t
      .http()
      .post(`/api/v1/tokens/${paused.id}/disable`)
      .set(asOwner(biz))
      .send({ reason: 'holiday' })
      .expect(200);
    const revoked = await createToken(t, asOwner(biz), { name: 'fields-revoked' });
    await t
      .http()
      .post(`/api/v1/tokens/${revoked.id}/revoke`)
      .set(asOwner(biz))
      .send({ reason: 'left' })
      .expect(201);
    await t
      .http()
      .post(`/api/v1/tokens/${full.id}/rotate`)
      .set(asOwner(biz))
      .send({ grace_period_seconds: 600 })
      .expect(201);
  });
  afterAll(() => t?.close());

  const page = async (query: object | string, caller = asOwner(biz)): Promise<Page> => {
    const res = await listTokens(t, caller, query);
    expect({ status: res.status, body: res.status === 200 ? null : res.body }).toEqual({
      status: 200,
      body: null,
    });
    return res.body.data as Page;
  };

  const byId = (items: View[]) => new Map(items.map((v) => [v.id, v]));

  /**
   * The owner's own token is in the list, and each page is a use of it: its use written now, so
   * no flush can change its `last_used_at` between the pages a test compares (a token's use is
   * written at most once a minute).
   */
  const ownerUseWritten = async () => {
    await page({ limit: 1 });
    await t.app.get(LastUsedWriter).flush();
  };

  it('answers each field alone with the value the whole view holds, and the id', async () => {
    await ownerUseWritten();
    const whole = byId((await page({ limit: 200 })).items);
    expect(whole.size).toBeGreaterThanOrEqual(5);
    for (const field of TOKEN_VIEW_FIELDS) {
      const sparse = (await page({ limit: 200, fields: field })).items;
      expect(sparse.map((v) => v.id)).toEqual([...whole.keys()]);
      for (const view of sparse) {
        expect({ field, view }).toEqual({
          field,
          view: { id: view.id, [field]: whole.get(view.id)![field] },
        });
      }
    }
  });

  it('answers every field together exactly as the whole view, and the console’s set as its part', async () => {
    await ownerUseWritten();
    const whole = (await page({ limit: 200 })).items;
    expect((await page({ limit: 200, fields: TOKEN_VIEW_FIELDS.join(',') })).items).toEqual(whole);
    const consoleFields = ['name', 'preview', 'status', 'disabled_at', 'rotated_to_id'];
    const light = (await page({ limit: 200, fields: consoleFields.join(',') })).items;
    expect(light).toEqual(
      whole.map((v) => Object.fromEntries(['id', ...consoleFields].map((f) => [f, v[f]]))),
    );
  });

  it('takes the fields repeated or comma-separated, in any order, once each', async () => {
    const comma = await page('limit=200&fields=status,name');
    expect(await page('limit=200&fields=name&fields=status')).toEqual(comma);
    expect(await page('limit=200&fields=name,status,name,%20status')).toEqual(comma);
    expect(Object.keys(comma.items[0])).toEqual(['id', 'name', 'status']);
  });

  it.each(['created_at', '-created_at', 'last_used_at'])(
    'walks the pages of sort=%s with the same cursors as the whole list',
    async (sort) => {
      const walk = async (fields?: string) => {
        const ids: string[] = [];
        const cursors: (string | null)[] = [];
        let cursor: string | undefined;
        for (let i = 0; i < 20; i++) {
          const p = await page({ sort, limit: 2, cursor, ...(fields ? { fields } : {}) });
          ids.push(...p.items.map((v) => v.id));
          cursors.push(p.next_cursor);
          if (!p.next_cursor) return { ids, cursors };
          cursor = p.next_cursor;
        }
        throw new Error('the list never ended');
      };
      await ownerUseWritten();
      expect(await walk('name')).toEqual(await walk());
    },
  );

  it('filters as the whole list does, and shows a member only their own', async () => {
    const member = await addMember(t, biz, 'member');
    await createToken(t, asMember(member.token, biz.id), { name: 'fields-members-own' });
    const own = await page(
      { limit: 200, fields: 'name,identity_id' },
      asMember(member.token, biz.id),
    );
    expect(own.items.map((v) => v.identity_id)).toEqual(own.items.map(() => member.identityId));
    expect(own.items.map((v) => v.name)).toContain('fields-members-own');
    const revoked = await page({ status: 'revoked', fields: 'status', limit: 200 });
    expect(revoked.items.map((v) => v.status)).toEqual(revoked.items.map(() => 'revoked'));
    expect(revoked.items.length).toBeGreaterThan(0);
  });

  it('answers the platform list with only the fields asked for', async () => {
    const res = await listPlatformTokens(t, asPlatform(t), {
      business_id: biz.id,
      fields: 'business_id',
      limit: 5,
    });
    expect(res.status).toBe(200);
    for (const view of (res.body.data as Page).items) {
      expect(view).toEqual({ id: view.id, business_id: biz.id });
    }
  });

  it.each([
    ['an unknown name', 'fields=name,owner'],
    ['the hash', 'fields=token_hash'],
    ['a column’s own name', 'fields=tokenHash'],
    ['the secret', 'fields=token'],
    ['nothing', 'fields='],
    ['an empty entry', 'fields=name,,status'],
    ['more entries than the view has fields', `fields=${Array(31).fill('name').join(',')}x`],
  ])('refuses %s with 422 on the fields parameter', async (_what, query) => {
    const res = await listTokens(t, asOwner(biz), query);
    expectError(res, 422, 'VALIDATION_ERROR');
    expect(res.body.detail[0].loc).toEqual(['query', 'fields']);
    expect(JSON.stringify(res.body)).not.toMatch(/token_hash"?:/);
  });
});
