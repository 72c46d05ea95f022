import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../src/config/app-config';
import { TokenExpiryNotices } from '../../src/tokens/sweeps/token-expiry-notices';
import {
  BusinessFixture,
  createBusiness,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asOwner, revoke, rotate } from '../harness/app/api';
import { bootJobInstances, closeJobInstances } from './job-instances';
import { TestApp } from '../harness/app/test-app';
import { Received, WebhookReceiver } from '../harness/app/webhook-receiver';
import { DRIVERS } from '../setup/servers';

const DAY = 86_400_000;
const MINUTE = 60_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();
const daysOn = (days: number) => new Date(Date.now() + days * DAY);

/** A time read back from either driver: a Date (PostgreSQL) or `YYYY-MM-DD HH:MM:SS.SSS` UTC. */
const timeOf = (v: Date | string) =>
  v instanceof Date ? v.getTime() : Date.parse(`${v.replace(' ', 'T')}Z`);

/** The notice days the suite's app runs with: TOKEN_EXPIRY_NOTICE_DAYS's default, `7,1`. */
const NOTICE_DAYS = [7, 1];
/** Lifetimes (days) on each side of every notice, and equal to each. */
const LIFETIMES = [0.5, 1, 3, 7, 7.5, 30, 90];
/** The table: a token that lives `life` days gets the notice of `days` days iff life > days. */
const TABLE = LIFETIMES.flatMap((life) =>
  NOTICE_DAYS.map((days) => ({ life, days, told: life > days })),
);

