import { addMember, asMember, createBusiness, createMachine } from '../factories/tenancy.factory';
import type { Issued, World } from './fuzz-request';
import type { TokenName } from './openapi-fuzz';
import type { TestApp } from '../harness/app/test-app';

const REQUEST_TIMEOUT_MS = 15_000;

/** What a business token policy may set: a world's business has none of them. */
const POLICY_RULES = [
  'max_lifetime_days',
  'require_expiry',
  'allowed_scopes',
  'required_cidrs',
  'inactivity_revoke_days',
];

/** What a token's PATCH can narrow, and pausing: a world's callers keep theirs as built. */
function termsOf(token: Record<string, unknown>): string {
  const { scopes, expires_at, allowed_cidrs, rate_limit_per_minute, uses_limit, status } = token;
  return JSON.stringify({
    scopes,
    expires_at,
    allowed_cidrs,
    rate_limit_per_minute,
    uses_limit,
    status,
  });
}

/**
 * The worlds the spec-driven fuzz suites act on (fuzz-surface.ts, fuzz-nulls.e2e-spec.ts): a
 * business with its people, machine, tokens and webhook endpoint, a second business, and
 * platform admins of their own; made afresh when a request broke the last one.
 */
export class FuzzWorlds {
  /** Every business the worlds made, with a token of its owner, for the final verify. */
  readonly chains: { id: string; ownerToken: string }[] = [];
  /** How many worlds were made. */
  count = 0;
  /** Each world's callers' tokens as built (`termsOf`), which `stillWhole` holds them to. */
  private readonly terms = new WeakMap<World, Record<string, string>>();
  private platformWebhook: string | undefined;

  constructor(private readonly t: TestApp) {}

  private platform() {
    return { authorization: `Bearer ${this.t.platformToken}` };
  }

  /** A token made by `secret`'s holder in `businessId`; its id and secret. */
  private async issue(secret: string, businessId: string, body: object): Promise<Issued> {
    const res = await this.t
      .http()
      .post('/api/v1/tokens')
      .set(asMember(secret, businessId))
      .send(body)
      .expect(201);
    return { id: res.body.data.id as string, secret: res.body.data.token as string };
  }

  /** The id of the token `secret`, read from `GET /me`. */
  private async idOf(secret: string, businessId: string): Promise<Issued> {
    const res = await this.t.http().get('/api/v1/me').set(asMember(secret, businessId)).expect(200);
    return { id: res.body.data.token.id as string, secret };
  }

  private async addPlatformAdmin(
    label: string,
  ): Promise<{ identityId: string; email: string; token: Issued }> {
    const email = `${label}-${Math.random().toString(36).slice(2, 10)}@example.test`;
    const res = await this.t
      .http()
      .post('/platform/v1/admins')
      .set(this.platform())
      .send({ email })
      .expect(201);
    const data = res.body.data;
    return {
      identityId: data.admin.identity_id,
      email,
      token: { id: data.first_token.id, secret: data.first_token.token },
    };
  }

  /** A webhook endpoint (to an address nothing listens on), for `webhook_id` to name. */
  private async webhookOf(path: string, caller: Record<string, string>): Promise<string> {
    const res = await this.t
      .http()
      .post(path)
      .set(caller)
      .send({ url: 'http://127.0.0.1:9/fuzz', event_types: ['token.revoked'] })
      .expect(201);
    return res.body.data.id as string;
  }

