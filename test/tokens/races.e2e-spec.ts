import type { Response } from 'supertest';
import type { BusinessFixture, MemberFixture } from '../factories/tenancy.factory';
import {
  addMember,
  createBusiness,
  createMachine,
  createToken,
} from '../factories/tenancy.factory';
import {
  asBearer,
  asMember,
  asOwner,
  deleteMachine,
  deleteToken,
  listPlatformAdmins,
  me,
  patchMember,
  postMember,
  postPlatformAdmin,
  postToken,
  reissueFirstToken,
  removeMember,
  removePlatformAdmin,
  revoke,
  rotate,
} from '../harness/app/api';
import { dbDate, expectBearerError, expectError, sleep } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { patienceDeadline } from '../harness/patience';

/**
 * The attacker's tests for concurrency: many requests that race on one row, sent at once.
 * SQLite serializes writes, so there they check the rules in every order the queue picks; on
 * PostgreSQL the requests really interleave. Each test checks what is in the database after
 * every request has answered, not just the statuses.
 */

/** `201`, or `409 TOKEN_ALREADY_ROTATED` for an error: what a race's answers add up to. */
const outcome = (res: Response) =>
  res.status >= 400 || res.body?.code ? `${res.status} ${res.body?.code}` : `${res.status}`;

function tally(responses: Response[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const res of responses) counts[outcome(res)] = (counts[outcome(res)] ?? 0) + 1;
  return counts;
}

/** No answer of a race is a 5xx (a deadlock, a lock timeout, a unique violation...). */
function expectNoServerError(responses: Response[]): void {
  const failures = responses
    .filter((res) => res.status >= 500)
    .map((res) => ({ status: res.status, body: res.body as unknown }));
  expect(failures).toEqual([]);
}

/** Every answer's outcome is one of `allowed`. */
function expectOutcomesIn(responses: Response[], allowed: string[]): void {
  expectNoServerError(responses);
  expect(Object.keys(tally(responses)).filter((o) => !allowed.includes(o))).toEqual([]);
}

/** The requests, sent at once; on PostgreSQL they run on as many pool connections as it has. */
async function all(requests: PromiseLike<Response>[]): Promise<Response[]> {
  return Promise.all(requests);
}

/**
 * When each issuer and the removal go out, in a round: issuers `stagger` ms apart, the removal
 * at `at` (0 to 1) of their window. All at once is the plain race; with gaps of about one
 * request's time, the removal lands before some issuers, during some and after others.
 */
interface Schedule {
  stagger: number;
  at: number;
}
const MEMBER_ROUNDS: Schedule[] = [
  { stagger: 0, at: 0 },
  { stagger: 15, at: 0.25 },
  { stagger: 15, at: 0.5 },
  { stagger: 15, at: 0.75 },
  { stagger: 30, at: 0.5 },
];
const MACHINE_ROUNDS: Schedule[] = [
  { stagger: 0, at: 0 },
  { stagger: 15, at: 0.5 },
  { stagger: 30, at: 0.5 },
];

/** Sends the request `ms` from now, and answers with its response. */
function after(ms: number, send: () => PromiseLike<Response>): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    setTimeout(() => void Promise.resolve(send()).then(resolve, reject), ms);
  });
}

