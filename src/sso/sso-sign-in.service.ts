import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { Database } from '../database/connection/read-routing';
import { EventOrigin } from '../database/units/domain-event';
import { UnitOfWork } from '../database/units/unit-of-work';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import { hashSecret } from '../tokens/token-secret';
import { IdentityProvider } from './identity-provider';
import { SsoError } from './sso-error';
import { SsoGroupRolesService } from './sso-group-roles.service';
import { SsoRefusalAudit } from './sso-refusal-audit';
import { sameBrowser } from './sso-browser';
import { SsoLogin } from './store/sso-login.entity';
import { SsoLoginsRepository } from './store/sso-logins.repository';

/**
 * How long a person has at the provider, then for the console to collect the session, or to
 * choose a business among those their groups reach and collect it.
 */
const SIGN_IN_MS = 10 * 60_000;
const HANDOFF_MS = 2 * 60_000;
const CHOICE_MS = 5 * 60_000;
/** The most sign-ins in flight at once: the bound on what strangers may make us store. */
const MAX_LIVE_SIGN_INS = 10_000;

/** A sign-in's start: where to send the browser, and the cookie that binds it. */
export interface SignInStart {
  location: string;
  browserSecret: string;
}

/**
 * The provider's answer, accepted: the hand-off the console collects the session with, and
 * whether the person must first choose a business (their groups reach several).
 */
export interface SignInVerified {
  handoff: string;
  choose: boolean;
}

/**
 * Console sign-in through the identity provider, in three steps that each run once: the start
 * (a state, a nonce, PKCE, and a cookie binding the browser), the callback (the provider's
 * answer checked, and the person's groups mapped to a role in a business, or to the businesses
 * they may choose from), and the collection (SsoSessionService: the console, in the same
 * browser, exchanges a one-time hand-off for an ordinary short-lived token, the session).
 */
@Injectable()
export class SsoSignInService {
  constructor(
    private readonly provider: IdentityProvider,
    private readonly uow: UnitOfWork,
    private readonly database: Database,
    private readonly logins: SsoLoginsRepository,
    private readonly roles: SsoGroupRolesService,
    private readonly directory: TenancyDirectory,
    private readonly refusals: SsoRefusalAudit,
  ) {}

  /** Starts a sign-in to `businessId` (or where the person's groups lead), back to `returnTo`. */
  async start(businessId: string | null, returnTo: string | null): Promise<SignInStart> {
    if (!this.provider.configured) throw new SsoError('SSO_NOT_CONFIGURED');
    const now = new Date();
    if ((await this.logins.countLive(now, this.database.primary)) >= MAX_LIVE_SIGN_INS) {
      throw new SsoError('SSO_TOO_MANY_SIGN_INS');
    }
    const checks = this.provider.newChecks();
    const location = await this.provider.authorizationUrl(checks);
    const browserSecret = randomBytes(32).toString('base64url');
    const login = Object.assign(new SsoLogin(), {
      id: randomUUID(),
      stateHash: hashSecret(checks.state),
      browserHash: hashSecret(browserSecret),
      nonce: checks.nonce,
      codeVerifier: checks.codeVerifier,
      askedBusinessId: businessId,
      returnTo,
      status: 'started',
      createdAt: now,
      expiresAt: new Date(now.getTime() + SIGN_IN_MS),
      email: null,
      businessId: null,
      role: null,
      groups: null,
      handoffHash: null,
    } satisfies SsoLogin);
    await this.uow.run(async (tx) => {
      await this.logins.sweep(new Date(now.getTime() - SIGN_IN_MS), tx);
      await this.logins.insert(login, tx);
    });
    return { location, browserSecret };
  }

  /**
   * The provider's answer: checked once (a replayed callback finds its sign-in used), from the
   * browser that started it. A sign-in that named a business goes there; one that named none
   * goes to the one business the person's groups reach, or, reaching several, waits for the
   * person to choose among them (the list and the choice bound to this sign-in's hand-off).
   */
  async callback(
    callbackUrl: string,
    state: string | undefined,
    browserSecret: string | undefined,
    origin: EventOrigin,
  ): Promise<SignInVerified> {
    const now = new Date();
    const login = state
      ? await this.logins.findByState(hashSecret(state), this.database.primary)
      : null;
    if (!login || !sameBrowser(login, browserSecret)) throw new SsoError('SSO_STATE_INVALID');
    if (login.status !== 'started') throw new SsoError('SSO_STATE_INVALID');
    if (login.expiresAt.getTime() <= now.getTime()) throw new SsoError('SSO_EXPIRED');
    const won = await this.uow.run((tx) =>
      this.logins.advance(login.id, 'started', 'used', now, {}, tx),
    );
    if (!won) throw new SsoError('SSO_STATE_INVALID');
    const person = await this.provider.vouch(callbackUrl, {
      state: state ?? '',
      nonce: login.nonce,
      codeVerifier: login.codeVerifier,
    });
    const asked = login.askedBusinessId;
    const reached = await this.refusals.around(asked, person.email, origin, async () => {
      if (!person.emailVerified) throw new SsoError('SSO_EMAIL_UNVERIFIED');
      if (asked) return [await this.roles.roleFor(asked, person.groups)];
      const all = await this.roles.reachable(person.groups);
      if (all.length === 0) throw new SsoError('SSO_NO_ROLE');
      return all;
    });
    const handoff = randomBytes(32).toString('base64url');
    const [only] = reached;
    if (reached.length === 1) {
      // Only now, to one the business's rules let in, may it say that it is suspended.
      await this.refusals.around(only.businessId, person.email, origin, async () => {
        const business = await this.directory.findBusiness(only.businessId);
        if (business?.status !== 'active') throw new SsoError('SSO_BUSINESS_SUSPENDED');
      });
    }
    // Choosing, the sign-in keeps the groups that reach a business, to grant the one chosen.
    const choosing = reached.length > 1;
    const groups = choosing ? [...new Set(reached.flatMap((r) => r.groups))].sort() : only.groups;
    const verified = await this.uow.run((tx) =>
      this.logins.advance(
        login.id,
        'used',
        'verified',
        new Date(),
        {
          email: person.email,
          businessId: choosing ? null : only.businessId,
          role: choosing ? null : only.role,
          groups: JSON.stringify(groups),
          handoffHash: hashSecret(handoff),
          expiresAt: new Date(Date.now() + (choosing ? CHOICE_MS : HANDOFF_MS)),
        },
        tx,
      ),
    );
    if (!verified) throw new SsoError('SSO_EXPIRED');
    return { handoff, choose: choosing };
  }
}
