import { randomUUID } from 'node:crypto';
import { addMember, createBusiness, createMachine } from '../factories/tenancy.factory';
import { asOwner, asPlatform, deleteMachine } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * GET /platform/v1/identities: names for identity ids across businesses, so the console's list
 * of every token shows each holder by email or machine name. Platform tokens only.
 */
describe.each(DRIVERS)('naming identities on %s', (driver) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootTestApp(driver);
  });
  afterAll(() => t?.close());

  const names = (ids: string[], caller = asPlatform(t)) =>
    t.http().get('/platform/v1/identities').query({ id: ids }).set(caller);

  it('names people by email and machines by name, in any business; unknown ids are left out', async () => {
    const a = await createBusiness(t);
    const b = await createBusiness(t);
    const member = await addMember(t, a, 'member');
    const machine = await createMachine(t, b, 'member');
    const gone = await createMachine(t, b, 'member');
    await deleteMachine(t, asOwner(b), gone.id).expect(200);

    const res = await names([member.identityId, machine.id, gone.id, randomUUID()]);
    expect(res.status).toBe(200);
    const byId = new Map((res.body.data.items as { id: string }[]).map((item) => [item.id, item]));
    expect(byId.size).toBe(3);
    expect(byId.get(member.identityId)).toEqual({
      id: member.identityId,
      kind: 'user',
      label: member.email,
      business_id: null,
      deleted: false,
    });
    expect(byId.get(machine.id)).toEqual({
      id: machine.id,
      kind: 'machine',
      label: machine.name,
      business_id: b.id,
      deleted: false,
    });
    expect(byId.get(gone.id)).toMatchObject({ kind: 'machine', deleted: true });
    // One id alone arrives as a string, not a list.
    const one = await names([member.identityId]);
    expect(one.body.data.items).toHaveLength(1);
  });

  it('is for platform tokens only: a business owner is refused, and learns nothing', async () => {
    const a = await createBusiness(t);
    const other = await createBusiness(t);
    const res = await names([other.ownerId], asOwner(a));
    expectError(res, 403, 'PLATFORM_ADMIN_REQUIRED');
    expect(JSON.stringify(res.body)).not.toContain(other.ownerEmail);
  });

  it('refuses no id, a malformed one, and more than 200 (422 naming the field)', async () => {
    expectError(
      await t.http().get('/platform/v1/identities').set(asPlatform(t)),
      422,
      'VALIDATION_ERROR',
    );
    const bad = await names(['not-a-uuid']);
    expectError(bad, 422, 'VALIDATION_ERROR');
    expect(bad.body.detail[0].loc).toEqual(['query', 'id']);
    expectError(
      await names(Array.from({ length: 201 }, () => randomUUID())),
      422,
      'VALIDATION_ERROR',
    );
  });
});
