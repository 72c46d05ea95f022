import {
  addMember,
  BusinessFixture,
  createUnexpiringBusiness,
  MemberFixture,
} from '../factories/tenancy.factory';
import { uniqueLabel } from '../factories/unique';
import { asMember, asOwner, Caller } from '../harness/app/api';
import { TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import {
  bootAuthorizationServer,
  FlowDriver,
  registerClient,
  registerResource,
} from './connected-apps-fixtures';

const BOTH = 'notes:read notes:write';

/**
 * A business's token policy sends `notes:write` to an approver: a connected app gets it only
 * once an owner or admin, never the person who asks nor one they outrank, has approved it; then
 * the app's next authorization request goes through, remembered. Each attacker's way round it.
 */
describe.each(DRIVERS)('connected apps and approvers on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let owner: Caller;
  let flow: FlowDriver;
  let member: MemberFixture;
  let admin: MemberFixture;

  beforeAll(async () => {
    t = await bootAuthorizationServer(driver);
    biz = await createUnexpiringBusiness(t, uniqueLabel('approvers'));
    owner = asOwner(biz);
    flow = new FlowDriver(t, biz, await registerClient(t), await registerResource(t, biz));
    member = await addMember(t, biz);
    admin = await addMember(t, biz, 'admin');
    const policy = await t.http().get('/api/v1/token-policy').set(owner).expect(200);
    const rules = { ...(policy.body.data as Record<string, unknown>) };
    delete rules.updated_at;
    delete rules.updated_by;
    await t
      .http()
      .put('/api/v1/token-policy')
      .set(owner)
      .send({ ...rules, approval_required: { scopes: ['notes:write'] } })
      .expect(200);
  });
  afterAll(() => t.close());

  const as = (m: MemberFixture) => asMember(m.token, biz.id);
  const file = (caller: Caller, request: string) =>
    t
      .http()
      .post('/api/v1/connected-apps/requests')
      .set(caller)
      .send({ request, justification: 'The agent writes my release notes' });
  const decide = (caller: Caller, id: string, how: 'approve' | 'deny', reason = 'agreed') =>
    t.http().post(`/api/v1/connected-apps/requests/${id}/${how}`).set(caller).send({ reason });

  it('refuses the scope, takes the request, and lets the app in once an owner approves', async () => {
    const first = await flow.authorize({ scope: BOTH });
    const refused = await flow.decide(first.request, as(member)).expect(403);
    expect(refused.body.code).toBe('APPROVAL_REQUIRED');
    expect(refused.body.detail).toContain('notes:write');
    const filed = await file(as(member), first.request).expect(201);
    expect(filed.body.data).toMatchObject({
      status: 'pending',
      scopes: ['notes:read', 'notes:write'],
    });
    // The member sees their own; the owner sees it among the business's.
    const mine = await t.http().get('/api/v1/connected-apps/requests').set(as(member)).expect(200);
    expect(mine.body.data.items.map((r: { id: string }) => r.id)).toEqual([filed.body.data.id]);
    await decide(as(member), filed.body.data.id, 'approve').expect(403);
    const approved = await decide(owner, filed.body.data.id, 'approve').expect(200);
    expect(approved.body.data).toMatchObject({ status: 'approved', decision_reason: 'agreed' });
    await decide(owner, filed.body.data.id, 'deny').expect(409);
    // Started again from the app: remembered, allowed, and refreshed.
    const again = await flow.authorize({ scope: BOTH });
    const shown = await t
      .http()
      .get('/api/v1/authorization-requests')
      .query({ request: again.request })
      .set(as(member))
      .expect(200);
    expect(shown.body.data.remembered).toBe(true);
    const code = await flow.allow(again.request, as(member));
    const tokens = await flow.token(flow.codeBody(code, again.verifier)).expect(200);
    expect(tokens.body.scope).toBe(BOTH);
    await flow.token(flow.refreshBody(tokens.body.refresh_token)).expect(200);
  });

  it('never by the one who asks, nor by an admin for an owner; a denial lets nothing in', async () => {
    const mine = await flow.authorize({ scope: BOTH });
    const byAdmin = await file(as(admin), mine.request).expect(201);
    const self = await decide(as(admin), byAdmin.body.data.id, 'approve').expect(403);
    expect(self.body.code).toBe('SELF_APPROVAL');
    const theirs = await flow.authorize({ scope: BOTH });
    const byOwner = await file(owner, theirs.request).expect(201);
    const outranked = await decide(as(admin), byOwner.body.data.id, 'approve').expect(403);
    expect(outranked.body.code).toBe('APPROVER_OUTRANKED');
    const denied = await decide(owner, byAdmin.body.data.id, 'deny', 'Not for agents').expect(200);
    expect(denied.body.data.status).toBe('denied');
    const still = await flow.authorize({ scope: BOTH });
    await flow.decide(still.request, as(admin)).expect(403);
  });

  it('two approvers at once: one decides, the other is told it was decided', async () => {
    const asker = await addMember(t, biz);
    const { request } = await flow.authorize({ scope: BOTH });
    const filed = await file(as(asker), request).expect(201);
    const answers = await Promise.all([
      decide(owner, filed.body.data.id, 'approve'),
      decide(as(admin), filed.body.data.id, 'deny'),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
  });

  it('a request for what needs no approver, or of another business, is refused', async () => {
    const plain = await flow.authorize({ scope: 'notes:read' });
    const none = await file(as(member), plain.request).expect(409);
    expect(none.body.code).toBe('APPROVAL_NOT_REQUIRED');
    const other = await createUnexpiringBusiness(t, uniqueLabel('other'));
    const { request } = await flow.authorize({ scope: BOTH });
    await file(asOwner(other), request).expect(404);
    const fresh = await addMember(t, biz);
    const filed = await file(as(fresh), request).expect(201);
    await decide(asOwner(other), filed.body.data.id, 'approve').expect(404);
  });
});