  /**
   * A fresh world: its own businesses, people, machine, tokens and platform admins. The
   * fuzzer's platform caller is a platform admin of its own, not the bootstrap admin: a platform
   * token may revoke itself (`POST /api/v1/tokens/self/revoke`), and `t.platformToken` has to
   * last the whole run to set worlds up and to verify the platform chain.
   */
  async build(): Promise<World> {
    const other = await createBusiness(this.t);
    const home = await createBusiness(this.t);
    const owner = await this.issue(home.ownerToken, home.id, { name: 'fuzz-owner' });
    const admin = await addMember(this.t, home, 'admin');
    const member = await addMember(this.t, home, 'member');
    const machine = await createMachine(this.t, home, 'member');
    const platformCaller = await this.addPlatformAdmin('fuzz-platform');
    const platformVictim = await this.addPlatformAdmin('fuzz-victim');
    const tokens: Record<TokenName, Issued> = {
      owner,
      admin: await this.idOf(admin.token, home.id),
      member: await this.idOf(member.token, home.id),
      machine: await this.issue(owner.secret, home.id, {
        name: 'fuzz-ci',
        identity_id: machine.id,
      }),
      'owner-spare': await this.issue(owner.secret, home.id, {
        name: 'spare',
        scopes: ['audit:read'],
      }),
      // Within its maker's life: the admin's first token expires in 7 days.
      'admin-spare': await this.issue(admin.token, home.id, { name: 'spare', expires_in_days: 3 }),
      'member-spare': await this.issue(member.token, home.id, { name: 'spare', scopes: [] }),
      'other-owner': await this.idOf(other.ownerToken, other.id),
      platform: platformCaller.token,
      'platform-victim': platformVictim.token,
    };
    const webhooks = {
      home: await this.webhookOf(`/api/v1/webhooks`, asMember(home.ownerToken, home.id)),
      // One for the run: the platform chain keeps at most 20, and every world shares it.
      platform: (this.platformWebhook ??= await this.webhookOf(
        `/platform/v1/webhooks`,
        this.platform(),
      )),
    };
    const role = await this.t
      .http()
      .post('/api/v1/custom-roles')
      .set(asMember(home.ownerToken, home.id))
      .send({ name: 'fuzz-role', base_role: 'member', scopes: [] })
      .expect(201);
    this.chains.push({ id: home.id, ownerToken: home.ownerToken });
    this.chains.push({ id: other.id, ownerToken: other.ownerToken });
    this.count++;
    const world: World = {
      businesses: { home: home.id, other: other.id },
      tokens,
      identities: {
        owner: home.ownerId,
        admin: admin.identityId,
        member: member.identityId,
        machine: machine.id,
        'other-owner': other.ownerId,
        platform: platformCaller.identityId,
        'platform-victim': platformVictim.identityId,
      },
      emails: {
        owner: home.ownerEmail,
        admin: admin.email,
        member: member.email,
        'other-owner': other.ownerEmail,
        'platform-victim': platformVictim.email,
      },
      webhooks,
      customRoles: { home: role.body.data.id as string },
      auditor: home.ownerToken,
      dirty: false,
    };
    this.terms.set(world, await this.callerTerms(world));
    return world;
  }

  /** The owner's, admin's and member's tokens' terms, as `GET /me` shows them. */
  private async callerTerms(w: World): Promise<Record<string, string>> {
    const terms: Record<string, string> = {};
    for (const caller of ['owner', 'admin', 'member'] as const) {
      const res = await this.t
        .http()
        .get('/api/v1/me')
        .set(asMember(w.tokens[caller].secret, w.businesses.home))
        .expect(200);
      terms[caller] = termsOf(res.body.data.token);
    }
    return terms;
  }

  /**
   * True while every caller still acts as itself: its token works, the business is active, and
   * each person has the role their name says. Spare tokens and machines may be gone: asking
   * about them is fuzzing too. Four reads, where a new world takes seventeen writes.
   */
  async stillWhole(w: World): Promise<boolean> {
    for (const caller of ['owner', 'admin', 'member'] as const) {
      const res = await this.t
        .http()
        .get('/api/v1/me')
        .set(asMember(w.tokens[caller].secret, w.businesses.home))
        .timeout(REQUEST_TIMEOUT_MS);
      if (res.status !== 200 || res.body.data.role !== caller) return false;
      if (termsOf(res.body.data.token) !== this.terms.get(w)?.[caller]) return false;
    }
    // A business token policy the fuzzer set would refuse the tokens later runs ask for.
    const policy = await this.t
      .http()
      .get('/api/v1/token-policy')
      .set(asMember(w.tokens.owner.secret, w.businesses.home))
      .timeout(REQUEST_TIMEOUT_MS);
    if (policy.status !== 200 || POLICY_RULES.some((rule) => policy.body.data[rule])) return false;
    const res = await this.t
      .http()
      .get('/platform/v1/admins')
      .query({ limit: 1 })
      .set({ authorization: `Bearer ${w.tokens.platform.secret}` })
      .timeout(REQUEST_TIMEOUT_MS);
    return res.status === 200;
  }
}
