import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { scopesWithin } from '../../auth/scopes';
import type { RequestContext } from '../../auth/request-context';
import { AppConfig } from '../../config/app-config';
import { createdKey, type Page, paginate, PageQueryDto } from '../../common/validation/pagination';
import { Database } from '../../database/connection/read-routing';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { scopesNeedingApproval } from '../../governance/approval-rule';
import { BusinessPolicyService } from '../../governance/business-policy.service';
import { GovernanceError } from '../../governance/governance-error';
import { TokenError } from '../../tokens/token-error';
import { ClientDirectory } from '../clients/client-directory';
import { ClientError } from '../clients/client-error';
import type { Client } from '../clients/client-metadata';
import { AuthorizationCodesService } from '../codes/authorization-codes.service';
import { ResourceCatalog, type ResourceDescription } from '../codes/authorization-ports';
import { authorizationResponseLocation } from '../codes/authorization-request';
import { issuerOf } from '../issuer';
import { AuthorizationRequestHandles, PendingRequest } from './authorization-request-handle';
import { ConsentError } from './consent-error';
import {
  AuthorizationRequestViewDto,
  ConnectedAppDto,
  ConsentRedirectDto,
  WithdrawnAppDto,
} from './dto/consent.dto';
import {
  ConsentDeniedEvent,
  ConsentGivenEvent,
  ConsentRef,
  ConsentWithdrawnEvent,
} from './grants.events';
import { GrantEnds } from './grant-ends.service';
import { Consent } from './store/consent.entity';
import { ConsentsRepository } from './store/consents.repository';

const requestNotFound = () => new ConsentError('AUTHORIZATION_REQUEST_NOT_FOUND');

const refOf = (c: Consent): ConsentRef => ({
  id: c.id,
  businessId: c.businessId,
  identityId: c.identityId,
  clientId: c.clientId,
  clientName: c.clientName,
  resource: c.resource,
  scopes: c.scopes,
});

/** What a pending request is read with: the request, its client and its resource, still there. */
export interface Opened {
  request: PendingRequest;
  client: Client;
  resource: ResourceDescription;
}

/**
 * A person's consent, in the console: the authorization request shown as the consent screen
 * shows it, the person's decision (a code for the client, or `access_denied`), and the connected
 * apps their standing consents make, which they may withdraw. Only a person of the request's
 * business decides, with a session that could itself grant the scopes asked for.
 */