describe.each(DRIVERS)('token expiry notices on %s', (driver) => {
  let t: TestApp;
  let second: TestApp | undefined;
  const receiver = new WebhookReceiver();

  // On PostgreSQL, a second instance on the same database: notices go out once between them.
  beforeAll(async () => ([t, second] = await bootJobInstances(driver, receiver)));
  afterAll(() => closeJobInstances([t, second], receiver));

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

  it('tells once per token and notice, the nearest notice only, never of a revoked token, never of a life shorter than the notice', async () => {
    const biz = await createUnexpiringBusiness(t);
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
    const long = await createToken(t, asOwner(biz), { name: 'long', expires_at: inDays(10) });
    const revoked = await createToken(t, asOwner(biz), { name: 'revoked', expires_at: inDays(2) });
    await revoke(t, asOwner(biz), revoked.id).expect(201);

    // Fresh tokens: none lives longer than a notice it is within (the owner's first token, 7
    // days, included), so none is told of.
    await turn();
    await turn();
    expect(await notices(biz.id, biz.ownerToken)).toEqual([]);

    // 2.6 days on: `soon` is a day from expiry, `sooner` expired two days ago.
    await turn(daysOn(2.6));
    await turn(daysOn(2.6));
    expect(await notices(biz.id, biz.ownerToken)).toEqual(
      [
        [soon.id, 'token.expiring', 1],
        [sooner.id, 'token.expired', null],
      ].sort(),
    );

    // 9.5 days on: `long` skipped its 7-day window between turns, and gets the nearest notice
    // only; the others (and the first token) have expired.
    await turn(daysOn(9.5));
    await turn(daysOn(9.5));
    const then = await notices(biz.id, biz.ownerToken);
    const firstToken = then.find(([id]) => ![soon, sooner, later, long].some((k) => k.id === id));
    expect(then).toEqual(
      [
        [soon.id, 'token.expired', null],
        [soon.id, 'token.expiring', 1],
        [sooner.id, 'token.expired', null],
        [later.id, 'token.expired', null],
        [long.id, 'token.expiring', 1],
        [firstToken![0], 'token.expired', null],
      ].sort(),
    );
    expect(then.some(([id]) => id === revoked.id)).toBe(false);

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
      const soon = await createToken(t, asOwner(biz), { name: 'soon', expires_at: inDays(3) });
      const due = daysOn(2.5);
      // Another instance's turn, as PostgreSQL sees it: the session lock on the notices' key.
      const other = t.app.get(DataSource).createQueryRunner();
      const key = [0x4c4b, 'token-expiry-notices'];
      try {
        const [held] = await other.query(
          'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
          key,
        );
        expect(held.locked).toBe(true);
        await expect(turn(due)).resolves.toEqual(second ? [0, 0] : [0]);
        expect((await notices(biz.id, biz.ownerToken)).map(([id]) => id)).not.toContain(soon.id);
      } finally {
        await other.query('SELECT pg_advisory_unlock($1, hashtext($2))', key);
        await other.release();
      }
      const sent = await turn(due);
      expect(sent.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
      expect(await notices(biz.id, biz.ownerToken)).toContainEqual([soon.id, 'token.expiring', 1]);
    });
  }

  it('never tells of a token rotated with a grace period: the rotation set its expiry, its successor carries on', async () => {
    const biz = await createUnexpiringBusiness(t);
    await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: receiver.url, event_types: ['token.expiring', 'token.expired'] })
      .expect(201);
    const old = await createToken(t, asOwner(biz), { name: 'rotated', expires_at: inDays(10) });
    const rotated = await rotate(t, asOwner(biz), old.id, {
      grace_period_seconds: 12 * 3600,
    }).expect(201);
    const successor = rotated.body.data.id as string;
    // A token no rotation touched: it is told of.
    const plain = await createToken(t, asOwner(biz), { name: 'plain', expires_at: inDays(3) });
    receiver.received.length = 0;

    // The old token now expires in 12 hours; the successor lives 10 days.
    await turn();
    // 2.6 days on, the old token and `plain` are within a day of expiry, or past it.
    await turn(daysOn(2.6));
    // 3.5 days on, `plain` has expired, and the successor is within a week of expiry.
    await turn(daysOn(3.5));
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

  it('a fresh 7-day token is told of nothing; a 90-day one gets its 7-day notice when due, not before', async () => {
    const biz = await createUnexpiringBusiness(t);
    const week = await createToken(t, asOwner(biz), { name: 'week', expires_in_days: 7 });
    const quarter = await createToken(t, asOwner(biz), { name: 'quarter', expires_in_days: 90 });
    const mine = (all: Awaited<ReturnType<typeof notices>>) =>
      all.filter(([id]) => id === week.id || id === quarter.id);

    await turn();
    // The business's first token is 7 days too: the business has no notice at all.
    expect(await notices(biz.id, biz.ownerToken)).toEqual([]);
    await turn(new Date(Date.now() + 83 * DAY - 10 * MINUTE));
    expect(mine(await notices(biz.id, biz.ownerToken))).toEqual([]);
    await turn(new Date(Date.now() + 83 * DAY + 10 * MINUTE));
    expect(mine(await notices(biz.id, biz.ownerToken))).toEqual([
      [quarter.id, 'token.expiring', 7],
    ]);
    await turn(new Date(Date.now() + 89 * DAY + 10 * MINUTE));
    expect(mine(await notices(biz.id, biz.ownerToken))).toEqual([
      [quarter.id, 'token.expiring', 1],
      [quarter.id, 'token.expiring', 7],
    ]);
  });

  describe('lifetimes × notice days, every cell', () => {
    let biz: BusinessFixture;
    const tokens = new Map<number, { id: string; createdAt: number; expiresAt: number }>();
    let sent: { tokenId: string; notice: string; sentAt: number }[] = [];

    beforeAll(async () => {
      expect(t.app.get(AppConfig).expiryNoticeDays).toEqual(NOTICE_DAYS);
      biz = await createUnexpiringBusiness(t);
      for (const life of LIFETIMES) {
        const made = await createToken(t, asOwner(biz), {
          name: `life-${life}`,
          expires_at: inDays(life),
        });
        tokens.set(life, {
          id: made.id,
          createdAt: Date.parse(made.view.created_at),
          expiresAt: Date.parse(made.view.expires_at!),
        });
      }
      // A turn a minute into each window of each token, and a minute after it expired: every
      // notice a token may get has a turn to be sent in, in time order, as a running server would.
      const moments = new Set<number>();
      for (const token of tokens.values()) {
        for (const days of NOTICE_DAYS) {
          moments.add(Math.max(token.createdAt, token.expiresAt - days * DAY) + MINUTE);
        }
        moments.add(token.expiresAt + MINUTE);
      }
      for (const at of [...moments].sort((a, b) => a - b)) await turn(new Date(at));
      const ids = [...tokens.values()].map((k) => k.id);
      const rows = await t.sql<{ token_id: string; notice: string; sent_at: Date | string }>(
        `SELECT token_id, notice, sent_at FROM token_expiry_notices WHERE token_id IN (${ids.map(() => '?').join(', ')})`,
        ids,
      );
      sent = rows.map((r) => ({
        tokenId: r.token_id,
        notice: r.notice,
        sentAt: timeOf(r.sent_at),
      }));
    });

    it.each(TABLE)(
      'a token that lives $life days gets the $days-day notice: $told',
      ({ life, days, told }) => {
        const token = tokens.get(life)!;
        const notice = sent.filter((n) => n.tokenId === token.id && n.notice === `${days}d`);
        expect(notice).toHaveLength(told ? 1 : 0);
        // Sent when due: within `days` of the expiry, before it.
        for (const n of notice) {
          expect(n.sentAt).toBeGreaterThanOrEqual(token.expiresAt - days * DAY);
          expect(n.sentAt).toBeLessThan(token.expiresAt);
        }
      },
    );

    it.each(LIFETIMES)('a token that lives %s days is told once that it expired', (life) => {
      const token = tokens.get(life)!;
      const expired = sent.filter((n) => n.tokenId === token.id && n.notice === 'expired');
      expect(expired).toHaveLength(1);
      expect(expired[0].sentAt).toBeGreaterThanOrEqual(token.expiresAt);
    });
  });
});
