import { roleAtLeast } from '../../src/auth/roles';
import { BUILT_IN_SCOPES, scopeCovers } from '../../src/auth/scopes';
import {
  addMember,
  BusinessFixture,
  createMachine,
  createToken,
  createUnexpiringBusiness,
  MemberFixture,
} from '../factories/tenancy.factory';
import {
  asMember,
  asOwner,
  patchMember,
  postMember,
  postToken,
  renameToken,
  rotate,
} from '../harness/app/api';
import { cliInProcess } from '../harness/app/cli';
import { tokenIdOf } from '../harness/app/db';
import { putPolicy } from '../harness/app/token-policy';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { sample } from '../harness/sampling';
import { DRIVERS } from '../setup/servers';
import { uniqueEmail } from '../factories/unique';

/**
 * A member's token never holds an admin built-in, on every path that works a token's scopes out
 * for it rather than being told them: a business policy's `allowed_scopes` given to a token that
 * asked for none (first tokens, re-issued ones, a member's own, a machine's, the CLI's), a
 * rotated token's scopes, and a narrowing PATCH. Each row is a policy naming one built-in (or a
 * wildcard over some) beside `deploy:*`; what each role keeps of it comes from the code's own
 * table of built-ins (`BUILT_IN_SCOPES`), so a built-in added there is tried here.
 */
const ALL_NAMED = [
  ...Object.keys(BUILT_IN_SCOPES),
  'audit:*',
  'members:*',
  'webhooks:*',
  'tokens:*',
];

/** A member may hold `scope` when every built-in it covers is a member's. */
const memberMayHold = (scope: string) =>
  Object.entries(BUILT_IN_SCOPES).every(
    ([builtIn, least]) => !scopeCovers(scope, builtIn) || roleAtLeast('member', least),
  );

/**
 * Every row in `npm run test:full`; in `npm test`, each scope a member may hold (the rows that
 * must keep it) and a seeded sample of those it may not, which all take the one path of refusal.
 */
const NAMED = sample('a policy allowing deploy:* and a named scope', ALL_NAMED, 4, {
  always: memberMayHold,
  testsPerRow: 8,
});

const email = () => uniqueEmail('within-role');

