import {
  addMember,
  BusinessFixture,
  createMachine,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform, listPlatformTokens, listTokens } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * The console leads with the token list, newest first, with one search box. The token
 * lists (business and platform) take `sort=-created_at` (newest first, with a cursor of its own)
 * and `q`: the text anywhere in a token's name or preview, or in its holder's email or machine
 * name, case-insensitive, seen only within what the caller may list.
 */
describe.each(DRIVERS)('searching and sorting token lists on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let other: BusinessFixture;

  beforeAll(async () => {
    t = await bootTestApp(driver, { RATE_LIMIT_IDENTITY_PER_MINUTE: '0' });
    biz = await createUnexpiringBusiness(t);
    other = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  type Page = { items: { id: string; name: string }[]; next_cursor: string | null };

  /** Every page of a list, following its cursors. */
  async function walk(query: Record<string, unknown>, limit = 2): Promise<string[]> {
    const names: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 50; i++) {
      const res = await listTokens(t, asOwner(biz), { ...query, limit, cursor });
      expect(res.status).toBe(200);
      const page = res.body.data as Page;
      names.push(...page.items.map((x) => x.name));
      if (!page.next_cursor) return names;
      cursor = page.next_cursor;
    }
    throw new Error('the list never ended');
  }

  const search = async (q: string, caller = asOwner(biz)) => {
    const res = await listTokens(t, caller, { q, limit: 200 });
    expect(res.status).toBe(200);
    return (res.body.data as Page).items.map((x) => x.name).sort();
  };

  it('lists newest first, page by page, the exact reverse of oldest first', async () => {
    for (let i = 1; i <= 5; i++) await createToken(t, asOwner(biz), { name: `order-${i}` });
    const newest = await walk({ name: 'order-', sort: '-created_at' });
    expect(newest).toEqual(['order-5', 'order-4', 'order-3', 'order-2', 'order-1']);
    expect(await walk({ name: 'order-', sort: 'created_at' })).toEqual([...newest].reverse());
  });

  it('refuses a cursor of one order given to another, and a forged one (422 INVALID_CURSOR)', async () => {
    const page = async (sort: string) =>
      (await listTokens(t, asOwner(biz), { name: 'order-', sort, limit: 1 })).body.data as Page;
    const newest = (await page('-created_at')).next_cursor!;
    const oldest = (await page('created_at')).next_cursor!;
    const lastUsed = (await page('last_used_at')).next_cursor!;
    for (const [sort, cursor] of [
      ['created_at', newest],
      ['last_used_at', newest],
      ['-created_at', oldest],
      ['-created_at', lastUsed],
      // A newest-first cursor with no creation time, well formed otherwise.
      [
        '-created_at',
        Buffer.from(JSON.stringify(['-created_at', null, biz.ownerId])).toString('base64url'),
      ],
    ]) {
      expectError(
        await listTokens(t, asOwner(biz), { sort, cursor, limit: 1 }),
        422,
        'INVALID_CURSOR',
      );
    }
  });

  it('finds a token by its name, its preview, and its holder’s email or machine name', async () => {
    const member = await addMember(t, biz, 'member', `grace-${process.pid}@search.test`);
    const machine = await createMachine(t, biz, 'member', `deploy-bot-${process.pid}`);
    const billing = await createToken(t, asOwner(biz), { name: 'Billing-API' });
    await createToken(t, asMember(member.token, biz.id), { name: 'grace-laptop' });
    await createToken(t, asOwner(biz), { name: 'ci', identity_id: machine.id });
    await createToken(t, asOwner(other), { name: 'billing-elsewhere' });

    expect(await search('billing')).toEqual(['Billing-API']);
    expect(await search('LING-a')).toEqual(['Billing-API']);
    // The secret's first characters are the preview's: lk_ and four more.
    expect(await search(billing.secret.slice(0, 7))).toEqual(['Billing-API']);
    expect(await search(billing.view.preview as string)).toEqual(['Billing-API']);
    expect(await search(`grace-${process.pid}@SEARCH`)).toEqual(['first-token', 'grace-laptop']);
    expect(await search(`deploy-bot-${process.pid}`)).toEqual(['ci']);
    expect(await search('no-such-thing')).toEqual([]);
  });

  it('matches LIKE wildcards only as themselves', async () => {
    await createToken(t, asOwner(biz), { name: '100%_done' });
    expect(await search('%')).toEqual(['100%_done']);
    expect(await search('0%_d')).toEqual(['100%_done']);
    // Every preview holds a `_` (lk_…); a `_` that matched any character would find them all.
    expect(await search('%_')).toEqual(['100%_done']);
    expect(await search('0_')).toEqual([]);
  });

  it('refuses a whole secret as a search (422, not echoed), and an empty or long one', async () => {
    const token = await createToken(t, asOwner(biz), { name: 'pasted' });
    const res = await listTokens(t, asOwner(biz), { q: token.secret });
    expectError(res, 422, 'SECRET_IN_TEXT');
    expect(JSON.stringify(res.body)).not.toContain(token.secret);
    expectError(await listTokens(t, asOwner(biz), { q: '' }), 422, 'VALIDATION_ERROR');
    expectError(await listTokens(t, asOwner(biz), { q: 'x'.repeat(101) }), 422, 'VALIDATION_ERROR');
  });

  it('searches only what the caller may list: a member finds none of the owner’s tokens', async () => {
    const member = await addMember(t, biz, 'member');
    await createToken(t, asMember(member.token, biz.id), { name: 'members-billing-cli' });
    expect(await search('billing', asMember(member.token, biz.id))).toEqual([
      'members-billing-cli',
    ]);
    expect(await search(biz.ownerEmail, asMember(member.token, biz.id))).toEqual([]);
  });

  it('searches across businesses on the platform list, and within one when it is named', async () => {
    const all = await listPlatformTokens(t, asPlatform(t), { q: 'billing', sort: '-created_at' });
    expect(all.status).toBe(200);
    const names = (all.body.data as Page).items.map((x) => x.name);
    expect(names).toEqual(expect.arrayContaining(['Billing-API', 'billing-elsewhere']));
    const one = await listPlatformTokens(t, asPlatform(t), { q: 'billing', business_id: other.id });
    expect((one.body.data as Page).items.map((x) => x.name)).toEqual(['billing-elsewhere']);
  });
});
