import { randomUUID } from 'node:crypto';
import {
  createBusiness,
  createMachine,
  createToken,
  type BusinessFixture,
} from '../../factories/tenancy.factory';
import {
  asMember,
  asOwner,
  me,
  postMember,
  postToken,
  reissueFirstToken,
  rotate,
  type Caller,
} from '../../harness/app/api';
import { expectError } from '../../harness/app/assertions';
import { cliInProcess } from '../../harness/app/cli';
import { bootTestApp, TestApp } from '../../harness/app/test-app';
import { PATIENCE_MS } from '../../harness/patience';
import { LEDGER_CASES, ledgerEnv } from './uses-ledgers';

/**
 * A bound on a hang, not a measure of speed: the fault this guards against froze every write for
 * good (a unit of work queued behind the one it ran in), while a healthy rotation from the CLI
 * took over 5 s at load 15.
 */
const ANSWER_WITHIN_MS = PATIENCE_MS;

/**
 * A token with uses_limit and the tokens that come of it: its successors take its count (never
 * more), it makes no other tokens (each would count uses of its own, and a family would be
 * served more than the maker's limit), and none of this ever holds the database: a rotation
 * answers, and every write after it answers, on both drivers and both ledgers.
 */
describe.each(LEDGER_CASES)(
  'A uses-limited token’s line on %s, counted in the %s',
  (driver, ledger) => {
    let t: TestApp;
    let b: BusinessFixture;
    beforeAll(async () => {
      t = await bootTestApp(driver, ledgerEnv(ledger));
      b = await createBusiness(t);
    });
    afterAll(() => t?.close());

    const limited = (caller: Caller = asOwner(b), body: object = {}) =>
      createToken(t, caller, { name: 'metered', uses_limit: 4, ...body });
    /** A write that must answer: a frozen write shows as this wait's timeout, not as jest's. */
    const writeAnswers = async () => {
      const res = await postToken(t, asOwner(b), { name: 'after' }).timeout(ANSWER_WITHIN_MS);
      expect(res.status).toBe(201);
    };

    it.each([0, 60])(
      'rotates (grace %i s) a token no request has spent yet, and every write still answers',
      async (grace) => {
        // The owner rotates; the limited token itself never authenticated, so no process holds
        // any of its uses and the count is read from the store.
        const tok = await limited();
        const res = await rotate(t, asOwner(b), tok.id, { grace_period_seconds: grace }).timeout(
          ANSWER_WITHIN_MS,
        );
        expect(res.status).toBe(201);
        expect(res.body.data).toMatchObject({ uses_limit: 4, uses_remaining: 4 });
        await writeAnswers();
        const next = res.body.data.token as string;
        await me(t, asMember(next, b.id)).expect(200);
      },
    );

    it('rotates such a token from the CLI, which prints the new secret', async () => {
      const tok = await limited();
      const run = cliInProcess(['tokens', 'rotate', tok.id], t.db.env);
      const result = await Promise.race([
        run,
        new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), ANSWER_WITHIN_MS)),
      ]);
      expect(result).not.toBe('hung');
      const { code, stdout, stderr } = result as Awaited<typeof run>;
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout.trim()).toMatch(/^lk_[0-9A-Za-z]{36}$/);
      await me(t, asMember(stdout.trim(), b.id)).expect(200);
      await writeAnswers();
    });

    it('rotates itself: the successor takes what is left, and so does the next', async () => {
      const tok = await limited(asOwner(b), { uses_limit: 6 });
      await me(t, asMember(tok.secret, b.id)).expect(200);
      const first = await rotate(t, asMember(tok.secret, b.id), tok.id).expect(201);
      // One use on /me, one on the rotation itself.
      expect(first.body.data).toMatchObject({ uses_limit: 6, uses_remaining: 4 });
      const secret = first.body.data.token as string;
      const second = await rotate(t, asMember(secret, b.id), first.body.data.id).expect(201);
      expect(second.body.data).toMatchObject({ uses_remaining: 3 });
    });

    type Attempt = (caller: Caller) => Promise<{ status: number; body: unknown }>;
    /**
     * Every way a calling token makes another, with a uses-limited admin token as the caller: each
     * is set up first (what it names exists), then attempted, and refused before anything is made,
     * so no count is ever split in two.
     */
    const MAKING: [string, () => Attempt | Promise<Attempt>][] = [
      ['a token of its own', () => (caller) => postToken(t, caller, { name: 'child' })],
      [
        'a token with uses of its own',
        () => (caller) => postToken(t, caller, { name: 'child', uses_limit: 1 }),
      ],
      [
        'a machine’s token',
        async () => {
          const machine = await createMachine(t, b);
          return (caller) => postToken(t, caller, { name: 'child', identity_id: machine.id });
        },
      ],
      [
        'a machine token’s successor',
        async () => {
          const machine = await createMachine(t, b);
          const tok = await createToken(t, asOwner(b), { name: 'm', identity_id: machine.id });
          return (caller) => rotate(t, caller, tok.id);
        },
      ],
      [
        'a new member’s first token',
        () => (caller) =>
          postMember(t, caller, { email: `${randomUUID()}@example.test`, role: 'member' }),
      ],
      [
        'a re-issued first token',
        async () => {
          const added = await postMember(t, asOwner(b), {
            email: `${randomUUID()}@example.test`,
            role: 'member',
          }).expect(201);
          const id = added.body.data.member.identity_id as string;
          return (caller) => reissueFirstToken(t, caller, id);
        },
      ],
    ];

    it.each(MAKING)(
      'refuses a uses-limited token making %s (403 MAKER_HAS_USES_LIMIT), and makes nothing',
      async (_, setUp) => {
        const admin = await postMember(t, asOwner(b), {
          email: `${randomUUID()}@example.test`,
          role: 'admin',
        }).expect(201);
        const adminToken = admin.body.data.first_token.token as string;
        const tok = await limited(asMember(adminToken, b.id));
        const attempt = await setUp();
        const tokens = async () =>
          Number((await t.sql('SELECT COUNT(*) AS n FROM api_tokens'))[0].n);
        const before = await tokens();
        const res = await attempt(asMember(tok.secret, b.id));
        expectError(res as never, 403, 'MAKER_HAS_USES_LIMIT');
        expect(await tokens()).toBe(before);
      },
    );

    it('serves a uses-limited token exactly its limit, however it tries to make more', async () => {
      const tok = await limited();
      const caller = asMember(tok.secret, b.id);
      let served = 0;
      for (let i = 0; i < 8; i++) {
        const res = await postToken(t, caller, { name: 'child' });
        if (res.status !== 429) served += 1;
        expect([403, 429]).toContain(res.status);
      }
      // Each refused making still spent a use: the request was served, its answer a refusal.
      expect(served).toBe(4);
      expectError(await me(t, caller), 429, 'USES_EXHAUSTED');
    });
  },
);
