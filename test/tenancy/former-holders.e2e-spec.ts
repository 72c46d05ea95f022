import {
  addMember,
  createMachine,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, Caller, deleteMachine, removeMember } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

interface Name {
  id: string;
  kind: string;
  label: string;
  deleted: boolean;
}

/**
 * GET /api/v1/former-holders: who held the business's tokens and is no member now, so the
 * console names old tokens' holders. Only its own business's, and only to whom may list members.
 */
describe.each(DRIVERS)('former holders on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => (t = await bootTestApp(driver)));
  afterAll(() => t?.close());

  const former = (caller: Caller) => t.http().get('/api/v1/former-holders').set(caller);

  it('names a removed member and a deleted machine, and no current member', async () => {
    const biz = await createUnexpiringBusiness(t);
    const gone = await addMember(t, biz);
    const stays = await addMember(t, biz);
    await createToken(t, asMember(gone.token, biz.id), { name: 'leaver' });
    await createToken(t, asMember(stays.token, biz.id), { name: 'stayer' });
    const robot = await createMachine(t, biz);
    await createToken(t, asOwner(biz), { name: 'robot', identity_id: robot.id });
    expect((await former(asOwner(biz)).expect(200)).body.data.items).toEqual([]);

    await removeMember(t, asOwner(biz), gone.identityId).expect(200);
    await deleteMachine(t, asOwner(biz), robot.id).expect(200);

    const items = (await former(asOwner(biz)).expect(200)).body.data.items as Name[];
    const byId = new Map(items.map((n) => [n.id, n]));
    expect(byId.get(gone.identityId)).toMatchObject({
      kind: 'user',
      label: gone.email,
      deleted: false,
    });
    expect(byId.get(robot.id)).toMatchObject({ kind: 'machine', label: robot.name, deleted: true });
    expect(items).toHaveLength(2);
  });

  it("tells no other business's former holders, and nobody who may not list members", async () => {
    const biz = await createUnexpiringBusiness(t);
    const other = await createUnexpiringBusiness(t);
    const theirs = await addMember(t, other);
    await createToken(t, asMember(theirs.token, other.id), { name: 'elsewhere' });
    await removeMember(t, asOwner(other), theirs.identityId).expect(200);
    const mine = (await former(asOwner(biz)).expect(200)).body.data.items as Name[];
    expect(mine.map((n) => n.id)).not.toContain(theirs.identityId);

    const member = await addMember(t, biz, 'member');
    expectError(await former(asMember(member.token, biz.id)), 403, 'INSUFFICIENT_ROLE');
    const narrow = await createToken(t, asOwner(biz), { name: 'narrow', scopes: [] });
    expectError(await former(asMember(narrow.secret, biz.id)), 403, 'INSUFFICIENT_SCOPE');
    expectError(
      await former({ ...asOwner(biz), 'x-business-id': other.id }),
      403,
      'BUSINESS_MISMATCH',
    );
  });
});
