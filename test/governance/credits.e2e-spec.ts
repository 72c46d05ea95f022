import { CreditMeter } from '../../src/governance/credits/credit-meter';
import {
  addMember,
  BusinessFixture,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform, Caller, listAuditEvents } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

const SECRET = 'gateway-secret-for-credits';
const DAY_MS = 86_400_000;

/**
 * Credit balances: who may set them, what one takes, and what gateway checks spend from them (the
 * identity's balance, then the business's, the cost a trusted gateway names). Two instances and a
 * crash are test/timed/credits-crash.e2e-spec.ts's.
 */
describe.each(DRIVERS)('credit balances on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => (t = await bootTestApp(driver, { VERIFY_GATEWAY_SECRET: SECRET })));
  afterAll(() => t?.close());

  const put = (caller: Caller, holder: string, body: object) =>
    t.http().put(`/api/v1/credits/${holder}`).set(caller).send(body);
  const list = async (biz: BusinessFixture) => {
    // What instances hold goes back first, so the store shows what is left.
    await t.app.get(CreditMeter).settle(true);
    const res = await t.http().get('/api/v1/credits').set(asOwner(biz)).expect(200);
    return res.body.data.items as { holder: string; balance: number; leased: number }[];
  };
  /** A trusted gateway's check of `token`, costing `cost` when named. */
  const check = (token: string, cost?: string) => {
    const req = t
      .http()
      .get('/auth/verify')
      .set('authorization', `Bearer ${token}`)
      .set('x-latchkey-gateway-secret', SECRET);
    return cost === undefined ? req : req.set('x-latchkey-cost', cost);
  };
  const checks = async (token: string, n: number, cost?: string) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await check(token, cost)).status);
    return out;
  };

  describe('who may read and set them, and what one takes', () => {
    let biz: BusinessFixture;
    beforeAll(async () => (biz = await createUnexpiringBusiness(t)));

    it('an owner or a platform admin sets them; an admin reads; a member or a narrow token is refused', async () => {
      const admin = await addMember(t, biz, 'admin');
      const member = await addMember(t, biz, 'member');
      const narrow = await createToken(t, asOwner(biz), { name: 'narrow', scopes: [] });
      const body = { balance: 10 };
      await put(asOwner(biz), 'business', body).expect(200);
      await put({ ...asPlatform(t), 'x-business-id': biz.id }, 'business', body).expect(200);
      expectError(
        await put(asMember(admin.token, biz.id), 'business', body),
        403,
        'INSUFFICIENT_ROLE',
      );
      expectError(
        await put(asMember(member.token, biz.id), member.identityId, { balance: 1e6 }),
        403,
        'INSUFFICIENT_ROLE',
      );
      expectError(
        await put(asMember(narrow.secret, biz.id), 'business', body),
        403,
        'INSUFFICIENT_SCOPE',
      );
      await t.http().get('/api/v1/credits').set(asMember(admin.token, biz.id)).expect(200);
      expectError(
        await t.http().get('/api/v1/credits').set(asMember(member.token, biz.id)),
        403,
        'INSUFFICIENT_ROLE',
      );
      const other = await createUnexpiringBusiness(t);
      expectError(
        await put({ ...asOwner(biz), 'x-business-id': other.id }, 'business', body),
        403,
        'BUSINESS_MISMATCH',
      );
    });

    const BAD: [string, object, (string | number)[]][] = [
      ['a negative balance', { balance: -1 }, ['body', 'balance']],
      ['a fractional balance', { balance: 1.5 }, ['body', 'balance']],
      ['a balance past 1e9', { balance: 1e9 + 1 }, ['body', 'balance']],
      ['no balance', {}, ['body', 'balance']],
      [
        'a refill of 0',
        { balance: 1, refill: { amount: 0, interval: 'daily' } },
        ['body', 'refill', 'amount'],
      ],
      [
        'a weekly refill',
        { balance: 1, refill: { amount: 5, interval: 'weekly' } },
        ['body', 'refill', 'interval'],
      ],
    ];
    it.each(BAD)('refuses %s: 422 at its field', async (_why, body, loc) => {
      const res = await put(asOwner(biz), 'business', body);
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.detail.map((d: { loc: unknown }) => d.loc)).toContainEqual(loc);
    });

    it("refuses a holder that is no uuid, and another business's identity as not found", async () => {
      expectError(await put(asOwner(biz), 'everyone', { balance: 1 }), 422, 'VALIDATION_ERROR');
      const other = await createUnexpiringBusiness(t);
      const stranger = await addMember(t, other);
      expectError(
        await put(asOwner(biz), stranger.identityId, { balance: 1 }),
        404,
        'IDENTITY_NOT_FOUND',
      );
      expectError(
        await t.http().delete(`/api/v1/credits/${stranger.identityId}`).set(asOwner(biz)),
        404,
        'CREDIT_ACCOUNT_NOT_FOUND',
      );
    });

    it('audits each change with before and after', async () => {
      const owned = await createUnexpiringBusiness(t);
      await put(asOwner(owned), 'business', { balance: 5 }).expect(200);
      await put(asOwner(owned), 'business', {
        balance: 7,
        refill: { amount: 7, interval: 'monthly' },
      }).expect(200);
      await t.http().delete('/api/v1/credits/business').set(asOwner(owned)).expect(200);
      const events = (await listAuditEvents(t, asOwner(owned), {}).expect(200)).body.data.items
        .filter((e: { action: string }) => e.action.startsWith('credit_balance.'))
        .reverse();
      expect(events.map((e: { action: string }) => e.action)).toEqual([
        'credit_balance.set',
        'credit_balance.set',
        'credit_balance.deleted',
      ]);
      expect(events[1].metadata).toEqual({
        holder: 'business',
        before: { balance: 5, refill: null },
        after: { balance: 7, refill: { amount: 7, interval: 'monthly' } },
      });
    });
  });

  describe('what checks spend', () => {
    it("spends 1 a check from the business's balance, then answers 429 CREDITS_EXHAUSTED", async () => {
      const biz = await createUnexpiringBusiness(t);
      await put(asOwner(biz), 'business', { balance: 3 }).expect(200);
      expect(await checks(biz.ownerToken, 3)).toEqual([204, 204, 204]);
      const refused = await check(biz.ownerToken);
      expectError(refused, 429, 'CREDITS_EXHAUSTED');
      // No refill: no time at which to retry.
      expect(refused.headers['retry-after']).toBeUndefined();
      expect(await list(biz)).toEqual([expect.objectContaining({ balance: 0, leased: 0 })]);
      // The API's own routes spend nothing.
      await t.http().get('/api/v1/me').set(asOwner(biz)).expect(200);
    });

    it('spends the cost a trusted gateway names, 0 to 1000, and refuses one it cannot pay whole', async () => {
      const biz = await createUnexpiringBusiness(t);
      await put(asOwner(biz), 'business', { balance: 10 }).expect(200);
      expect(await checks(biz.ownerToken, 2, '4')).toEqual([204, 204]);
      expect(await checks(biz.ownerToken, 3, '0')).toEqual([204, 204, 204]);
      expectError(await check(biz.ownerToken, '3'), 429, 'CREDITS_EXHAUSTED');
      expect(await checks(biz.ownerToken, 2, '1')).toEqual([204, 204]);
      expect((await list(biz))[0].balance).toBe(0);
    });

    it.each(['-1', '1001', '1.5', '1e2', '+1', '0x10', '', '1 000', '10000'])(
      'refuses the cost %p from a trusted gateway: 422 at the header, nothing spent',
      async (cost) => {
        const biz = await createUnexpiringBusiness(t);
        await put(asOwner(biz), 'business', { balance: 5 }).expect(200);
        const res = await check(biz.ownerToken, cost);
        expectError(res, 422, 'VALIDATION_ERROR');
        expect(res.body.detail.map((d: { loc: unknown }) => d.loc)).toEqual([
          ['header', 'x-latchkey-cost'],
        ]);
        expect((await list(biz))[0].balance).toBe(5);
      },
    );

    it('refuses a cost named without the gateway secret, spending nothing', async () => {
      const biz = await createUnexpiringBusiness(t);
      await put(asOwner(biz), 'business', { balance: 5 }).expect(200);
      const forged = await t
        .http()
        .get('/auth/verify')
        .set('authorization', `Bearer ${biz.ownerToken}`)
        .set('x-latchkey-cost', '0');
      expectError(forged, 403, 'GATEWAY_NOT_TRUSTED');
      expect((await list(biz))[0].balance).toBe(5);
    });

    it("spends the identity's balance and the business's together, and refunds one the other refuses", async () => {
      const biz = await createUnexpiringBusiness(t);
      const alice = await addMember(t, biz);
      const bob = await addMember(t, biz);
      await put(asOwner(biz), alice.identityId, { balance: 10 }).expect(200);
      await put(asOwner(biz), bob.identityId, { balance: 1 }).expect(200);
      await put(asOwner(biz), 'business', { balance: 3 }).expect(200);
      expect(await checks(bob.token, 2)).toEqual([204, 429]);
      expect(await checks(alice.token, 3)).toEqual([204, 204, 429]);
      const balances = Object.fromEntries((await list(biz)).map((a) => [a.holder, a.balance]));
      // Alice's third check found the business's balance spent: what it took of hers came back.
      expect(balances).toEqual({ business: 0, [alice.identityId]: 8, [bob.identityId]: 0 });
      const refused = await check(alice.token);
      expect(refused.body.detail).toMatch(/business's credit balance/);
    });

    it('refills at the start of the next period, and says when in Retry-After', async () => {
      const biz = await createUnexpiringBusiness(t);
      await put(asOwner(biz), 'business', {
        balance: 1,
        refill: { amount: 2, interval: 'daily' },
      }).expect(200);
      expect(await checks(biz.ownerToken, 2)).toEqual([204, 429]);
      const refused = await check(biz.ownerToken);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(DAY_MS / 1000);
      const meter = t.app.get(CreditMeter);
      meter.clock = () => Date.now() + DAY_MS;
      try {
        expect(await checks(biz.ownerToken, 3)).toEqual([204, 204, 429]);
      } finally {
        meter.clock = Date.now;
      }
    });

    it('takes a new balance at once: what was held of the old one is spent no more', async () => {
      const biz = await createUnexpiringBusiness(t);
      await put(asOwner(biz), 'business', { balance: 1000 }).expect(200);
      expect(await checks(biz.ownerToken, 2)).toEqual([204, 204]);
      await put(asOwner(biz), 'business', { balance: 1 }).expect(200);
      expect(await checks(biz.ownerToken, 2)).toEqual([204, 429]);
      await t.http().delete('/api/v1/credits/business').set(asOwner(biz)).expect(200);
      expect(await checks(biz.ownerToken, 2)).toEqual([204, 204]);
    });

    it('tells the relying party to check online while a balance pays, and leaves platform tokens be', async () => {
      const biz = await createUnexpiringBusiness(t);
      const online = async () => (await check(biz.ownerToken)).headers['x-latchkey-check-online'];
      expect(await online()).toBe('');
      await put(asOwner(biz), 'business', { balance: 100 }).expect(200);
      expect(await online()).toBe('rate_limit');
      const platform = await t
        .http()
        .get('/auth/verify')
        .set('authorization', `Bearer ${t.platformToken}`)
        .set('x-latchkey-gateway-secret', SECRET);
      expect(platform.status).toBe(204);
    });

    it('grants parallel checks no more than the balance, costs 1 to 7', async () => {
      const biz = await createUnexpiringBusiness(t);
      await put(asOwner(biz), 'business', { balance: 100 }).expect(200);
      const costs = Array.from({ length: 60 }, (_, i) => 1 + (i % 7));
      const answers = await Promise.all(costs.map((c) => check(biz.ownerToken, String(c))));
      expect(answers.filter((r) => ![204, 429].includes(r.status))).toEqual([]);
      const paid = costs.filter((_, i) => answers[i].status === 204).reduce((a, b) => a + b, 0);
      expect(paid).toBeLessThanOrEqual(100);
      // Once instances hand back what they hold, every credit is either paid for or still there.
      expect(paid + (await list(biz))[0].balance).toBe(100);
    });
  });
});
