import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { TokenExpiryNotices } from '../src/tokens/token-expiry-notices';
import { createBusiness, createToken } from './factories/tenancy.factory';
import { asOwner, revoke, rotate } from './helpers/api';
import { bootTestApp, TestApp } from './helpers/test-app';
import { Received, WebhookReceiver } from './helpers/webhook-receiver';
import { DRIVERS } from './setup/servers';

const DAY = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();

describe.each(DRIVERS)('token expiry notices on %s', (driver) => {
  let t: TestApp;
  let second: TestApp | undefined;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await bootTestApp(driver, { WEBHOOK_POLL_MS: '50' });
    // On PostgreSQL, a second instance on the same database: notices go out once between them.
    // (SQLite is one process's database.)
    if (driver === 'postgres') second = await bootTestApp(driver, { WEBHOOK_POLL_MS: '50' }, t.db);
  });

  afterAll(async () => {
    await second?.close({ keepDatabase: true });
    await t?.close();
    await receiver.stop();
  });

  /** A turn on both instances at once, at `now`. */
  const turn = (now = new Date()) =>
    Promise.all(
      [t, second].flatMap((app) => (app ? [app.app.get(TokenExpiryNotices).runTurn(now)] : [])),
    );

  async function notices(bizId: string, owner: string) {
    const res = await t
      .http()
      .get('/api/v1/audit-events?action=token.expiring&action=token.expired&limit=200')
      .set(asOwner({ id: bizId, ownerToken: owner }))
      .expect(200);
    return (
      res.body.data.items as {
        action: string;
        target: { id: string };
        metadata: Record<string, unknown>;
      }[]
    )
      .map((e) => [e.target.id, e.action, e.metadata.days_before ?? null] as const)
      .sort();
  }

  it('tells once per token and notice, the nearest notice only, never of a revoked token', async () => {
    const biz = await createBusiness(t);
    const endpoint = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: receiver.url, event_types: ['token.expiring', 'token.expired'] })
      .expect(201);
    const hook = new Webhook(endpoint.body.data.secret as string);
    const soon = await createToken(t, asOwner(biz), { name: 'soon', expires_at: inDays(3) });
    const sooner = await createToken(t, asOwner(biz), { name: 'sooner', expires_at: inDays(0.5) });
    const later = await createToken(t, asOwner(biz), { name: 'later', expires_at: inDays(6.9) });
    const revoked = await createToken(t, asOwner(biz), { name: 'revoked', expires_at: inDays(2) });
    await revoke(t, asOwner(biz), revoked.id).expect(201);

    await turn();
    await turn();
    const first = await notices(biz.id, biz.ownerToken);
    // The owner's first token (7 days) is told of too; the revoked one never.
    expect(first.some(([id]) => id === revoked.id)).toBe(false);
    expect(first.filter(([id]) => [soon.id, sooner.id, later.id, revoked.id].includes(id))).toEqual(
      [
        [soon.id, 'token.expiring', 7],
        [sooner.id, 'token.expiring', 1],
        [later.id, 'token.expiring', 7],
      ].sort(),
    );

    // 2.6 days on: `soon` is a day from expiry, `sooner` expired two days ago.
    await turn(new Date(Date.now() + 2.6 * DAY));
    await turn(new Date(Date.now() + 2.6 * DAY));
    const then = await notices(biz.id, biz.ownerToken);
    expect(then.filter(([id]) => [soon.id, sooner.id, later.id].includes(id))).toEqual(
      [
        [soon.id, 'token.expiring', 1],
        [soon.id, 'token.expiring', 7],
        [sooner.id, 'token.expired', null],
        [sooner.id, 'token.expiring', 1],
        [later.id, 'token.expiring', 7],
      ].sort(),
    );

    // Each notice reached the endpoint once, as its webhook type.
    const wanted = then.length;
    await receiver.waitFor((got) => got.length >= wanted);
    await new Promise((r) => setTimeout(r, 300));
    for (const r of receiver.received) {
      expect(
        hook.verify(r.body, {
          'webhook-id': String(r.headers['webhook-id']),
          'webhook-timestamp': String(r.headers['webhook-timestamp']),
          'webhook-signature': String(r.headers['webhook-signature']),
        }),
      ).toEqual(r.json);
    }
    const told = receiver.received.map((r) => {
      const data = r.json.data as { target: { id: string }; metadata: { days_before?: number } };
      return [data.target.id, r.json.type, data.metadata.days_before ?? null] as const;
    });
    expect(told.sort()).toEqual(then);
  });

  if (driver === 'postgres') {
    it('one instance looks at a time: while another holds the notices’ advisory lock, a turn sends nothing', async () => {
      const biz = await createBusiness(t);
      const soon = await createToken(t, asOwner(biz), { name: 'soon', expires_at: inDays(0.5) });
      // Another instance's turn, as PostgreSQL sees it: the session lock on the notices' key.
      const other = t.app.get(DataSource).createQueryRunner();
      const key = [0x4c4b, 'token-expiry-notices'];
      try {
        const [held] = await other.query(
          'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
          key,
        );
        expect(held.locked).toBe(true);
        await expect(turn()).resolves.toEqual(second ? [0, 0] : [0]);
        expect((await notices(biz.id, biz.ownerToken)).map(([id]) => id)).not.toContain(soon.id);
      } finally {
        await other.query('SELECT pg_advisory_unlock($1, hashtext($2))', key);
        await other.release();
      }
      const sent = await turn();
      expect(sent.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
      expect(await notices(biz.id, biz.ownerToken)).toContainEqual([soon.id, 'token.expiring', 1]);
    });
  }

  it('never tells of a token rotated with a grace period: the rotation set its expiry, its successor carries on', async () => {
    const biz = await createBusiness(t);
    await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: receiver.url, event_types: ['token.expiring', 'token.expired'] })
      .expect(201);
    const old = await createToken(t, asOwner(biz), { name: 'rotated', expires_at: inDays(5) });
    const rotated = await rotate(t, asOwner(biz), old.id, {
      grace_period_seconds: 12 * 3600,
    }).expect(201);
    const successor = rotated.body.data.id as string;
    // A token no rotation touched, expiring as soon: it is told of.
    const plain = await createToken(t, asOwner(biz), { name: 'plain', expires_at: inDays(0.5) });
    receiver.received.length = 0;

    // The old token now expires in 12 hours, as `plain` does; the successor lives 5 days.
    await turn();
    // Two days on, both have expired.
    await turn(new Date(Date.now() + 2 * DAY));
    const told = await notices(biz.id, biz.ownerToken);
    expect(told.filter(([id]) => [old.id, successor, plain.id].includes(id))).toEqual(
      [
        [plain.id, 'token.expired', null],
        [plain.id, 'token.expiring', 1],
        [successor, 'token.expiring', 7],
      ].sort(),
    );
    const targetOf = (r: Received) => (r.json.data as { target: { id: string } }).target.id;
    await receiver.waitFor((got) => got.filter((r) => targetOf(r) === plain.id).length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    const targets = receiver.received.map(targetOf);
    expect(targets).not.toContain(old.id);
    expect(targets.filter((id) => id === plain.id)).toHaveLength(2);
  });
});
