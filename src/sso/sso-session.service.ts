import { Injectable } from '@nestjs/common';
import { locksToIssueIn } from '../tokens/lifecycle/issuance/issuance-locks';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/connection/read-routing';
import { Author, EventOrigin } from '../database/units/domain-event';
import { UnitOfWork } from '../database/units/unit-of-work';
import { MembersService } from '../tenancy/members.service';
import type { BusinessStatus } from '../tenancy/tenancy-directory';
import type { Role } from '../auth/roles';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import { IssuedTokenDto } from '../tokens/dto/token-view.dto';
import { TokenIssuanceService } from '../tokens/lifecycle/issuance/token-issuance.service';
import { hashSecret } from '../tokens/token-secret';
import { HANDOFF, sameBrowser } from './sso-browser';
import { SsoError } from './sso-error';
import { GrantedRole, SsoGroupRolesService } from './sso-group-roles.service';
import { SsoRefusalAudit } from './sso-refusal-audit';
import { SsoSignedInEvent } from './sso.events';
import { SsoLogin } from './store/sso-login.entity';
import { SsoLoginsRepository } from './store/sso-logins.repository';

/** The name of a session the console collects. */
export const SESSION_TOKEN_NAME = 'Console session (SSO)';

/** What the console collects: its session (the secret, once), and where to go next. */
export interface SignInSession {
  session: IssuedTokenDto;
  returnTo: string | null;
}

/** A business a sign-in may choose, as the person is shown it. */
export interface BusinessChoice {
  businessId: string;
  name: string;
  role: Role;
  status: BusinessStatus;
}

/**
 * The last step of a console sign-in, in the browser that began it: the businesses a person
 * whose groups reach several may choose from, and the collection of the session (in the
 * business chosen, or the one the sign-in was decided for), once. A choice is bound to its
 * sign-in: the hand-off and the browser's cookie name it, and the role is granted again from
 * the groups the provider vouched for, so no business outside them is ever reached or named.
 */
@Injectable()
export class SsoSessionService {
  constructor(
    private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly database: Database,
    private readonly logins: SsoLoginsRepository,
    private readonly roles: SsoGroupRolesService,
    private readonly members: MembersService,
    private readonly directory: TenancyDirectory,
    private readonly issuance: TokenIssuanceService,
    private readonly refusals: SsoRefusalAudit,
  ) {}

  /** The businesses a sign-in waiting for a choice may go to, by name; none other is named. */
  async choices(handoff: string, browserSecret: string | undefined): Promise<BusinessChoice[]> {
    const login = await this.verified(handoff, browserSecret);
    if (login.businessId !== null) throw new SsoError('SSO_HANDOFF_INVALID');
    const reached = await this.roles.reachable(groupsOf(login));
    const named = await Promise.all(
      reached.map(async (r) => ({
        grant: r,
        business: await this.directory.findBusiness(r.businessId),
      })),
    );
    return named
      .filter(({ business }) => business !== null)
      .map(({ grant, business }) => ({
        businessId: grant.businessId,
        name: business!.name,
        role: grant.role,
        status: business!.status,
      }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.businessId.localeCompare(b.businessId));
  }

  /**
   * The console's collection, once, from the starting browser: the membership as the group rules
   * say (added, or its role moved), and a session token for CONSOLE_SESSION_HOURS, unrestricted
   * within that role, in one unit of work with its audit entries. A sign-in waiting for a choice
   * needs `chosen`; a refused choice leaves it waiting, to choose again.
   */
  async collect(
    origin: EventOrigin,
    handoff: string,
    browserSecret: string | undefined,
    chosen: string | null,
  ): Promise<SignInSession> {
    const login = await this.verified(handoff, browserSecret);
    const email = login.email!;
    const grant = await this.refusals.around(chosen, email, origin, () =>
      this.grantOf(login, chosen),
    );
    return this.refusals.around(grant.businessId, email, origin, () =>
      this.makeSession(login, email, grant, origin),
    );
  }

  /** The sign-in the hand-off names, verified by the provider and from its own browser. */
  private async verified(handoff: string, browserSecret: string | undefined): Promise<SsoLogin> {
    const login = HANDOFF.test(handoff)
      ? await this.logins.findByHandoff(hashSecret(handoff), this.database.primary)
      : null;
    if (!login || !sameBrowser(login, browserSecret) || login.status !== 'verified') {
      throw new SsoError('SSO_HANDOFF_INVALID');
    }
    if (!login.email || login.expiresAt.getTime() <= Date.now()) {
      throw new SsoError('SSO_HANDOFF_INVALID');
    }
    return login;
  }

  /** Where the session goes, at which role: decided at the callback, or chosen now. */
  private async grantOf(login: SsoLogin, chosen: string | null): Promise<GrantedRole> {
    if (login.businessId !== null && login.role !== null) {
      if (chosen !== null && chosen !== login.businessId) throw new SsoError('SSO_NO_ROLE');
      return { businessId: login.businessId, role: login.role, groups: groupsOf(login) };
    }
    if (chosen === null) throw new SsoError('SSO_CHOOSE_BUSINESS');
    return this.roles.roleFor(chosen, groupsOf(login));
  }

  /** The membership and the session, in one unit of work with their audit entries. */
  private makeSession(
    login: SsoLogin,
    email: string,
    grant: GrantedRole,
    origin: EventOrigin,
  ): Promise<SignInSession> {
    const { businessId, role } = grant;
    const now = new Date();
    return this.uow.run(
      async (tx) => {
        if (!(await this.logins.advance(login.id, 'verified', 'collected', now, {}, tx))) {
          throw new SsoError('SSO_HANDOFF_INVALID');
        }
        // Suspended since the provider's answer: nothing is made, and the hand-off stays unused.
        const business = await this.directory.businessForMembershipChange(businessId, tx);
        if (business?.status !== 'active') throw new SsoError('SSO_BUSINESS_SUSPENDED');
        const signingIn: Author = { actor: { id: null, type: 'user', label: email }, origin };
        const member = await this.members.signInMemberInTx(
          signingIn,
          businessId,
          { email, role },
          tx,
        );
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
        await tx.publish(
          new SsoSignedInEvent(
            author,
            businessId,
            member.identity.id,
            email,
            role,
            grant.groups,
            token.jti,
          ),
        );
        return { session: IssuedTokenDto.issued(secret, token), returnTo: login.returnTo };
      },
      { locks: locksToIssueIn(businessId) },
    );
  }
}

/** The groups a sign-in kept: those that gave its role, or, choosing, those that reach one. */
function groupsOf(login: SsoLogin): string[] {
  return JSON.parse(login.groups ?? '[]') as string[];
}
