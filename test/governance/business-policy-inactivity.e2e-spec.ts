import { TokenInactivitySweep } from '../../src/tokens/sweeps/token-inactivity';
import {
  BusinessFixture,
  createToken,
  createUnexpiringBusiness,
  IssuedToken,
} from '../factories/tenancy.factory';
import { asMember, asOwner, getToken, listAuditEvents, me } from '../harness/app/api';
import { dbTime } from '../harness/app/assertions';
import { putPolicy } from '../harness/app/token-policy';
import { bootJobInstances, closeJobInstances } from './job-instances';
import { TestApp } from '../harness/app/test-app';
import { WebhookReceiver } from '../harness/app/webhook-receiver';
import { DRIVERS } from '../setup/servers';

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

// Inactivity under a business token policy: a token unused for inactivity_revoke_days is revoked
// (reason `inactive`) once, with its audit event and webhook, after one notice 7 days before.
// On PostgreSQL a second instance shares the database and sweeps at the same time; SQLite is one
// process's database, so there the same instance sweeps twice.
describe.each(DRIVERS)('inactivity revocation on %s', (driver) => {
  let t: TestApp;
  let second: TestApp | undefined;
  const receiver = new WebhookReceiver();

  beforeAll(async () => ([t, second] = await bootJobInstances(driver, receiver)));
  afterAll(() => closeJobInstances([t, second], receiver));

  /** A sweep on every instance at once, twice over. */
  async function sweep() {
    const apps = second ? [t, second] : [t, t];
    for (let round = 0; round < 2; round++) {
      await Promise.all(apps.map((app) => app.app.get(TokenInactivitySweep).runTurn()));
    }
  }

  /** Sets when a token was made and last used, as if time had passed. */
  async function age(token: IssuedToken, made: Date, used: Date | null) {
    await t.sql('UPDATE api_tokens SET created_at = ?, last_used_at = ? WHERE id = ?', [
      dbTime(driver, made),
      used && dbTime(driver, used),
      token.id,
    ]);
  }

  async function events(biz: BusinessFixture, action: string): Promise<Record<string, unknown>[]> {
    const res = await listAuditEvents(t, asOwner(biz), { action, limit: 200 }).expect(200);
    return (
      res.body.data.items as { target: { id: string }; metadata: Record<string, unknown> }[]
    ).map((e) => ({ id: e.target.id, ...e.metadata }));
  }

  it('revokes a token unused past the window once, tells one nearing it once, and leaves the rest', async () => {
    const biz = await createUnexpiringBusiness(t);
    const other = await createUnexpiringBusiness(t);
    await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: receiver.url, event_types: ['token.revoked', 'token.inactive_soon'] })
      .expect(201);
    const idle = await createToken(t, asOwner(biz), { name: 'idle' });
    const soon = await createToken(t, asOwner(biz), { name: 'soon' });
    const fresh = await createToken(t, asOwner(biz), { name: 'fresh' });
    const elsewhere = await createToken(t, asOwner(other), { name: 'elsewhere' });
    await age(idle, daysAgo(40), null);
    const lastUse = daysAgo(25);
    await age(soon, daysAgo(60), lastUse);
    await age(fresh, daysAgo(40), daysAgo(1));
    await age(elsewhere, daysAgo(400), null);
    await putPolicy(t, asOwner(biz), { inactivity_revoke_days: 30 }).expect(200);

    await sweep();

    const revoked = await events(biz, 'token.revoked');
    expect(revoked.map((e) => [e.id, e.reason])).toEqual([[idle.id, 'inactive']]);
    const told = await events(biz, 'token.inactive_soon');
    expect(told.map((e) => e.id)).toEqual([soon.id]);
    expect(Date.parse(told[0].revokes_at as string)).toBe(lastUse.getTime() + 30 * DAY);
    const view = (id: string) => getToken(t, asOwner(biz), id).expect(200);
    expect((await view(idle.id)).body.data).toMatchObject({
      status: 'revoked',
      revocation_reason: 'inactive',
      revoked_by: 'system',
    });
    for (const kept of [soon, fresh]) expect((await view(kept.id)).body.data.status).toBe('active');
    const theirs = await getToken(t, asOwner(other), elsewhere.id).expect(200);
    expect(theirs.body.data.status).toBe('active');
    // Refused on every instance from then on.
    for (const app of second ? [t, second] : [t]) {
      expect((await me(app, asMember(idle.secret, biz.id)).expect(401)).body.code).toBe(
        'TOKEN_REVOKED',
      );
    }

    // Each reached the endpoint once, as its webhook type.
    await receiver.waitFor((got) => got.length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    const sent = receiver.received.map((r) => {
      const data = r.json.data as { target: { id: string } };
      return [r.json.type, data.target.id];
    });
    expect(sent.sort()).toEqual(
      [
        ['token.inactive_soon', soon.id],
        ['token.revoked', idle.id],
      ].sort(),
    );

    // Told long ago, used since, then left again: a new spell of disuse, told of again, once.
    await t.sql('UPDATE token_expiry_notices SET sent_at = ? WHERE token_id = ?', [
      dbTime(driver, daysAgo(26)),
      soon.id,
    ]);
    await age(soon, daysAgo(60), daysAgo(24));
    await sweep();
    expect((await events(biz, 'token.inactive_soon')).map((e) => e.id)).toEqual([soon.id, soon.id]);
    expect((await events(biz, 'token.revoked')).length).toBe(1);
  });
});