@Injectable()
export class ConsentsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly handles: AuthorizationRequestHandles,
    private readonly clients: ClientDirectory,
    private readonly resources: ResourceCatalog,
    private readonly codes: AuthorizationCodesService,
    private readonly ends: GrantEnds,
    private readonly consents: ConsentsRepository,
    private readonly database: Database,
    private readonly config: AppConfig,
    private readonly policies: BusinessPolicyService,
  ) {}

  /** The request as the consent screen shows it. */
  async describe(ctx: RequestContext, handle: string): Promise<AuthorizationRequestViewDto> {
    const { request, client, resource } = await this.open(ctx, handle);
    const standing = await this.consents.findStanding(
      ctx.businessId,
      ctx.actor.id,
      request.clientId,
      request.resource,
      this.database.primary,
    );
    const described = new Map(resource.scopes.map((s) => [s.name, s.description]));
    return {
      client: {
        client_id: client.clientId,
        client_name: client.clientName,
        client_uri: client.clientUri,
        logo_uri: client.logoUri,
        kind: client.kind,
        verified: false,
      },
      resource: { id: resource.id, uri: resource.uri, name: resource.name },
      business: { id: ctx.businessId, name: ctx.business?.name ?? '' },
      scopes: request.scopes.map((name) => ({ name, description: described.get(name) ?? '' })),
      redirect_uri: request.redirectUri,
      remembered: standing !== null && request.scopes.every((s) => standing.scopes.includes(s)),
      expires_at: request.expiresAt.toISOString(),
    };
  }

  /**
   * The person's answer: allowed, a standing consent (new, or widened to these scopes) and a code
   * in one unit of work; denied, `access_denied`. Either way, where the browser goes next.
   */
  async decide(
    ctx: RequestContext,
    handle: string,
    decision: 'allow' | 'deny',
  ): Promise<ConsentRedirectDto> {
    const { request, client } = await this.open(ctx, handle);
    const answer = (params: Record<string, string>) => ({
      redirect_to: authorizationResponseLocation(request.redirectUri, {
        ...params,
        ...(request.state === null ? {} : { state: request.state }),
        iss: issuerOf(this.config, ctx.businessId),
      }),
    });
    if (decision === 'deny') {
      await this.uow.run((tx) =>
        tx.publish(
          new ConsentDeniedEvent(
            ctx.author,
            ctx.businessId,
            request.clientId,
            request.resource,
            request.scopes,
          ),
        ),
      );
      return answer({ error: 'access_denied', error_description: 'The person denied the request' });
    }
    // The session that allows must itself be able to grant what it allows.
    if (!scopesWithin(request.scopes, ctx.token.scopes)) throw new TokenError('SCOPE_ESCALATION');
    await this.assertApproved(ctx, request);
    const code = await this.uow.run(async (tx) => {
      await this.consents.lockForDecision(ctx.businessId, ctx.actor.id, request.clientId, tx);
      const now = new Date();
      const standing = await this.consents.findStanding(
        ctx.businessId,
        ctx.actor.id,
        request.clientId,
        request.resource,
        tx,
      );
      const consent = standing ?? newConsent(ctx, request, client, now);
      const wider = [...new Set([...consent.scopes, ...request.scopes])];
      if (!standing) {
        await this.consents.insert(consent, tx);
      } else if (wider.length > standing.scopes.length) {
        const fields = { scopes: wider, clientName: client.clientName, updatedAt: now };
        Object.assign(consent, fields);
        await this.consents.widen(ctx.businessId, consent.id, fields, tx);
      }
      if (!standing || wider.length > standing.scopes.length) {
        await tx.publish(new ConsentGivenEvent(ctx.author, refOf(consent), standing !== null));
      }
      await this.clients.markUsed(client, now, tx);
      return this.codes.issueIn(
        ctx.author,
        {
          businessId: ctx.businessId,
          identityId: ctx.actor.id,
          clientId: request.clientId,
          redirectUri: request.redirectUri,
          resource: request.resource,
          scopes: request.scopes,
          codeChallenge: request.codeChallenge,
          dpopJkt: request.dpopJkt,
        },
        tx,
      );
    });
    return answer({ code: code.code });
  }

  /** The caller's connected apps: their standing consents, oldest first. */
  list(ctx: RequestContext, query: PageQueryDto): Promise<Page<ConnectedAppDto>> {
    this.personOnly(ctx);
    return paginate(
      query,
      (limit, after) =>
        this.consents.listStanding(
          ctx.businessId,
          ctx.actor.id,
          limit,
          after,
          this.database.primary,
        ),
      createdKey,
      (c) => ConnectedAppDto.of(c),
    );
  }

  /** Withdraws one of the caller's connected apps: its grants end and their tokens are revoked. */
  async withdraw(ctx: RequestContext, consentId: string): Promise<WithdrawnAppDto> {
    this.personOnly(ctx);
    return this.uow.run(async (tx) => {
      const consent = await this.consents.find(ctx.businessId, consentId, tx);
      if (!consent || consent.identityId !== ctx.actor.id || consent.withdrawnAt !== null) {
        throw new ConsentError('CONNECTED_APP_NOT_FOUND');
      }
      const now = new Date();
      if (!(await this.consents.withdraw(ctx.businessId, consent.id, now, tx))) {
        throw new ConsentError('CONNECTED_APP_NOT_FOUND');
      }
      const revoked = await this.ends.endConsentGrants(ctx.author, ctx.businessId, consent.id, tx);
      await tx.publish(new ConsentWithdrawnEvent(ctx.author, refOf(consent), revoked));
      return {
        ...ConnectedAppDto.of(consent),
        withdrawn_at: now.toISOString(),
        revoked_tokens: revoked,
      };
    });
  }

  /** The pending request a handle holds, for this business, with its client and resource now. */
  async open(ctx: RequestContext, handle: string): Promise<Opened> {
    this.personOnly(ctx);
    const request = await this.handles.open(handle);
    if (!request || request.businessId !== ctx.businessId) throw requestNotFound();
    let client: Client;
    try {
      client = await this.clients.resolve(request.clientId);
    } catch (e) {
      if (e instanceof ClientError) throw requestNotFound();
      throw e;
    }
    // A document that changed since the request may no longer list its redirect URI.
    if (!this.clients.acceptsRedirectUri(client, request.redirectUri)) throw requestNotFound();
    const resource = await this.resources.describeResource(ctx.businessId, request.resource);
    const declared = new Set(resource?.scopes.map((s) => s.name));
    if (!resource || !request.scopes.every((s) => declared.has(s))) throw requestNotFound();
    return { request, client, resource };
  }

  /**
   * Scopes the business's token policy keeps for approvers (`approval_required.scopes`) are
   * granted only once an approver allowed them to this person for this client and resource.
   */
  private async assertApproved(ctx: RequestContext, request: PendingRequest): Promise<void> {
    const { approvalRequired } = await this.policies.currentRules(ctx.businessId);
    const gated = scopesNeedingApproval(approvalRequired, request.scopes);
    if (gated.length === 0) return;
    const standing = await this.consents.findStanding(
      ctx.businessId,
      ctx.actor.id,
      request.clientId,
      request.resource,
      this.database.primary,
    );
    const approved = standing?.approvedScopes ?? [];
    const missing = gated.filter((s) => !approved.includes(s));
    if (missing.length === 0) return;
    throw new GovernanceError(
      'APPROVAL_REQUIRED',
      `The business requires an approver for ${missing.join(', ')} (approval_required.scopes): ` +
        'ask for it with POST /api/v1/connected-apps/requests, then start again from the app',
    );
  }

  /** A person acting in a business with a token of that business: never a machine or platform. */
  private personOnly(ctx: RequestContext): void {
    if (ctx.actor.kind !== 'user' || ctx.token.businessId === null) {
      throw new ConsentError('CONSENT_BY_PERSON_ONLY');
    }
  }
}

function newConsent(
  ctx: RequestContext,
  request: PendingRequest,
  client: Client,
  now: Date,
): Consent {
  return Object.assign(new Consent(), {
    id: randomUUID(),
    businessId: ctx.businessId,
    identityId: ctx.actor.id,
    clientId: request.clientId,
    clientName: client.clientName,
    resource: request.resource,
    scopes: [...request.scopes],
    approvedScopes: null,
    createdAt: now,
    updatedAt: now,
    withdrawnAt: null,
  } satisfies Consent);
}
