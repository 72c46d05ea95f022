import { CLI_AUTHOR, SYSTEM_AUTHOR } from '../../src/database/units/domain-event';
import { UnitOfWork } from '../../src/database/units/unit-of-work';
import { TokenIssuanceService } from '../../src/tokens/lifecycle/issuance/token-issuance.service';
import { TokenRotationService } from '../../src/tokens/lifecycle/issuance/token-rotation.service';
import { hashSecret } from '../../src/tokens/token-secret';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createMachine,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import {
  asMember,
  asOwner,
  me,
  postBusiness,
  postMember,
  postToken,
  reissueFirstToken,
  rotate,
} from '../harness/app/api';
import { dbDate, expectError } from '../harness/app/assertions';
import { beforeMoment, sleepPast } from '../harness/app/clock';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * A token never outlives the token that made it (Vault's rule for child tokens), on every path
 * that makes one: create, first tokens (owner, member, re-issue), platform tokens, rotation. An
 * unasked-for lifetime is cut to the maker's expiry; asking for more is 422 EXPIRY_EXCEEDS_MAKER,
 * and nothing is stored.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(DRIVERS)('token lifetimes on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;

  const tokenRow = async (id: string) =>
    (await t.sql<Record<string, unknown>>('SELECT * FROM api_tokens WHERE id = ?', [id]))[0];
  const countTokens = async () =>
    Number((await t.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM api_tokens'))[0].n);
  const expiryOf = async (id: string) => dbDate((await tokenRow(id)).expires_at);

  /** A token of the business owner that expires at `expiresAt`, made over HTTP. */
  const ownerTokenExpiring = async (expiresAt: Date) => {
    const res = await postToken(t, asOwner(biz), {
      name: 'short-lived',
      expires_at: expiresAt.toISOString(),
    }).expect(201);
    return { id: res.body.data.id as string, secret: res.body.data.token as string };
  };

  /** A platform token of the bootstrap admin that expires at `expiresAt`. */
  const platformTokenExpiring = async (expiresAt: Date) => {
    const [row] = await t.sql<{ identity_id: string }>(
      'SELECT identity_id FROM api_tokens WHERE token_hash = ?',
      [hashSecret(t.platformToken)],
    );
    const { secret } = await t.app.get(UnitOfWork).run((tx) =>
      t.app.get(TokenIssuanceService).issue(
        SYSTEM_AUTHOR,
        {
          businessId: null,
          identityId: row.identity_id,
          name: 'short-lived platform',
          scopes: null,
          expiresAt,
        },
        tx,
      ),
    );
    return secret;
  };

  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  it('the attack: a token that expires in seconds made one that outlived it; now its child dies with it', async () => {
    const { value } = await beforeMoment(async (at) => {
      const maker = await ownerTokenExpiring(at);
      const makerExpiry = (await expiryOf(maker.id))!;
      const child = await postToken(t, asMember(maker.secret, biz.id), { name: 'child' }).expect(
        201,
      );
      expect(child.body.data.expires_at).toBe(makerExpiry.toISOString());
      expect(await expiryOf(child.body.data.id)).toEqual(makerExpiry);
      return { maker, makerExpiry, child: child.body.data.token as string };
    });

    await sleepPast(value.makerExpiry, 300);
    expectError(await me(t, asMember(value.maker.secret, biz.id)), 401, 'TOKEN_EXPIRED');
    expectError(await me(t, asMember(value.child, biz.id)), 401, 'TOKEN_EXPIRED');
  });

  it.each([
    ['expires_in_days', (_at: Date) => ({ expires_in_days: 2 })],
    ['expires_at', (at: Date) => ({ expires_at: new Date(at.getTime() + 1_000).toISOString() })],
  ])(
    'create: asking past the maker with %s is 422 EXPIRY_EXCEEDS_MAKER, and nothing is made',
    async (_name, ask) => {
      const at = new Date(Date.now() + DAY_MS);
      const maker = await ownerTokenExpiring(at);
      const before = await countTokens();
      const res = await postToken(t, asMember(maker.secret, biz.id), {
        name: 'longer',
        ...ask(at),
      });
      expectError(res, 422, 'EXPIRY_EXCEEDS_MAKER');
      expect(await countTokens()).toBe(before);
    },
  );

  it("create: the maker's own expiry exactly is allowed; a maker with no expiry caps nothing", async () => {
    const at = new Date(Date.now() + DAY_MS);
    const maker = await ownerTokenExpiring(at);
    const exact = await postToken(t, asMember(maker.secret, biz.id), {
      name: 'exact',
      expires_at: (await expiryOf(maker.id))!.toISOString(),
    }).expect(201);
    expect(exact.body.data.expires_at).toBe((await expiryOf(maker.id))!.toISOString());

    const unbounded = await postToken(t, asOwner(biz), { name: 'forever' }).expect(201);
    expect(unbounded.body.data.expires_at).toBeNull();
  });

  it("create for a machine: capped by the admin's token, not the machine's", async () => {
    const machine = await createMachine(t, biz, 'member');
    const maker = await ownerTokenExpiring(new Date(Date.now() + DAY_MS));
    const res = await postToken(t, asMember(maker.secret, biz.id), {
      name: 'machine',
      identity_id: machine.id,
    }).expect(201);
    expect(res.body.data.expires_at).toBe((await expiryOf(maker.id))!.toISOString());
    expectError(
      await postToken(t, asMember(maker.secret, biz.id), {
        name: 'machine-long',
        identity_id: machine.id,
        expires_in_days: 30,
      }),
      422,
      'EXPIRY_EXCEEDS_MAKER',
    );
  });

  it('first tokens: a new member and a re-issued one end with the token that makes them', async () => {
    const maker = await ownerTokenExpiring(new Date(Date.now() + DAY_MS));
    const makerExpiry = (await expiryOf(maker.id))!.toISOString();
    const added = await postMember(t, asMember(maker.secret, biz.id), {
      email: `capped-${process.pid}-${Date.now()}@example.test`,
      role: 'member',
    }).expect(201);
    expect(added.body.data.first_token.expires_at).toBe(makerExpiry);

    const before = await countTokens();
    expectError(
      await postMember(t, asMember(maker.secret, biz.id), {
        email: `longer-${process.pid}-${Date.now()}@example.test`,
        role: 'member',
        expires_in_days: 7,
      }),
      422,
      'EXPIRY_EXCEEDS_MAKER',
    );
    expect(await countTokens()).toBe(before);

    const reissued = await reissueFirstToken(
      t,
      asMember(maker.secret, biz.id),
      added.body.data.member.identity_id,
    ).expect(201);
    expect(reissued.body.data.expires_at).toBe(makerExpiry);
  });

  it("a business's owner token, and a platform admin's, end with the platform token that makes them", async () => {
    const platform = await platformTokenExpiring(new Date(Date.now() + DAY_MS));
    const [row] = await t.sql<{ expires_at: unknown }>(
      'SELECT expires_at FROM api_tokens WHERE token_hash = ?',
      [hashSecret(platform)],
    );
    const ceiling = dbDate(row.expires_at)!.toISOString();
    const created = await postBusiness(
      t,
      { authorization: `Bearer ${platform}` },
      {
        name: `capped-${Date.now()}`,
        owner_email: `capped-owner-${process.pid}-${Date.now()}@example.test`,
      },
    ).expect(201);
    expect(created.body.data.first_token.expires_at).toBe(ceiling);

    const admin = await t
      .http()
      .post('/platform/v1/admins')
      .set('authorization', `Bearer ${platform}`)
      .send({ email: `capped-admin-${process.pid}-${Date.now()}@example.test` })
      .expect(201);
    expect(admin.body.data.first_token.expires_at).toBe(ceiling);

    expectError(
      await postBusiness(
        t,
        { authorization: `Bearer ${platform}` },
        {
          name: `longer-${Date.now()}`,
          owner_email: `longer-owner-${process.pid}-${Date.now()}@example.test`,
          expires_in_days: 7,
        },
      ),
      422,
      'EXPIRY_EXCEEDS_MAKER',
    );
  });

  describe('rotation renews, never lengthens', () => {
    it('keeps the lifetime length from now, and refuses an expires_at beyond it', async () => {
      const res = await postToken(t, asOwner(biz), { name: 'ten-days', expires_in_days: 10 });
      const old = res.body.data as { id: string; token: string };
      const before = await countTokens();
      expectError(
        await rotate(t, asMember(old.token, biz.id), old.id, {
          expires_at: new Date(Date.now() + 11 * DAY_MS).toISOString(),
        }),
        422,
        'EXPIRY_EXCEEDS_MAKER',
      );
      expect(await countTokens()).toBe(before);
      expect((await tokenRow(old.id)).rotated_to_id ?? null).toBeNull();

      const started = Date.now();
      const next = await rotate(t, asMember(old.token, biz.id), old.id).expect(201);
      const expiry = new Date(next.body.data.expires_at as string).getTime();
      expect(expiry).toBeGreaterThanOrEqual(started + 10 * DAY_MS - 2_000);
      expect(expiry).toBeLessThanOrEqual(Date.now() + 10 * DAY_MS + 2_000);
    });

    it('a token with no expiry may stay so, rotated by itself', async () => {
      const res = await postToken(t, asOwner(biz), { name: 'forever' }).expect(201);
      const next = await rotate(t, asMember(res.body.data.token, biz.id), res.body.data.id);
      expect(next.status).toBe(201);
      expect(next.body.data.expires_at).toBeNull();
    });

    it('when another token rotates, the successor ends no later than that token', async () => {
      const machine = await createMachine(t, biz, 'member');
      const forever = await postToken(t, asOwner(biz), {
        name: 'machine-forever',
        identity_id: machine.id,
      }).expect(201);
      expect(forever.body.data.expires_at).toBeNull();
      const rotator = await ownerTokenExpiring(new Date(Date.now() + DAY_MS));
      const next = await rotate(t, asMember(rotator.secret, biz.id), forever.body.data.id).expect(
        201,
      );
      expect(next.body.data.expires_at).toBe((await expiryOf(rotator.id))!.toISOString());
    });

    it('the CLI rotates as the operator: the lifetime rule holds, no ceiling of its own', async () => {
      const res = await postToken(t, asOwner(biz), { name: 'cli-ten', expires_in_days: 10 });
      const service = t.app.get(TokenRotationService);
      const cli = { class: 'cli', scopes: null, expiresAt: null } as const;
      await expect(
        service.rotateAnyBusiness(cli, CLI_AUTHOR, res.body.data.id as string, {
          expires_at: new Date(Date.now() + 20 * DAY_MS),
        }),
      ).rejects.toMatchObject({ code: 'EXPIRY_EXCEEDS_MAKER' });
      const next = await service.rotateAnyBusiness(cli, CLI_AUTHOR, res.body.data.id as string, {});
      expect(next.expires_at).not.toBeNull();
    });
  });

  it("a member's first token caps what the member makes (createBusiness's default 7 days)", async () => {
    const plain = await createBusiness(t);
    const member = await addMember(t, plain, 'member');
    const made = await postToken(t, asMember(member.token, plain.id), { name: 'mine' }).expect(201);
    const [first] = await t.sql<{ expires_at: unknown }>(
      "SELECT expires_at FROM api_tokens WHERE identity_id = ? AND name = 'first-token'",
      [member.identityId],
    );
    expect(made.body.data.expires_at).toBe(dbDate(first.expires_at)!.toISOString());
  });
});