describe.each(DRIVERS)('Races on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    // No verifier cache, so every request reads the database; many 401s are expected. No cap
    // on active tokens: a flood of issuance must still be running when its holder is removed,
    // and a fast machine (SQLite's group commit) reached the default 100 first.
    t = await bootTestApp(driver, {
      TOKEN_CACHE_TTL_MS: '0',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
      MAX_ACTIVE_TOKENS_PER_IDENTITY: '0',
    });
  });
  afterAll(() => t?.close());

  const count = async (text: string, params: unknown[]): Promise<number> =>
    Number((await t.sql<{ n: unknown }>(`SELECT count(*) AS n ${text}`, params))[0].n);

  const auditCount = (action: string, targetId: string) =>
    count('FROM audit_events WHERE action = ? AND target_id = ?', [action, targetId]);

  const activeTokensOf = (businessId: string, identityId: string) =>
    count('FROM api_tokens WHERE business_id = ? AND identity_id = ? AND revoked_at IS NULL', [
      businessId,
      identityId,
    ]);

  /** The secrets of the answers that issued one. */
  const secretsOf = (responses: Response[]) =>
    responses.filter((r) => r.status === 201).map((r) => r.body.data.token as string);

  /** Every one of `secrets` is refused as a bearer in the business. */
  async function expectAllRefused(secrets: string[], businessId: string): Promise<void> {
    for (const secret of secrets) {
      const res = await me(t, asMember(secret, businessId));
      expect(res.status).toBe(401);
      expect(['TOKEN_REVOKED', 'INVALID_TOKEN']).toContain(res.body.code);
      expectBearerError(res, res.body.code);
    }
  }

  describe('concurrent rotations of one token: first wins', () => {
    it.each([
      [10, 0],
      [10, 3600],
      [30, 0],
      [30, 3600],
    ])('%i at once, grace %i s: one 201, the rest 409, one successor', async (n, grace) => {
      const b = await createBusiness(t);
      const old = await createToken(t, asOwner(b));
      const startedAt = Date.now();

      const answers = await all(
        Array.from({ length: n }, () =>
          rotate(t, asOwner(b), old.id, { grace_period_seconds: grace }),
        ),
      );

      expectNoServerError(answers);
      const winner = answers.find((r) => r.status === 201)?.body.data;
      const successors = await t.sql<{ id: string }>(
        'SELECT id FROM api_tokens WHERE rotated_from_id = ?',
        [old.id],
      );
      const [oldRow] = await t.sql<{
        rotated_to_id: string | null;
        revoked_at: unknown;
        expires_at: unknown;
      }>('SELECT rotated_to_id, revoked_at, expires_at FROM api_tokens WHERE id = ?', [old.id]);
      // The answers and the database, in one comparison, so a failure shows all of it.
      expect({
        answers: tally(answers),
        successors: successors.map((s) => s.id),
        rotated_to_id: oldRow.rotated_to_id,
        rotated_events: await auditCount('token.rotated', old.id),
        revoked_events: await auditCount('token.revoked', old.id),
        old_revoked: oldRow.revoked_at !== null,
        active_of_owner: await activeTokensOf(b.id, b.ownerId),
      }).toEqual({
        answers: { '201': 1, '409 TOKEN_ALREADY_ROTATED': n - 1 },
        successors: [winner?.id],
        rotated_to_id: winner?.id,
        rotated_events: 1,
        revoked_events: grace === 0 ? 1 : 0,
        old_revoked: grace === 0,
        // The owner's first token, the successor, and the old one while its grace lasts.
        active_of_owner: grace === 0 ? 2 : 3,
      });
      for (const res of answers.filter((r) => r.status === 409)) {
        expectError(res, 409, 'TOKEN_ALREADY_ROTATED');
      }
      expect(winner.rotated_from_id).toBe(old.id);

      if (grace === 0) {
        await expectAllRefused([old.secret], b.id);
      } else {
        // The old token stays usable until the grace period ends, and is not revoked.
        const expiresAt = dbDate(oldRow.expires_at)!.getTime();
        expect(Math.abs(expiresAt - (startedAt + grace * 1000))).toBeLessThan(30_000);
        expect((await me(t, asMember(old.secret, b.id))).status).toBe(200);
      }
      expect((await me(t, asMember(winner.token as string, b.id))).status).toBe(200);

      // And the loser's way round it, rotating again later, is refused too.
      const again = await rotate(t, asOwner(b), old.id, { grace_period_seconds: grace });
      expect(again.status).toBe(409);
      expect(await count('FROM api_tokens WHERE rotated_from_id = ?', [old.id])).toBe(1);
    });
  });

  describe('removing a member while they issue tokens', () => {
    it(`leaves no active token of theirs (${MEMBER_ROUNDS.length} rounds, 8 creates each)`, async () => {
      const b = await createBusiness(t);
      for (const [round, { stagger, at }] of MEMBER_ROUNDS.entries()) {
        const m: MemberFixture = await addMember(t, b, 'member');
        const kept = await createToken(t, asMember(m.token, b.id));
        // Rotating with a grace period issues a successor and leaves the old token unrevoked.
        const rotatable = await createToken(t, asMember(m.token, b.id));

        const create = (i: number) => () =>
          postToken(t, asMember(m.token, b.id), { name: `race-${round}-${i}` });
        const rotateIt = () =>
          rotate(t, asMember(m.token, b.id), rotatable.id, { grace_period_seconds: 3600 });
        const reissue = () => reissueFirstToken(t, asOwner(b), m.identityId);
        // The rotations and the re-issue among the creates.
        const issuers = [
          { kind: 'create', send: create(0) },
          { kind: 'create', send: create(1) },
          { kind: 'rotate', send: rotateIt },
          { kind: 'create', send: create(2) },
          { kind: 'create', send: create(3) },
          { kind: 'reissue', send: reissue },
          { kind: 'create', send: create(4) },
          { kind: 'create', send: create(5) },
          { kind: 'rotate', send: rotateIt },
          { kind: 'create', send: create(6) },
          { kind: 'create', send: create(7) },
        ];
        const [removed, ...answers] = await all([
          after(Math.round(at * issuers.length * stagger), () =>
            removeMember(t, asOwner(b), m.identityId),
          ),
          ...issuers.map((issuer, i) => after(i * stagger, issuer.send)),
        ]);
        const of = (kind: string) => answers.filter((_, i) => issuers[i].kind === kind);

        expectNoServerError([removed, ...answers]);
        expect(removed.status).toBe(200);
        expectOutcomesIn(of('create'), ['201', '401 INVALID_TOKEN', '401 TOKEN_REVOKED']);
        expectOutcomesIn(of('rotate'), [
          '201',
          '409 TOKEN_ALREADY_ROTATED',
          '401 INVALID_TOKEN',
          '401 TOKEN_REVOKED',
        ]);
        expectOutcomesIn(of('reissue'), ['201', '404 MEMBER_NOT_FOUND']);

        // The invariant: once the removal has answered, nothing of theirs is active.
        expect(await activeTokensOf(b.id, m.identityId)).toBe(0);
        const earlier = [m.token, kept.secret, rotatable.secret, ...secretsOf(answers)];
        await expectAllRefused(earlier, b.id);

        // Added again with the same email, they start clean: only the new first token works.
        const readded = await postMember(t, asOwner(b), { email: m.email, role: 'member' }).expect(
          201,
        );
        expect(readded.body.data.member.identity_id).toBe(m.identityId);
        const fresh = readded.body.data.first_token;
        await expectAllRefused(earlier, b.id);
        expect((await me(t, asMember(fresh.token as string, b.id))).status).toBe(200);
        const active = await t.sql<{ id: string }>(
          'SELECT id FROM api_tokens WHERE business_id = ? AND identity_id = ? AND revoked_at IS NULL',
          [b.id, m.identityId],
        );
        expect(active.map((r) => r.id)).toEqual([fresh.id]);

        // Fail closed: a token of the earlier membership that escaped revocation (made here by
        // hand) is still refused by the verifier and by introspection.
        await t.sql('UPDATE api_tokens SET revoked_at = NULL WHERE id = ?', [kept.id]);
        expectBearerError(await me(t, asMember(kept.secret, b.id)), 'INVALID_TOKEN');
        const introspected = await t
          .http()
          .post('/oauth2/introspect')
          .set(asBearer(b.ownerToken))
          .send({ token: kept.secret });
        expect({ status: introspected.status, body: introspected.body }).toEqual({
          status: 200,
          body: { active: false },
        });

        // This member now leaves for good; that removal revokes the escaped token as well.
        await removeMember(t, asOwner(b), m.identityId).expect(200);
        expect(await activeTokensOf(b.id, m.identityId)).toBe(0);
      }
    });
  });

  describe('deleting a machine identity while tokens are issued for it', () => {
    it(`leaves no active token of the machine (${MACHINE_ROUNDS.length} rounds)`, async () => {
      const b = await createBusiness(t);
      for (const [round, { stagger, at }] of MACHINE_ROUNDS.entries()) {
        const machine = await createMachine(t, b, 'admin');
        // The machine's own token: it issues for itself too, while it is deleted.
        const own = await createToken(t, asOwner(b), { identity_id: machine.id });

        const byOwner = (i: number) => ({
          kind: 'owner',
          send: () =>
            postToken(t, asMember(b.ownerToken, b.id), {
              name: `owner-${round}-${i}`,
              identity_id: machine.id,
            }),
        });
        const bySelf = (i: number) => ({
          kind: 'self',
          send: () => postToken(t, asMember(own.secret, b.id), { name: `self-${round}-${i}` }),
        });
        const issuers = [0, 1, 2].flatMap((i) => [byOwner(2 * i), byOwner(2 * i + 1), bySelf(i)]);
        const [deleted, ...answers] = await all([
          after(Math.round(at * issuers.length * stagger), () =>
            deleteMachine(t, asOwner(b), machine.id),
          ),
          ...issuers.map((issuer, i) => after(i * stagger, issuer.send)),
        ]);
        const of = (kind: string) => answers.filter((_, i) => issuers[i].kind === kind);

        expectNoServerError([deleted, ...answers]);
        expect(deleted.status).toBe(200);
        expectOutcomesIn(of('owner'), ['201', '404 IDENTITY_NOT_FOUND']);
        expectOutcomesIn(of('self'), ['201', '401 INVALID_TOKEN', '401 TOKEN_REVOKED']);

        expect(await activeTokensOf(b.id, machine.id)).toBe(0);
        await expectAllRefused([own.secret, ...secretsOf(answers)], b.id);
      }
    });
  });

  describe('a holder who keeps issuing, against their removal', () => {
    // Issuers share-lock the membership row. A few of them in a loop, overlapping, must not
    // hold off the removal that waits for that row: it answers 200 and leaves nothing active.
    const WORKERS = 4;
    const FLOOD_MS = 200;

    it.each(['member', 'machine'] as const)(
      'a %s issuing in a loop cannot hold off its removal',
      async (kind) => {
        const b = await createBusiness(t);
        let holder: { id: string; secret: string };
        let removalPath: string;
        if (kind === 'member') {
          const m = await addMember(t, b, 'member');
          holder = { id: m.identityId, secret: m.token };
          removalPath = `/api/v1/members/${m.identityId}`;
        } else {
          const machine = await createMachine(t, b, 'admin');
          const own = await createToken(t, asOwner(b), { identity_id: machine.id });
          holder = { id: machine.id, secret: own.secret };
          removalPath = `/api/v1/machine-identities/${machine.id}`;
        }

        let removalAnswered = false;
        const answers: Response[] = [];
        const flood = async () => {
          const deadline = patienceDeadline();
          while (!removalAnswered && Date.now() < deadline) {
            const res = await postToken(t, asMember(holder.secret, b.id), { name: 'flood' });
            answers.push(res);
            if (res.status !== 201) return;
          }
        };
        const workers = Array.from({ length: WORKERS }, () => flood());
        await sleep(FLOOD_MS);
        const removal = await t.http().delete(removalPath).set(asMember(b.ownerToken, b.id));
        removalAnswered = true;
        await Promise.all(workers);

        expect({
          removal: outcome(removal),
          active: await activeTokensOf(b.id, holder.id),
        }).toEqual({ removal: '200', active: 0 });
        expectOutcomesIn(answers, ['201', '401 INVALID_TOKEN', '401 TOKEN_REVOKED']);
        await expectAllRefused([holder.secret, ...secretsOf(answers)], b.id);
      },
    );
  });

  describe('concurrent revocations of one token', () => {
    const N = 20;

    it(`${N} at once (POST revoke and DELETE, holder and owner): one revocation, one event`, async () => {
      const b = await createBusiness(t);
      const m = await addMember(t, b, 'member');
      const token = await createToken(t, asMember(m.token, b.id));

      const answers = await all(
        Array.from({ length: N }, (_, i) => {
          const caller = i % 4 < 2 ? b.ownerToken : m.token;
          return i % 2 === 0
            ? revoke(t, asMember(caller, b.id), token.id, { reason: `race-${i}` })
            : deleteToken(t, asMember(caller, b.id), token.id);
        }),
      );

      expectNoServerError(answers);
      const posts = answers.filter((_, i) => i % 2 === 0);
      const deletes = answers.filter((_, i) => i % 2 === 1);
      expect(posts.map((r) => r.status)).toEqual(posts.map(() => 201));
      expect(deletes.map((r) => r.status)).toEqual(deletes.map(() => 200));
      const firsts = answers.filter((r) => r.body.code !== 'ALREADY_REVOKED');
      expect(firsts.map((r) => r.body.code)).toEqual([null]);

      // Every answer shows the one revocation that happened, and so does the database.
      const winner = firsts[0].body.data;
      for (const res of answers) {
        expect(res.body.data).toMatchObject({
          id: token.id,
          status: 'revoked',
          revoked_at: winner.revoked_at,
          revoked_by: winner.revoked_by,
          revocation_reason: winner.revocation_reason,
        });
      }
      const [row] = await t.sql<{ revoked_at: unknown; revocation_reason: string | null }>(
        'SELECT revoked_at, revocation_reason FROM api_tokens WHERE id = ?',
        [token.id],
      );
      expect(dbDate(row.revoked_at)!.toISOString()).toBe(winner.revoked_at);
      expect(row.revocation_reason).toBe(winner.revocation_reason);
      expect(await auditCount('token.revoked', token.id)).toBe(1);
      await expectAllRefused([token.secret], b.id);
    });
  });

  describe('two owners acting on each other at once', () => {
    type Act = 'demote' | 'remove';
    const act = (b: BusinessFixture, secret: string, targetId: string, how: Act) =>
      how === 'demote'
        ? patchMember(t, asMember(secret, b.id), targetId, { role: 'admin' })
        : removeMember(t, asMember(secret, b.id), targetId);

    const LOSER_OUTCOMES = [
      '409 LAST_OWNER',
      '401 INVALID_TOKEN',
      '401 TOKEN_REVOKED',
      '403 INSUFFICIENT_ROLE',
      '404 MEMBER_NOT_FOUND',
    ];

    it.each<[Act, Act]>([
      ['demote', 'demote'],
      ['remove', 'remove'],
      ['demote', 'remove'],
      ['remove', 'demote'],
    ])('one %s against one %s: exactly one wins, one owner remains', async (first, second) => {
      for (let round = 0; round < 3; round++) {
        const b = await createBusiness(t);
        const other = await addMember(t, b, 'owner');
        const answers = await all([
          act(b, b.ownerToken, other.identityId, first),
          act(b, other.token, b.ownerId, second),
        ]);

        expectNoServerError(answers);
        const owners = await t.sql<{ identity_id: string }>(
          "SELECT identity_id FROM memberships WHERE business_id = ? AND role = 'owner'",
          [b.id],
        );
        expect({
          winners: answers.filter((r) => r.status === 200).length,
          owners: owners.length,
        }).toEqual({ winners: 1, owners: 1 });
        const loser = answers.find((r) => r.status !== 200)!;
        expect(LOSER_OUTCOMES).toContain(outcome(loser));
        // The one who acted first is the owner who remains.
        const winnerId = answers[0].status === 200 ? b.ownerId : other.identityId;
        expect(owners.map((o) => o.identity_id)).toEqual([winnerId]);
        const winnerToken = winnerId === b.ownerId ? b.ownerToken : other.token;
        expect((await me(t, asMember(winnerToken, b.id))).body.data).toMatchObject({
          role: 'owner',
        });
      }
    });
  });

  describe('two platform admins removing each other at once', () => {
    // An app of its own: the bootstrap admin may lose, and the other suites need its token.
    let p: TestApp;
    beforeAll(async () => {
      p = await bootTestApp(driver, {
        TOKEN_CACHE_TTL_MS: '0',
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
      });
    });
    afterAll(() => p?.close());

    it('one wins, one platform admin remains, the removed one holds no live platform token', async () => {
      let survivor = {
        id: (await p.sql<{ id: string }>('SELECT id FROM identities WHERE is_platform_admin'))[0]
          .id,
        token: p.platformToken,
      };
      for (let round = 0; round < 4; round++) {
        const added = await postPlatformAdmin(p, asBearer(survivor.token), {
          email: `platform-race-${process.pid}-${round}@example.test`,
        }).expect(201);
        const newcomer = {
          id: added.body.data.admin.identity_id as string,
          token: added.body.data.first_token.token as string,
        };
        const pair = round % 2 === 0 ? [survivor, newcomer] : [newcomer, survivor];

        const answers = await all(
          pair.map((caller, i) => removePlatformAdmin(p, asBearer(caller.token), pair[1 - i].id)),
        );

        expectNoServerError(answers);
        // A boolean column is its own condition on both drivers (SQLite stores 1 or 0).
        const admins = await p.sql<{ id: string }>(
          'SELECT id FROM identities WHERE is_platform_admin',
        );
        expect({
          winners: answers.filter((r) => r.status === 200).length,
          admins: admins.length,
        }).toEqual({ winners: 1, admins: 1 });
        const loserAt = answers.findIndex((r) => r.status !== 200);
        expect([
          '409 LAST_PLATFORM_ADMIN',
          '401 INVALID_TOKEN',
          '401 TOKEN_REVOKED',
          '404 IDENTITY_NOT_FOUND',
        ]).toContain(outcome(answers[loserAt]));
        const winner = pair[1 - loserAt];
        const removed = pair[loserAt];
        expect(admins.map((a) => a.id)).toEqual([winner.id]);
        const live = await p.sql<{ n: unknown }>(
          `SELECT count(*) AS n FROM api_tokens
            WHERE business_id IS NULL AND identity_id = ? AND revoked_at IS NULL`,
          [removed.id],
        );
        expect(Number(live[0].n)).toBe(0);
        const refused = await listPlatformAdmins(p, asBearer(removed.token));
        expect(refused.status).toBe(401);
        await listPlatformAdmins(p, asBearer(winner.token)).expect(200);
        survivor = winner;
      }
    });
  });
});
