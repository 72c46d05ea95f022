import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/connection/read-routing';
import { Author, EventOrigin } from '../database/units/domain-event';
import { UnitOfWork } from '../database/units/unit-of-work';
import { MembersService } from '../tenancy/members.service';
import type { Role } from '../tenancy/store/membership.entity';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import { IssuedTokenDto } from '../tokens/dto/token-view.dto';
import { TokenIssuanceService } from '../tokens/lifecycle/token-issuance.service';
import { hashSecret } from '../tokens/token-secret';
import { IdentityProvider } from './identity-provider';
import { SsoError } from './sso-error';
import { SsoGroupRolesService } from './sso-group-roles.service';
import { SsoRefusalAudit } from './sso-refusal-audit';
import { SsoSignedInEvent } from './sso.events';
import { SsoLogin } from './store/sso-login.entity';
import { SsoLoginsRepository } from './store/sso-logins.repository';

/** How long a person has at the provider, and then for the console to collect the session. */
const SIGN_IN_MS = 10 * 60_000;
const HANDOFF_MS = 2 * 60_000;
/** The most sign-ins in flight at once: the bound on what strangers may make us store. */
const MAX_LIVE_SIGN_INS = 10_000;
/** The name of a session the console collects. */
export const SESSION_TOKEN_NAME = 'Console session (SSO)';

/** A sign-in's start: where to send the browser, and the cookie that binds it. */
export interface SignInStart {
  location: string;
  browserSecret: string;
}

/** What the console collects: its session (the secret, once), and where to go next. */
export interface SignInSession {
  session: IssuedTokenDto;
  returnTo: string | null;
}

/**
 * Console sign-in through the identity provider, in three steps that each run once: the start
 * (a state, a nonce, PKCE, and a cookie binding the browser), the callback (the provider's
 * answer checked, and the person's groups mapped to a role in the business), and the
 * collection (the console, in the same browser, exchanges a one-time hand-off for an ordinary
 * short-lived token: the session). The session's secret is made at collection and stored
 * nowhere; signing out revokes it as any token is revoked.
 */
@Injectable()
export class SsoSignInService {
  constructor(
    private readonly config: AppConfig,
    private readonly provider: IdentityProvider,
    private readonly uow: UnitOfWork,
    private readonly database: Database,
    private readonly logins: SsoLoginsRepository,
    private readonly roles: SsoGroupRolesService,
    private readonly members: MembersService,
    private readonly directory: TenancyDirectory,
    private readonly issuance: TokenIssuanceService,
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
   * browser that started it. Answers the hand-off the console collects the session with.
   */
  async callback(
    callbackUrl: string,
    state: string | undefined,
    browserSecret: string | undefined,
    origin: EventOrigin,
  ): Promise<string> {
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
    const granted = await this.refusals.around(login.askedBusinessId, person.email, origin, () => {
      if (!person.emailVerified) throw new SsoError('SSO_EMAIL_UNVERIFIED');
      return this.roles.roleFor(login.askedBusinessId, person.groups);
    });
    // Only now, to one the business's rules let in, may it say that it is suspended.
    await this.refusals.around(granted.businessId, person.email, origin, async () => {
      const business = await this.directory.findBusiness(granted.businessId);
      if (business?.status !== 'active') throw new SsoError('SSO_BUSINESS_SUSPENDED');
    });
    const handoff = randomBytes(32).toString('base64url');
    const verified = await this.uow.run((tx) =>
      this.logins.advance(
        login.id,
        'used',
        'verified',
        new Date(),
        {
          email: person.email,
          businessId: granted.businessId,
          role: granted.role,
          groups: JSON.stringify(granted.groups),
          handoffHash: hashSecret(handoff),
          expiresAt: new Date(Date.now() + HANDOFF_MS),
        },
        tx,
      ),
    );
    if (!verified) throw new SsoError('SSO_EXPIRED');
    return handoff;
  }

  /**
   * The console's collection, once, from the starting browser: the membership as the group rules
   * say (added, or its role moved), and a session token for CONSOLE_SESSION_HOURS, unrestricted
   * within that role, in one unit of work with its audit entries.
   */
  async collect(
    origin: EventOrigin,
    handoff: string,
    browserSecret: string | undefined,
  ): Promise<SignInSession> {
    const login = /^[A-Za-z0-9_-]{43}$/.test(handoff)
      ? await this.logins.findByHandoff(hashSecret(handoff), this.database.primary)
      : null;
    if (!login || !sameBrowser(login, browserSecret) || login.status !== 'verified') {
      throw new SsoError('SSO_HANDOFF_INVALID');
    }
    const { email, businessId, role } = login;
    if (!email || !businessId || !role) throw new SsoError('SSO_HANDOFF_INVALID');
    return this.refusals.around(businessId, email, origin, () =>
      this.makeSession(login, { email, businessId, role }, origin),
    );
  }

  /** The membership and the session, in one unit of work with their audit entries. */
  private makeSession(
    login: SsoLogin,
    person: { email: string; businessId: string; role: Role },
    origin: EventOrigin,
  ): Promise<SignInSession> {
    const { email, businessId, role } = person;
    const now = new Date();
    return this.uow.run(async (tx) => {
      if (!(await this.logins.advance(login.id, 'verified', 'collected', now, {}, tx))) {
        throw new SsoError('SSO_HANDOFF_INVALID');
      }
      await this.issuance.holdAheadOfEvents(businessId, tx);
      // Suspended since the provider's answer: nothing is made, and the hand-off stays unused.
      const business = await this.directory.businessForMembershipChange(businessId, tx);
      if (business?.status !== 'active') throw new SsoError('SSO_BUSINESS_SUSPENDED');
      const signingIn: Author = { actor: { id: null, type: 'user', label: email }, origin };
      const member = await this.members.signInMemberInTx(signingIn, businessId, person, tx);
      const author: Author = {
        actor: { id: member.identity.id, type: 'user', label: email },
        origin,
      };
      const hours = this.config.CONSOLE_SESSION_HOURS;
      const { secret, token } = await this.issuance.issue(
        author,
        {
          businessId,
          identityId: member.identity.id,
          name: SESSION_TOKEN_NAME,
          scopes: null,
          expiresAt: new Date(now.getTime() + hours * 3_600_000),
          origin: 'console-sso',
        },
        tx,
      );
      const groups = JSON.parse(login.groups ?? '[]') as string[];
      await tx.publish(
        new SsoSignedInEvent(
          author,
          businessId,
          member.identity.id,
          email,
          role,
          groups,
          token.jti,
        ),
      );
      return { session: IssuedTokenDto.issued(secret, token), returnTo: login.returnTo };
    });
  }
}

/** Whether the cookie the request carries is the one the sign-in's start set. */
function sameBrowser(login: SsoLogin, browserSecret: string | undefined): boolean {
  if (!browserSecret || browserSecret.length > 100) return false;
  const presented = Buffer.from(hashSecret(browserSecret));
  const kept = Buffer.from(login.browserHash);
  return presented.length === kept.length && timingSafeEqual(presented, kept);
}
