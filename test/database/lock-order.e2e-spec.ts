import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Response, Test } from 'supertest';
import {
  addMember,
  BusinessFixture,
  createMachine,
  createToken,
  createUnexpiringBusiness,
  IssuedToken,
  MemberFixture,
} from '../factories/tenancy.factory';
import { uniqueEmail, uniqueLabel } from '../factories/unique';
import {
  asBearer,
  asMember,
  asOwner,
  asPlatform,
  bulkRevoke,
  deleteMachine,
  patchMember,
  postMachine,
  postToken,
  removeMember,
  revoke,
  rotate,
} from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { putPolicy } from '../harness/app/token-policy';
import { RATE_LIMITS_OFF } from '../harness/app-process';
import { sampledCount, testSeed } from '../harness/sampling';
import { withClient } from '../harness/servers/postgres';
import { MailSink } from '../invitations/mail-sink';
import { describeIf, TEST_DATABASE_URL } from '../setup/servers';
import { ssoFlow } from '../sso/sso-flow';
import { CLIENT_ID, CLIENT_SECRET, TestIdp } from '../sso/test-idp';

/**
 * The lock order, as an attacker tests it. Every write on PostgreSQL takes its locks in one
 * order (key locks, then rows in id order, then the audit chain head: docs/architecture.md), so
 * no two writes can wait on each other in a cycle. A path that takes them out of order only shows
 * when it meets another at the wrong moment, so here every feature that locks is fired at the
 * others on one business, 8 requests at once, round after round, each round aiming them at the
 * same few targets (a member, their token, a machine, a custom role, their token requests): a
 * revoke of a token while its holder is bulk-revoked, removed, promoted and signed in through SSO.
 * What must hold: no answer is a 5xx (a deadlock is answered 503), PostgreSQL counted no deadlock
 * in the suite's database (which catches one in a job too), and both audit chains verify.
 */

const BASE_URL = 'http://latchkey.test';
const REDIRECT_URI = `${BASE_URL}/auth/sso/callback`;
const GATEWAY_SECRET = 'gateway-secret-for-lock-order';
/** Token requests are needed for this scope, so filing, deciding and collecting them all lock. */
const APPROVAL_RULE = { scopes: ['deploy:*'] };
/** The scopes of every token made here: an unrestricted one would reach deploy:* too. */
const SCOPES = ['app:read'];
const AT_ONCE = 8;
const ROUNDS_PER_TEST = 25;
/** The answers a request that lost its race may give: its target gone, taken, or changed. */
const LOST_RACE = [401, 403, 404, 409, 422, 429];

const ROUNDS = sampledCount('lock rounds', 25, 200, 'rounds');

/** What a round aims its operations at, made before it, one request at a time. */
interface Targets {
  member: MemberFixture;
  token?: IssuedToken;
  spare?: IssuedToken;
  machine?: { id: string };
  machineToken?: IssuedToken;
  roleId?: string;
  pendingRequest?: string;
  approvedRequest?: string;
  invitation?: string;
  sso?: { handoff: string; cookie: string };
}
type Need = Exclude<keyof Targets, 'member'>;

interface Operation {
  name: string;
  needs: Need[];
  send: (x: Targets, round: number) => Test;
}

/** A small seeded generator (mulberry32), so a round's mix replays with the run's TEST_SEED. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` of `items`, chosen by `next`, in the order drawn. */
function pick<T>(items: readonly T[], count: number, next: () => number): T[] {
  const rest = [...items];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(next() * (rest.length - i));
    [rest[i], rest[j]] = [rest[j], rest[i]];
  }
  return rest.slice(0, count);
}

/** A body as a failure prints it: no token secret, and short. */
const redacted = (body: unknown): string =>
  JSON.stringify(body ?? null)
    .replace(/lk_[A-Za-z0-9_\-.~]+/g, 'lk_[redacted]')
    .slice(0, 600);

