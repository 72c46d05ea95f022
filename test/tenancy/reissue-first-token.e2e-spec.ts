import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
} from '../factories/tenancy.factory';
import {
  asMember,
  asOwner,
  listAuditEvents,
  me,
  reissueFirstToken,
  rotate,
  selfRevoke,
} from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * Re-issuing a first token (`POST /api/v1/members/{identity_id}/token`) left the old one
 * active, so a member held two first tokens and nothing said so. Now the re-issue revokes the
 * member's active first tokens in its own transaction, with a reason and an audit event each, and
 * the answer names them (`replaced_token_ids`); the member's other tokens stay.
 */
describe.each(DRIVERS)('re-issuing a first token on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;

  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
    biz = await createBusiness(t);
  });
  afterAll(() => t?.close());

  const idOf = async (secret: string): Promise<string> =>
    (await me(t, asMember(secret, biz.id)).expect(200)).body.data.token.id as string;

  const rowOf = async (id: string) =>
    (
      await t.sql<{ revoked_at: unknown; revocation_reason: string | null; revoked_by: string }>(
        'SELECT revoked_at, revocation_reason, revoked_by FROM api_tokens WHERE id = ?',
        [id],
      )
    )[0];

  /** The member's tokens named first-token that are neither revoked nor expired. */
  const activeFirstTokens = async (identityId: string): Promise<string[]> =>
    (
      await t.sql<{ id: string }>(
        "SELECT id FROM api_tokens WHERE business_id = ? AND identity_id = ? AND name = 'first-token' " +
          'AND revoked_at IS NULL',
        [biz.id, identityId],
      )
    ).map((r) => r.id);

  const revokedEvents = async (tokenId: string) =>
    (await listAuditEvents(t, asOwner(biz), { action: 'token.revoked', target_id: tokenId })).body
      .data.items as {
      request_id: string;
      actor: { id: string };
      metadata: Record<string, unknown>;
    }[];

  it('revokes the old first token in the same answer, says so, and audits it', async () => {
    const member = await addMember(t, biz, 'member');
    const oldId = await idOf(member.token);
    const own = await createToken(t, asMember(member.token, biz.id), { name: 'laptop' });

    const res = await reissueFirstToken(t, asOwner(biz), member.identityId).expect(201);
    expect(res.body.data.replaced_token_ids).toEqual([oldId]);
    expect(res.body.message).toMatch(/old one was revoked/);
    const newId = res.body.data.id as string;

    // The old first token is refused at once; the new one and the member's own token work.
    expectError(await me(t, asMember(member.token, biz.id)), 401, 'TOKEN_REVOKED');
    await me(t, asMember(res.body.data.token as string, biz.id)).expect(200);
    await me(t, asMember(own.secret, biz.id)).expect(200);
    expect(await activeFirstTokens(member.identityId)).toEqual([newId]);
    expect(await rowOf(oldId)).toMatchObject({
      revocation_reason: 'first token re-issued',
      revoked_by: biz.ownerEmail,
    });
    expect((await rowOf(oldId)).revoked_at).not.toBeNull();

    // One token.revoked event, written by the same request as the new token's token.created.
    const [revoked, ...more] = await revokedEvents(oldId);
    expect(more).toEqual([]);
    expect(revoked.metadata).toMatchObject({ reason: 'first token re-issued' });
    expect(revoked.actor.id).toBe(biz.ownerId);
    const created = (
      await listAuditEvents(t, asOwner(biz), { action: 'token.created', target_id: newId })
    ).body.data.items as { request_id: string }[];
    expect(created).toHaveLength(1);
    expect(created[0].request_id).toBe(revoked.request_id);
  });

  it('revokes nothing when the re-issue is refused: the revocation and the issue are one transaction', async () => {
    const member = await addMember(t, biz, 'member');
    const oldId = await idOf(member.token);
    // The owner's first token lives 7 days; a 30-day first token would outlive its maker.
    const refused = await t
      .http()
      .post(`/api/v1/members/${member.identityId}/token`)
      .set(asOwner(biz))
      .send({ expires_in_days: 30 });
    expectError(refused, 422, 'EXPIRY_EXCEEDS_MAKER');
    expect((await rowOf(oldId)).revoked_at).toBeNull();
    expect(await revokedEvents(oldId)).toEqual([]);
    await me(t, asMember(member.token, biz.id)).expect(200);
  });

  it('replaces a rotated first token (rotation keeps the name), and answers [] when none is active', async () => {
    const member = await addMember(t, biz, 'member');
    const rotated = await rotate(t, asMember(member.token, biz.id), await idOf(member.token));
    expect(rotated.status).toBe(201);
    const successor = rotated.body.data as { id: string; token: string };

    const first = await reissueFirstToken(t, asOwner(biz), member.identityId).expect(201);
    expect(first.body.data.replaced_token_ids).toEqual([successor.id]);
    expectError(await me(t, asMember(successor.token, biz.id)), 401, 'TOKEN_REVOKED');

    // The member revokes the re-issued one; the next re-issue replaces nothing, and says so.
    await selfRevoke(t, asMember(first.body.data.token as string, biz.id), {}).expect(201);
    const second = await reissueFirstToken(t, asOwner(biz), member.identityId).expect(201);
    expect(second.body.data.replaced_token_ids).toEqual([]);
    expect(second.body.message).toMatch(/held no active first token/);
    expect(await activeFirstTokens(member.identityId)).toEqual([second.body.data.id]);
  });

  it('leaves exactly one active first token after parallel re-issues', async () => {
    const member = await addMember(t, biz, 'member');
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => reissueFirstToken(t, asOwner(biz), member.identityId)),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(6).fill(201));
    const active = await activeFirstTokens(member.identityId);
    expect(active).toHaveLength(1);
    // Every first token but the last one issued was replaced by exactly one of the re-issues.
    const replaced = answers.flatMap((r) => r.body.data.replaced_token_ids as string[]);
    expect(new Set(replaced).size).toBe(replaced.length);
    expect(replaced).toHaveLength(6);
    expect(replaced).not.toContain(active[0]);
  });
});
