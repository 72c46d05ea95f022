import type { Response } from 'supertest';
import { InvalidationMessage, RevocationBus } from '../../../src/bus/revocation-bus';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createMachine,
  createToken,
  IssuedToken,
} from '../../factories/tenancy.factory';
import {
  asMember,
  asOwner,
  Caller,
  listAuditEvents,
  me,
  patchMember,
  revoke,
} from '../../harness/app/api';
import { expectBearerError, expectError } from '../../harness/app/assertions';
import { bootTestApp, TestApp } from '../../harness/app/test-app';
import { expectValidation } from '../../harness/app/token-checks';
import { DRIVERS } from '../../setup/servers';

/**
 * Pausing a token with its children (`include_children`): every active token that descends from
 * it (made with it, made with those, their successors, through tokens revoked on the way) is
 * paused in the same transaction, audited one by one, and evicted everywhere; without the
 * option, and on resume, the children are left alone. Who may pause what is the token policy's
 * `disable` row, token by token. Races, the bound and the CLI: token-pause-family-races.e2e-spec.ts.
 * Across instances: token-pause-instances.e2e-spec.ts.
 */
describe.each(DRIVERS)('Pausing a token with its children on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    // A long TTL: "refused at once" must come from eviction, not from the cache running out.
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '10000' });
  });
  afterAll(() => t?.close());

  const disable = (caller: Caller, id: string, body: object = {}) =>
    t.http().post(`/api/v1/tokens/${id}/disable`).set(caller).send(body);
  const withChildren = (caller: Caller, id: string, reason = 'compromised') =>
    disable(caller, id, { reason, include_children: true });
  const enable = (caller: Caller, id: string) =>
    t.http().post(`/api/v1/tokens/${id}/enable`).set(caller).send({});
  const as = (tok: IssuedToken, b: BusinessFixture) => asMember(tok.secret, b.id);
  const row = async (id: string) =>
    (await t.sql<Record<string, unknown>>('SELECT * FROM api_tokens WHERE id = ?', [id]))[0];
  const expectServed = async (b: BusinessFixture, ...toks: IssuedToken[]) => {
    for (const tok of toks)
      expect({ [tok.view.name]: (await me(t, as(tok, b))).status }).toEqual({
        [tok.view.name]: 200,
      });
  };
  const expectPaused = async (b: BusinessFixture, ...toks: IssuedToken[]) => {
    for (const tok of toks) expectBearerError(await me(t, as(tok, b)), 'TOKEN_DISABLED');
  };
  const pausedIds = (res: Response) => [...(res.body.data.children.token_ids as string[])].sort();
  const ids = (...toks: IssuedToken[]) => toks.map((tok) => tok.id).sort();

  async function busMessages(work: () => Promise<void>): Promise<InvalidationMessage[]> {
    const seen: InvalidationMessage[] = [];
    const unsubscribe = t.app.get(RevocationBus).subscribe((m) => seen.push(m));
    try {
      await work();
    } finally {
      unsubscribe();
    }
    return seen;
  }

  /** A root token of the owner, with children, a grandchild, a machine's and a successor. */
  async function family(b: BusinessFixture) {
    const root = await createToken(t, asOwner(b), { name: 'root' });
    const child = await createToken(t, as(root, b), { name: 'child' });
    const grandchild = await createToken(t, as(child, b), { name: 'grandchild' });
    const machine = await createMachine(t, b);
    const machines = await createToken(t, as(root, b), {
      name: 'machines',
      identity_id: machine.id,
    });
    // A child that rotated itself: the successor stands in its place in the family.
    const rotating = await createToken(t, as(root, b), { name: 'rotating' });
    const rotated = await t
      .http()
      .post(`/api/v1/tokens/${rotating.id}/rotate`)
      .set(as(rotating, b))
      .send({})
      .expect(201);
    const successor: IssuedToken = {
      id: rotated.body.data.id,
      jti: rotated.body.data.jti,
      secret: rotated.body.data.token,
      view: rotated.body.data,
    };
    // A child revoked after it made a token: what it made still descends from the root.
    const revokedChild = await createToken(t, as(root, b), { name: 'revoked-child' });
    const orphan = await createToken(t, as(revokedChild, b), { name: 'orphan' });
    await revoke(t, asOwner(b), revokedChild.id, { reason: 'gone' }).expect(201);
    const outsider = await createToken(t, asOwner(b), { name: 'outsider' });
    return { root, child, grandchild, machines, successor, orphan, outsider };
  }

  it('pauses the root and every active descendant, each evicted, audited and refused at once', async () => {
    const b = await createBusiness(t);
    const f = await family(b);
    const descendants = [f.child, f.grandchild, f.machines, f.successor, f.orphan];
    await expectServed(b, f.root, ...descendants);

    let res: Response | undefined;
    const published = await busMessages(async () => {
      res = await withChildren(asOwner(b), f.root.id);
    });
    expect({ status: res!.status, code: res!.body.code }).toEqual({ status: 200, code: null });
    expect(res!.body.data).toMatchObject({ id: f.root.id, disabled_reason: 'compromised' });
    expect(res!.body.data.children.paused).toBe(descendants.length);
    expect(pausedIds(res!)).toEqual(ids(...descendants));

    await expectPaused(b, f.root, ...descendants);
    await expectServed(b, f.outsider);
    expect(await me(t, asOwner(b))).toHaveProperty('status', 200);
    for (const tok of descendants) {
      expect(await row(tok.id)).toMatchObject({ disabled_reason: 'compromised', revoked_at: null });
      expect(published).toContainEqual({ type: 'token.changed', business_id: b.id, jti: tok.jti });
    }
    expect(published).toContainEqual({ type: 'token.changed', business_id: b.id, jti: f.root.jti });

    const events = await listAuditEvents(t, asOwner(b), { action: 'token.disabled', limit: 50 });
    const byTarget = new Map<string, Record<string, unknown>>(
      events.body.data.items.map((e: { target: { id: string }; metadata: object }) => [
        e.target.id,
        e.metadata,
      ]),
    );
    expect(events.body.data.items).toHaveLength(1 + descendants.length);
    expect(byTarget.get(f.root.id)).toMatchObject({ children_paused: descendants.length });
    for (const tok of descendants) {
      expect(byTarget.get(tok.id)).toMatchObject({
        jti: tok.jti,
        reason: 'compromised',
        paused_with: { token_id: f.root.id, jti: f.root.jti },
      });
    }
  });

  it('leaves the children working without the option, and a resume never reaches them', async () => {
    const b = await createBusiness(t);
    const f = await family(b);
    const alone = await disable(asOwner(b), f.root.id, { reason: 'just this one' });
    expect(alone.body.data.children).toBeNull();
    await expectPaused(b, f.root);
    await expectServed(b, f.child, f.grandchild, f.machines, f.successor);

    // Asked again with children: the first pause of the root stands, and the family is paused.
    const again = await withChildren(asOwner(b), f.root.id);
    expect({ status: again.status, code: again.body.code }).toEqual({
      status: 200,
      code: 'ALREADY_DISABLED',
    });
    expect(again.body.data.disabled_reason).toBe('just this one');
    expect(again.body.data.children.paused).toBe(5);
    expect((await withChildren(asOwner(b), f.root.id)).body.data.children).toEqual({
      paused: 0,
      token_ids: [],
    });

    await enable(asOwner(b), f.root.id).expect(200);
    await expectServed(b, f.root);
    await expectPaused(b, f.child, f.grandchild, f.machines, f.successor);
  });

  it("keeps a child's own earlier pause, and leaves a revoked one as it was", async () => {
    const b = await createBusiness(t);
    const root = await createToken(t, asOwner(b), { name: 'root' });
    const held = await createToken(t, as(root, b), { name: 'held' });
    await disable(asOwner(b), held.id, { reason: 'its own reason' }).expect(200);
    const gone = await createToken(t, as(root, b), { name: 'gone' });
    await revoke(t, asOwner(b), gone.id).expect(201);

    const res = await withChildren(asOwner(b), root.id);
    expect(res.body.data.children).toEqual({ paused: 0, token_ids: [] });
    expect(await row(held.id)).toMatchObject({ disabled_reason: 'its own reason' });
    expect(await row(gone.id)).toMatchObject({ disabled_at: null });
  });

  it("answers 404 to a member naming another's token with children, and pauses nothing", async () => {
    const b = await createBusiness(t);
    const f = await family(b);
    const mallory = await addMember(t, b);
    const own = await createToken(t, asMember(mallory.token, b.id), { name: 'mallory' });
    for (const caller of [asMember(mallory.token, b.id), as(own, b)]) {
      expectError(await withChildren(caller, f.root.id), 404, 'TOKEN_NOT_FOUND');
      expectError(await withChildren(caller, f.child.id), 404, 'TOKEN_NOT_FOUND');
    }
    await expectServed(b, f.root, f.child, f.grandchild, f.machines, f.successor);
  });

  it('pauses only the descendants the caller may pause itself, and skips the rest', async () => {
    const b = await createBusiness(t);
    const admin = await addMember(t, b, 'admin');
    const adminRoot = await createToken(t, asMember(admin.token, b.id), { name: 'admin-root' });
    // A member the admin's token invited, later made an owner: the admin may not pause theirs.
    const invited = await t
      .http()
      .post('/api/v1/members')
      .set(as(adminRoot, b))
      .send({ email: `promoted-${Date.now()}@example.test`, role: 'member' })
      .expect(201);
    const promoted = invited.body.data.member.identity_id as string;
    const ownersFirst = invited.body.data.first_token.token as string;
    await patchMember(t, asOwner(b), promoted, { role: 'owner' }).expect(200);
    const machine = await createMachine(t, b);
    const machines = await createToken(t, as(adminRoot, b), {
      name: 'machines',
      identity_id: machine.id,
    });

    const res = await withChildren(as(adminRoot, b), adminRoot.id);
    expect(res.status).toBe(200);
    expect(pausedIds(res)).toEqual([machines.id]);
    expect((await me(t, asMember(ownersFirst, b.id))).status).toBe(200);

    // Demoted to member, the admin's other token pauses only its own holder's tokens.
    const second = await createToken(t, asMember(admin.token, b.id), { name: 'second' });
    const secondMachines = await createToken(t, as(second, b), {
      name: 'second-machines',
      identity_id: machine.id,
    });
    const secondOwn = await createToken(t, as(second, b), { name: 'second-own' });
    await patchMember(t, asOwner(b), admin.identityId, { role: 'member' }).expect(200);
    const demoted = await withChildren(as(second, b), second.id);
    expect(pausedIds(demoted)).toEqual([secondOwn.id]);
    await expectServed(b, secondMachines);
  });

  it.each([
    ['a word for a boolean', { include_children: 'yes' }],
    ['a number for a boolean', { include_children: 1 }],
  ])('answers 422 for %s, and pauses nothing', async (_name, body) => {
    const b = await createBusiness(t);
    const root = await createToken(t, asOwner(b), { name: 'root' });
    expectValidation(await disable(asOwner(b), root.id, body), ['body', 'include_children']);
    expect(await row(root.id)).toMatchObject({ disabled_at: null });
  });
});
