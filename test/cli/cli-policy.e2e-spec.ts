import { randomUUID } from 'node:crypto';
import { TOKEN_POLICY } from '../../src/tokens/policy/token-policy';
import { TOKEN_ACTIONS, TokenAction } from '../../src/tokens/policy/token-policy-terms';
import { addMember, createBusiness, createMachine } from '../factories/tenancy.factory';
import { asBearer, asMember, listPlatformAdmins, me } from '../harness/app/api';
import { ok } from '../harness/app/cli';
import {
  Attempt,
  casesOf,
  Command,
  expectAllowed,
  expectRefused,
  expectRevoked,
  expectStatus,
  forNewPerson,
  freshEmail,
  holderOf,
  json,
  noSelf,
  Person,
  PersonRole,
  removedMembersToken,
  SECRET,
  SECRET_LINE,
  tokenOf,
  tokenRow,
  World,
} from './cli-policy';
import { tokensDisable, tokensEnable, tokensUpdate } from './cli-policy-edits';
import { bootTestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * Every `cli` cell of TOKEN_POLICY, run through the built CLI as the operator runs it: one
 * process per attempt, against a live app's database, with `decide(action, CLI_CALLER, target)`
 * as the oracle. An allowed cell must exit 0 and do what it says (the new secret works, the old
 * token is revoked, the write is audited with origin "cli"); a refused one must exit 1, print
 * nothing on stdout, name its code on stderr, and change nothing. A cell the table marks `—`
 * (cannot arise) must be out of the command's reach: the case proves that, and a command that
 * can reach it fails here, as does a cell the table allows that no command can name.
 */

// ------------------------------------------------------------------------------------------------
// The commands, one or more per action with a cli row.

const tokensCreate: Command = {
  action: 'issue',
  name: 'tokens create',
  hiddenAs: 'MEMBER_NOT_FOUND',
  arrange(w, target) {
    const create = (email: string) => [
      'tokens',
      'create',
      '--business',
      w.biz.id,
      '--email',
      email,
      '--name',
      'cli-policy',
    ];
    switch (target) {
      case 'self':
        return Promise.resolve(noSelf(w));
      case 'machine':
        return Promise.resolve({
          unreachable: 'tokens create names the holder by --email, and a machine has none',
          async prove() {
            const [row] = await w.t.sql('SELECT kind, email FROM identities WHERE id = ?', [
              w.machine.id,
            ]);
            expect(row).toEqual({ kind: 'machine', email: null });
            // The nearest an operator can come: the machine's name where the email goes.
            await expectRefused(w, { args: create(w.machine.name) }, '  email: ');
          },
        });
      case 'owner':
      case 'admin':
      case 'member': {
        const person = w.people[target];
        return Promise.resolve([{ args: create(person.email), holderId: person.id }]);
      }
      case 'unknown':
        // A real person of another business, and an email nobody has.
        return Promise.resolve([
          { args: create(w.outsider.email) },
          { args: create(freshEmail('nobody')) },
        ]);
    }
  },
  async expectDone(w, attempt, run) {
    expect(run.stdout).toMatch(SECRET_LINE);
    const res = await me(w.t, asMember(run.stdout.trim(), w.biz.id));
    expectStatus(res, 200);
    expect(res.body.data.identity.id).toBe(attempt.holderId);
    const tokenId = res.body.data.token.id as string;
    expect(await tokenRow(w.t, tokenId)).toMatchObject({
      identity_id: attempt.holderId,
      business_id: w.biz.id,
      name: 'cli-policy',
      created_by: 'cli',
      created_by_id: null,
    });
    return { event: 'token.created', targetId: tokenId };
  },
};

const tokensRotate: Command = {
  action: 'rotate',
  name: 'tokens rotate',
  hiddenAs: 'TOKEN_NOT_FOUND',
  async arrange(w, target) {
    const rotate = (id: string) => ['tokens', 'rotate', id];
    switch (target) {
      case 'self':
        return noSelf(w);
      case 'machine':
      case 'owner':
      case 'admin':
      case 'member': {
        const token = await tokenOf(w, target);
        return [{ args: rotate(token.id), token, holderId: holderOf(w, target) }];
      }
      case 'unknown': {
        // An id that names no token, and a removed member's token: past the policy, the
        // latter would be TOKEN_NOT_ACTIVE, which would confirm the id.
        const gone = await removedMembersToken(w);
        return [{ args: rotate(randomUUID()) }, { args: rotate(gone.id), token: gone }];
      }
    }
  },
  async expectDone(w, attempt, run) {
    const old = attempt.token!;
    expect(run.stdout).toMatch(SECRET_LINE);
    const res = await me(w.t, asMember(run.stdout.trim(), w.biz.id));
    expectStatus(res, 200);
    expect(res.body.data.identity.id).toBe(attempt.holderId);
    expect(res.body.data.token.rotated_from_id).toBe(old.id);
    expect(await tokenRow(w.t, old.id)).toMatchObject({
      revoked_by: 'cli',
      revocation_reason: 'rotated',
      revoked_at: expect.anything(),
    });
    await expectRevoked(w, old.secret);
    return { event: 'token.rotated', targetId: old.id };
  },
};

/** `tokens revoke`, by id in argv or by value on stdin: the same cells, two ways to name them. */
function tokensRevoke(form: 'by id' | 'by value'): Command {
  const attempt = (token: { id: string; secret: string }): Pick<Attempt, 'args' | 'input'> =>
    form === 'by id'
      ? { args: ['tokens', 'revoke', token.id, '--reason', 'cli policy'] }
      : { args: ['tokens', 'revoke', '--reason', 'cli policy'], input: `${token.secret}\n` };
  return {
    action: 'revoke',
    name: 'tokens revoke',
    form,
    // A value never confirms that a token exists: an unknown one is INVALID_TOKEN.
    hiddenAs: form === 'by id' ? 'TOKEN_NOT_FOUND' : 'INVALID_TOKEN',
    async arrange(w, target) {
      switch (target) {
        case 'self':
          return noSelf(w);
        case 'machine':
        case 'owner':
        case 'admin':
        case 'member': {
          const token = await tokenOf(w, target);
          return [{ ...attempt(token), token, holderId: holderOf(w, target) }];
        }
        case 'unknown': {
          // Well formed, and naming no token.
          const nobody = { id: randomUUID(), secret: `lk_${randomUUID().replace(/-/g, '')}zzzz` };
          return [attempt(nobody)];
        }
      }
    },
    async expectDone(w, { token }, run) {
      expect(run.stdout).not.toContain(token!.secret);
      expect(json(run.stdout)).toMatchObject({
        id: token!.id,
        status: 'revoked',
        revoked_by: 'cli',
        revocation_reason: 'cli policy',
      });
      expect((await tokenRow(w.t, token!.id))?.revoked_at).not.toBeNull();
      await expectRevoked(w, token!.secret);
      return { event: 'token.revoked', targetId: token!.id };
    },
  };
}

const membersAdd: Command = {
  action: 'add_member',
  name: 'members add',
  hiddenAs: 'MEMBER_NOT_FOUND',
  arrange(w, target) {
    const add = (email: string, role: string) => [
      'members',
      'add',
      '--business',
      w.biz.id,
      '--email',
      email,
      '--role',
      role,
    ];
    switch (target) {
      case 'owner':
      case 'admin':
      case 'member': {
        const email = freshEmail(target);
        return Promise.resolve([{ args: add(email, target), email }]);
      }
      case 'self':
      case 'machine':
      case 'unknown':
        // The target of add_member is the role given, and only owner, admin and member are roles.
        return Promise.resolve({
          unreachable: `members add names a role, and ${target} is none`,
          prove: () => expectRefused(w, { args: add(freshEmail(target), target) }, '  role: '),
        });
    }
  },
  async expectDone(w, attempt, run, target) {
    const added = json<{
      member: { identity_id: string; email: string; role: string };
      first_token: { token: string };
    }>(run.stdout);
    expect(added.member).toMatchObject({ email: attempt.email, role: target });
    expect(added.first_token.token).toMatch(SECRET);
    const res = await me(w.t, asMember(added.first_token.token, w.biz.id));
    expectStatus(res, 200);
    expect(res.body.data).toMatchObject({
      identity: { id: added.member.identity_id },
      role: target,
    });
    return { event: 'member.added', targetId: added.member.identity_id };
  },
};

const businessesCreate: Command = {
  action: 'create_business',
  name: 'businesses create',
  hiddenAs: 'NOT_FOUND',
  arrange: forNewPerson('businesses create', 'owner', 'new-owner', (email) => [
    'businesses',
    'create',
    '--name',
    `cli policy ${email}`,
    '--owner-email',
    email,
  ]),
  async expectDone(w, attempt, run) {
    const created = json<{
      business: { id: string };
      owner: { identity_id: string; email: string; role: string };
      first_token: { token: string };
    }>(run.stdout);
    expect(created.owner).toMatchObject({ email: attempt.email, role: 'owner' });
    const res = await me(w.t, asMember(created.first_token.token, created.business.id));
    expectStatus(res, 200);
    expect(res.body.data).toMatchObject({
      identity: { id: created.owner.identity_id },
      business: { id: created.business.id },
      role: 'owner',
    });
    return { event: 'business.created', targetId: created.business.id };
  },
};

const bootstrap: Command = {
  action: 'add_platform_admin',
  name: 'bootstrap',
  hiddenAs: 'NOT_FOUND',
  arrange: forNewPerson('bootstrap', 'admin', 'new-platform-admin', (email) => [
    'bootstrap',
    '--email',
    email,
  ]),
  async expectDone(w, attempt, run) {
    expect(run.stdout).toMatch(SECRET_LINE);
    const res = await listPlatformAdmins(w.t, asBearer(run.stdout.trim()), { limit: 200 });
    expectStatus(res, 200);
    const admin = (res.body.data.items as { identity_id: string; email: string }[]).find(
      (a) => a.email === attempt.email,
    );
    expect(admin).toBeDefined();
    return { event: 'identity.platform_admin_added', targetId: admin!.identity_id };
  },
};

/** Every action's CLI commands: a Record, so that an action added to the table must say. */
const COMMANDS: Record<TokenAction, readonly Command[]> = {
  issue: [tokensCreate],
  rotate: [tokensRotate],
  rename: [tokensUpdate],
  revoke: [tokensRevoke('by id'), tokensRevoke('by value')],
  disable: [tokensDisable],
  enable: [tokensEnable],
  reissue: [],
  add_member: [membersAdd],
  create_business: [businessesCreate],
  add_platform_admin: [bootstrap],
};

// The CLI runs in-process (test/harness/app/cli.ts): the program the built CLI runs, without its
// process; about 30 runs a driver.
jest.setTimeout(240_000);

describe('the CLI commands of TOKEN_POLICY', () => {
  it('are here for every action with a cli row, and only for those', () => {
    const mismatched = TOKEN_ACTIONS.map((action) => {
      const rule = TOKEN_POLICY[action];
      const commands = COMMANDS[action];
      return {
        action,
        row: rule.cells.cli !== undefined,
        commands: commands.length > 0,
        inRoutes: commands.every((c) => rule.routes.includes(`cli ${c.name}`)),
        routesNameCli: /(^|, )cli /.test(rule.routes),
      };
    }).filter((a) => !(a.row === a.commands && a.inRoutes && a.row === a.routesNameCli));
    expect(mismatched).toEqual([]);
  });
});

describe.each(DRIVERS)('the cli row of TOKEN_POLICY on %s, through the built CLI', (driver) => {
  const w = {} as World;

  beforeAll(async () => {
    w.t = await bootTestApp(driver, {
      TOKEN_CACHE_TTL_MS: '0',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
    });
    w.env = w.t.db.env;
    const ownerEmail = freshEmail('founder');
    const made = json<{
      business: { id: string };
      owner: { identity_id: string };
      first_token: { token: string };
    }>(
      await ok(
        ['businesses', 'create', '--name', 'cli policy', '--owner-email', ownerEmail],
        w.env,
      ),
    );
    w.biz = {
      id: made.business.id,
      ownerId: made.owner.identity_id,
      ownerEmail,
      ownerToken: made.first_token.token,
    };
    const person = async (role: PersonRole): Promise<Person> => {
      const m = await addMember(w.t, w.biz, role);
      return { id: m.identityId, email: m.email, token: m.token };
    };
    w.people = {
      owner: await person('owner'),
      admin: await person('admin'),
      member: await person('member'),
    };
    w.machine = await createMachine(w.t, w.biz, 'member');
    const other = await createBusiness(w.t);
    w.outsider = { id: other.ownerId, email: other.ownerEmail, token: other.ownerToken };
  });
  afterAll(() => w.t.close());

  const commands = TOKEN_ACTIONS.flatMap((action) => COMMANDS[action]).map((command) => ({
    command,
    title: `${command.action}: cli ${command.name}${command.form ? ` (${command.form})` : ''}`,
  }));

  describe.each(commands)('$title', ({ command }) => {
    it.each(casesOf(command))('$name', async (c) => {
      const arranged = await command.arrange(w, c.target);
      if (c.verdict === 'none') {
        if (Array.isArray(arranged)) {
          throw new Error(
            `The table says cli ${command.name} on ${c.target} cannot arise, but the CLI ` +
              `reaches it: ${arranged.map((a) => a.args.join(' ')).join('; ')}`,
          );
        }
        await arranged.prove();
        return;
      }
      if (!Array.isArray(arranged)) {
        throw new Error(
          `The table gives ${c.verdict} for cli ${command.name} on ${c.target}, but the ` +
            `command cannot name it: ${arranged.unreachable}`,
        );
      }
      const { expected } = c;
      for (const attempt of arranged) {
        if (expected.allowed) {
          await expectAllowed(w, command, attempt, c.target);
        } else {
          const code = expected.status === 404 ? command.hiddenAs : expected.code;
          await expectRefused(w, attempt, `(${code})`);
        }
      }
    });
  });
});