describe.each(DRIVERS)('scopes within the holder’s role, on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver);
  });
  afterAll(() => t?.close());

  /** The scopes stored on a token row. */
  const rowScopes = async (where: string, id: string) => {
    const [row] = await t.sql<{ scopes: string | null }>(
      `SELECT scopes FROM api_tokens WHERE ${where} = ?`,
      [id],
    );
    return row.scopes === null ? null : (JSON.parse(row.scopes) as string[]);
  };

  describe.each(NAMED)('a policy allowing deploy:* and %s', (named) => {
    const policy = { allowed_scopes: ['deploy:*', named] };
    const full = ['deploy:*', named];
    const forMember = memberMayHold(named) ? full : ['deploy:*'];
    let biz: BusinessFixture;
    let member: MemberFixture;
    /** The member's own unrestricted token, made before the policy: re-issue leaves it be. */
    let asIt: Record<string, string>;
    /** Unrestricted tokens made before the policy, each rotated once below. */
    let memberOld: string;
    let machineOld: string;
    let cliOld: string;
    let memberMachine: string;

    beforeAll(async () => {
      biz = await createUnexpiringBusiness(t);
      member = await addMember(t, biz, 'member');
      asIt = asMember(member.token, biz.id);
      asIt = asMember((await createToken(t, asIt, { name: 'working' })).secret, biz.id);
      memberOld = (await createToken(t, asIt, { name: 'old' })).id;
      cliOld = (await createToken(t, asIt, { name: 'old-cli' })).id;
      memberMachine = (await createMachine(t, biz, 'member')).id;
      machineOld = (await createToken(t, asOwner(biz), { identity_id: memberMachine })).id;
      expect((await rowScopes('id', memberOld)) ?? 'none').toBe('none');
      await putPolicy(t, asOwner(biz), policy).expect(200);
    });

    it('a new member’s first token loses it; an admin’s keeps it', async () => {
      const asRole = (role: string) => postMember(t, asOwner(biz), { email: email(), role });
      const added = await asRole('member').expect(201);
      expect(added.body.data.first_token.scopes).toEqual(forMember);
      const admin = await asRole('admin').expect(201);
      expect(admin.body.data.first_token.scopes).toEqual(full);
    });

    it('a re-issued first token loses it', async () => {
      const res = await t
        .http()
        .post(`/api/v1/members/${member.identityId}/token`)
        .set(asOwner(biz))
        .send({})
        .expect(201);
      expect(res.body.data.scopes).toEqual(forMember);
    });

    it('a member’s own token asked with no scopes loses it; asked for by name, refused', async () => {
      const made = await createToken(t, asIt, { name: 'mine' });
      expect(made.view.scopes).toEqual(forMember);
      const asked = await postToken(t, asIt, { name: 'asked', scopes: [named] });
      expect(asked.status).toBe(memberMayHold(named) ? 201 : 403);
      if (asked.status === 403) expect(asked.body.code).toBe('SCOPE_ESCALATION');
    });

    it('a member machine’s token loses it, asked for by name is refused; an admin machine’s keeps it', async () => {
      const forMachine = { name: 'm', identity_id: memberMachine };
      const made = await createToken(t, asOwner(biz), forMachine);
      expect(made.view.scopes).toEqual(forMember);
      const asked = await postToken(t, asOwner(biz), { ...forMachine, scopes: [named] });
      expect(asked.status).toBe(memberMayHold(named) ? 201 : 403);
      if (asked.status === 403) expect(asked.body.code).toBe('SCOPE_ESCALATION');
      const adminMachine = (await createMachine(t, biz, 'admin')).id;
      const admins = await createToken(t, asOwner(biz), { name: 'a', identity_id: adminMachine });
      expect(admins.view.scopes).toEqual(full);
    });

    it('rotation of an unrestricted token made before the policy: the successor loses it', async () => {
      const own = await rotate(t, asIt, memberOld).expect(201);
      expect(own.body.data.scopes).toEqual(forMember);
      const machines = await rotate(t, asOwner(biz), machineOld).expect(201);
      expect(machines.body.data.scopes).toEqual(forMember);
    });

    it('a narrowing PATCH never gives a member’s token an admin built-in', async () => {
      const before = (await createToken(t, asIt, { name: 'wide', scopes: ['deploy:*'] })).id;
      await t.sql('UPDATE api_tokens SET scopes = NULL WHERE id = ?', [before]);
      const res = await renameToken(t, asIt, before, { scopes: [named] });
      expect(res.status).toBe(memberMayHold(named) ? 200 : 403);
      if (res.status === 403) expect(res.body.code).toBe('SCOPE_ESCALATION');
      expect(await rowScopes('id', before)).toEqual(memberMayHold(named) ? [named] : null);
    });

    it('a token an admin made before being demoted: held to the member role, and rotated within it', async () => {
      const admin = await addMember(t, biz, 'admin');
      const asAdmin = asMember(admin.token, biz.id);
      const made = await createToken(t, asAdmin, { scopes: [named, 'deploy:x'] });
      await patchMember(t, asOwner(biz), admin.identityId, { role: 'member' }).expect(200);
      const verify = await t
        .http()
        .get('/auth/verify')
        .set('authorization', `Bearer ${made.secret}`)
        .set('x-latchkey-require-scope', named);
      expect(verify.status).toBe(memberMayHold(named) ? 204 : 403);
      const rotated = await rotate(t, asMember(made.secret, biz.id), made.id).expect(201);
      const kept = memberMayHold(named) ? [named, 'deploy:x'] : ['deploy:x'];
      expect(rotated.body.data.scopes).toEqual(kept);
    });

    it('the CLI: tokens create, members add and tokens rotate for a member lose it; --scopes naming it is refused', async () => {
      const env = t.db.env;
      const asMemberArgs = ['--business', biz.id, '--email', member.email];
      const made = await cliInProcess(['tokens', 'create', ...asMemberArgs, '--name', 'c'], env);
      expect(made.code).toBe(0);
      expect(await rowScopes('id', await tokenIdOf(t, made.stdout.trim()))).toEqual(forMember);
      const asked = await cliInProcess(
        ['tokens', 'create', ...asMemberArgs, '--name', 'c', '--scopes', named],
        env,
      );
      expect(asked.code).toBe(memberMayHold(named) ? 0 : 1);
      if (asked.code !== 0) expect(asked.stderr).toContain('SCOPE_ESCALATION');
      const added = await cliInProcess(
        ['members', 'add', '--business', biz.id, '--email', email(), '--role', 'member'],
        env,
      );
      expect(added.code).toBe(0);
      const firstToken = (JSON.parse(added.stdout) as { first_token: { token: string } })
        .first_token.token;
      expect(await rowScopes('id', await tokenIdOf(t, firstToken))).toEqual(forMember);
      const rotated = await cliInProcess(['tokens', 'rotate', cliOld], env);
      expect(rotated.code).toBe(0);
      expect(await rowScopes('rotated_from_id', cliOld)).toEqual(forMember);
    });
  });
});