describeIf(!!TEST_DATABASE_URL, 'set TEST_DATABASE_URL')(
  'the lock order holds under colliding writes on postgres',
  () => {
    let t: TestApp;
    let idp: TestIdp;
    let sink: MailSink;
    let biz: BusinessFixture;
    let closed = false;
    let deadlocksBefore = 0;
    /** Answers per operation and status, over the whole run, for a failure's message. */
    const tally = new Map<string, Map<number, number>>();

    const sso = ssoFlow(() => ({ t, idp }));
    const owner = () => asOwner(biz);
    const databaseUrl = () => t.db.env.DATABASE_URL;
    /** The deadlocks PostgreSQL counted in this suite's database, read afresh. */
    const deadlocks = () =>
      withClient(databaseUrl(), async (c) => {
        await c.query('SELECT pg_stat_clear_snapshot()');
        const { rows } = await c.query<{ deadlocks: string }>(
          'SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()',
        );
        return Number(rows[0].deadlocks);
      });

    beforeAll(async () => {
      idp = await TestIdp.start(REDIRECT_URI);
      sink = await MailSink.start();
      const secretFile = join(tmpdir(), `oidc-secret-lock-order-${process.pid}`);
      writeFileSync(secretFile, CLIENT_SECRET, { mode: 0o600 });
      t = await bootTestApp('postgres', {
        ...RATE_LIMITS_OFF,
        RATE_LIMIT_LEAKS_PER_MINUTE: '0',
        PUBLIC_BASE_URL: BASE_URL,
        SMTP_URL: sink.url,
        SMTP_FROM: 'Latchkey <no-reply@latchkey.test>',
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: CLIENT_ID,
        OIDC_CLIENT_SECRET_FILE: secretFile,
        OIDC_SCOPES: 'openid email groups',
        VERIFY_GATEWAY_SECRET: GATEWAY_SECRET,
      });
      biz = await createUnexpiringBusiness(t);
      // A sign-in through the provider moves its person's role (member to admin).
      await sso.setRule(owner(), 'eng', 'admin').expect(200);
      await putPolicy(t, owner(), { approval_required: APPROVAL_RULE }).expect(200);
      await t
        .http()
        .put('/api/v1/credits/business')
        .set(owner())
        .send({ balance: 1e9 })
        .expect(200);
      deadlocksBefore = await deadlocks();
    });
    afterAll(async () => {
      if (!closed) await t?.close();
      else await t.db.drop();
      await idp?.stop();
      await sink?.stop();
    });

    const asTarget = (x: Targets) => asMember(x.member.token, biz.id);
    const fileRequest = (x: Targets) =>
      t
        .http()
        .post('/api/v1/token-requests')
        .set(asTarget(x))
        .send({
          name: uniqueLabel('req'),
          scopes: ['deploy:prod'],
          expires_in_days: 1,
          justification: 'Deploys from the release pipeline',
        });
    const decide = (id: string, action: string, body: object) =>
      t.http().post(`/api/v1/token-requests/${id}/${action}`).set(owner()).send(body);

    /** Every feature that locks on PostgreSQL, each aimed at the round's targets. */
    const OPERATIONS: Operation[] = [
      {
        name: 'revoke the token',
        needs: ['token'],
        send: (x) => revoke(t, owner(), x.token!.id, { reason: 'lock order' }),
      },
      {
        name: 'rotate the token',
        needs: ['token'],
        send: (x) => rotate(t, asTarget(x), x.token!.id),
      },
      {
        name: "bulk-revoke the member's tokens",
        needs: [],
        send: (x) =>
          bulkRevoke(t, owner(), { identity_id: x.member.identityId, reason: 'lock order' }),
      },
      {
        name: 'remove the member',
        needs: [],
        send: (x) => removeMember(t, owner(), x.member.identityId),
      },
      {
        name: "change the member's role",
        needs: [],
        send: (x) => patchMember(t, owner(), x.member.identityId, { role: 'owner' }),
      },
      {
        name: 'assign the custom role',
        needs: ['roleId'],
        send: (x) =>
          t
            .http()
            .put(`/api/v1/custom-roles/holders/${x.member.identityId}`)
            .set(owner())
            .send({ custom_role_id: x.roleId }),
      },
      {
        name: 'delete the custom role',
        needs: ['roleId'],
        send: (x) => t.http().delete(`/api/v1/custom-roles/${x.roleId}`).set(owner()),
      },
      {
        name: 'create a custom role',
        needs: [],
        send: () =>
          t
            .http()
            .post('/api/v1/custom-roles')
            .set(owner())
            .send({ name: roleName(), base_role: 'member', scopes: ['deploy:read'] }),
      },
      {
        name: 'change the token policy',
        needs: [],
        send: (_x, round) =>
          putPolicy(t, owner(), {
            approval_required: APPROVAL_RULE,
            max_lifetime_days: round % 2 === 0 ? 30 : 90,
          }),
      },
      {
        name: 'issue a token as the member',
        needs: [],
        send: (x) =>
          postToken(t, asTarget(x), { name: 'issued', expires_in_days: 1, scopes: SCOPES }),
      },
      {
        name: 'issue a token for the machine',
        needs: ['machine'],
        send: (x) =>
          postToken(t, owner(), {
            name: 'issued',
            identity_id: x.machine!.id,
            expires_in_days: 1,
            scopes: SCOPES,
          }),
      },
      {
        name: 'create an invitation',
        needs: [],
        send: () =>
          t
            .http()
            .post('/api/v1/invitations')
            .set(owner())
            .send({ email: uniqueEmail('invitee'), role: 'member' }),
      },
      {
        name: 'accept an invitation',
        needs: ['invitation'],
        send: (x) => t.http().post('/invitations/accept').send({ token: x.invitation }),
      },
      { name: 'file a token request', needs: [], send: (x) => fileRequest(x) },
      {
        name: 'approve the token request',
        needs: ['pendingRequest'],
        send: (x) => decide(x.pendingRequest!, 'approve', { reason: 'ok' }),
      },
      {
        name: 'deny the token request',
        needs: ['pendingRequest'],
        send: (x) => decide(x.pendingRequest!, 'deny', { reason: 'no' }),
      },
      {
        name: 'collect the approved request',
        needs: ['approvedRequest'],
        send: (x) =>
          t
            .http()
            .post(`/api/v1/token-requests/${x.approvedRequest}/collect`)
            .set(asTarget(x))
            .send({}),
      },
      {
        name: "set the member's credits",
        needs: [],
        send: (x) =>
          t.http().put(`/api/v1/credits/${x.member.identityId}`).set(owner()).send({ balance: 3 }),
      },
      {
        name: "spend the member's credits",
        needs: ['spare'],
        send: (x) =>
          t
            .http()
            .get('/auth/verify')
            .set(asBearer(x.spare!.secret))
            .set('x-latchkey-gateway-secret', GATEWAY_SECRET)
            .set('x-latchkey-cost', '2'),
      },
      {
        name: 'import a key for the member',
        needs: [],
        send: (x) =>
          t
            .http()
            .post('/api/v1/tokens/import')
            .set(owner())
            .send({
              keys: [
                {
                  hash: createHash('sha256')
                    .update(`sk_live_${randomBytes(18).toString('base64url')}`)
                    .digest('hex'),
                  name: 'imported',
                  identity_id: x.member.identityId,
                  scopes: SCOPES,
                },
              ],
            }),
      },
      {
        name: 'create a machine identity',
        needs: [],
        send: () => postMachine(t, owner(), { name: uniqueLabel('machine'), role: 'member' }),
      },
      {
        name: 'delete the machine identity',
        needs: ['machine'],
        send: (x) => deleteMachine(t, owner(), x.machine!.id),
      },
      {
        name: "revoke the machine's token",
        needs: ['machineToken'],
        send: (x) => revoke(t, owner(), x.machineToken!.id, { reason: 'lock order' }),
      },
      {
        name: 'sign the member in through SSO',
        needs: ['sso'],
        send: (x) => sso.collect(x.sso!.handoff, x.sso!.cookie),
      },
    ];

    let roles = 0;
    const roleName = () => `lock-${process.pid % 1000}-${++roles}`;

    /** The targets `needs` name, made one request at a time. */
    async function prepare(needs: Set<Need>): Promise<Targets> {
      const member = await addMember(t, biz, 'member');
      const x: Targets = { member };
      const mine = asTarget(x);
      if (needs.has('token')) {
        x.token = await createToken(t, mine, {
          name: 'target',
          expires_in_days: 1,
          scopes: SCOPES,
        });
      }
      if (needs.has('spare')) {
        x.spare = await createToken(t, mine, { name: 'spare', expires_in_days: 1, scopes: SCOPES });
      }
      if (needs.has('machine') || needs.has('machineToken')) {
        x.machine = await createMachine(t, biz);
        x.machineToken = await createToken(t, owner(), {
          name: 'machine-target',
          identity_id: x.machine.id,
          expires_in_days: 1,
          scopes: SCOPES,
        });
      }
      if (needs.has('roleId')) {
        const res = await t
          .http()
          .post('/api/v1/custom-roles')
          .set(owner())
          .send({ name: roleName(), base_role: 'member', scopes: ['deploy:read'] })
          .expect(201);
        x.roleId = res.body.data.id as string;
      }
      if (needs.has('pendingRequest')) {
        x.pendingRequest = (await fileRequest(x).expect(201)).body.data.id as string;
      }
      if (needs.has('approvedRequest')) {
        const id = (await fileRequest(x).expect(201)).body.data.id as string;
        await decide(id, 'approve', { reason: 'ok' }).expect(200);
        x.approvedRequest = id;
      }
      if (needs.has('invitation')) {
        const email = uniqueEmail('invitee');
        await t
          .http()
          .post('/api/v1/invitations')
          .set(owner())
          .send({ email, role: 'member' })
          .expect(201);
        x.invitation = (await sink.lastLinkTo(email)).secret;
      }
      if (needs.has('sso')) {
        // Through the provider and back now; the collection, which writes, is the round's.
        sso.person({ email: member.email, groups: ['eng'] });
        const { fragment, cookie } = await sso.returned({ business_id: biz.id });
        x.sso = { handoff: fragment.get('handoff')!, cookie };
      }
      return x;
    }

    /**
     * After a round: its member gone and every custom role deleted, so the business stays under
     * its 50 roles however many rounds run.
     */
    async function tidy(x: Targets): Promise<void> {
      const gone = await removeMember(t, owner(), x.member.identityId);
      expect([200, 404]).toContain(gone.status);
      const listed = await t.http().get('/api/v1/custom-roles').query({ limit: 200 }).set(owner());
      for (const role of listed.body.data.items as { id: string }[]) {
        await t.http().delete(`/api/v1/custom-roles/${role.id}`).set(owner()).expect(200);
      }
    }

    /** One round: fresh targets, then `AT_ONCE` operations on them at once. */
    async function runRound(round: number): Promise<void> {
      const next = generator(testSeed() ^ Math.imul(round + 1, 0x9e3779b1));
      const chosen = pick(OPERATIONS, AT_ONCE, next);
      const targets = await prepare(new Set(chosen.flatMap((op) => op.needs)));
      const answers: Response[] = await Promise.all(chosen.map((op) => op.send(targets, round)));
      const seen = chosen.map((op, i) => ({ op: op.name, status: answers[i].status }));
      for (const { op, status } of seen) {
        const counts = tally.get(op) ?? new Map<number, number>();
        counts.set(status, (counts.get(status) ?? 0) + 1);
        tally.set(op, counts);
      }
      const wrong = seen.filter(
        ({ status }) => !(status >= 200 && status < 300) && !LOST_RACE.includes(status),
      );
      if (wrong.length > 0) {
        const lines = chosen.map(
          (op, i) => `  ${op.name}: ${answers[i].status} ${redacted(answers[i].body)}`,
        );
        throw new Error(
          `round ${round} (TEST_SEED=${testSeed()}): ${wrong.length} answer(s) outside 2xx and ` +
            `${LOST_RACE.join('/')}:\n${lines.join('\n')}`,
        );
      }
      await tidy(targets);
    }

    it('runs each operation alone first: every one is a 2xx, so the rounds test real writes', async () => {
      const refused: string[] = [];
      for (const op of OPERATIONS) {
        const targets = await prepare(new Set(op.needs));
        const res = await op.send(targets, 0);
        if (res.status >= 300) refused.push(`${op.name}: ${res.status} ${redacted(res.body)}`);
        await tidy(targets);
      }
      expect(refused).toEqual([]);
    });

    const batches = Array.from({ length: Math.ceil(ROUNDS / ROUNDS_PER_TEST) }, (_, b) => [
      b * ROUNDS_PER_TEST,
      Math.min(ROUNDS, (b + 1) * ROUNDS_PER_TEST),
    ]);
    it.each(batches)(
      `rounds %i to %i: ${AT_ONCE} colliding writes at once answer no 5xx`,
      async (from, to) => {
        for (let round = from; round < to; round++) await runRound(round);
      },
    );

    it('leaves both audit chains whole, and PostgreSQL counted no deadlock', async () => {
      const business = await t.http().get('/api/v1/audit-events/verify').set(owner()).expect(200);
      expect(business.body.data).toMatchObject({ valid: true });
      const platform = await t
        .http()
        .get('/platform/v1/audit-events/verify')
        .set(asPlatform(t))
        .expect(200);
      expect(platform.body.data).toMatchObject({ valid: true });
      // A backend adds its count to the database's when it ends: the app's pool is closed, and
      // its connections gone, before the counter is read.
      const url = databaseUrl();
      await t.close({ keepDatabase: true });
      closed = true;
      await withClient(url, async (c) => {
        for (;;) {
          const { rows } = await c.query<{ n: string }>(
            'SELECT count(*) AS n FROM pg_stat_activity ' +
              'WHERE datname = current_database() AND pid <> pg_backend_pid()',
          );
          if (Number(rows[0].n) === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });
      const summary = [...tally].map(([op, counts]) => `${op}: ${JSON.stringify([...counts])}`);
      expect({ deadlocks: (await deadlocks()) - deadlocksBefore, summary }).toEqual({
        deadlocks: 0,
        summary,
      });
    });
  },
);
