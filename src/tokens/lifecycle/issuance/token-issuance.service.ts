import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../../auth/request-context';
import { CLI_CALLER, decide, enforce, mayAct } from '../../policy/policy-decision';
import { IssuedTokenDto } from '../../dto/token-view.dto';
import { AppConfig } from '../../../config/app-config';
import { Author } from '../../../database/units/domain-event';
import { Transaction, UnitOfWork } from '../../../database/units/unit-of-work';
import { TenancyDirectory } from '../../../tenancy/tenancy-directory';
import { TenancyError } from '../../../tenancy/tenancy-error';
import { ApiToken } from '../../store/entities/api-token.entity';
import { CreateTokenDto } from '../../dto/token-requests.dto';
import { identityNotFound, TokenAccess } from '../../policy/token-access';
import {
  cappedConstraints,
  constraintsOf,
  constraintsUnderMaker,
  requestedConstraints,
  UNCONSTRAINED,
} from '../../policy/token-constraints';
import type { RequestedConstraints } from '../../policy/token-constraints';
import { askedExpiry, expiryOf, expiryUnderMaker } from '../../policy/token-lifetime';
import { mintSecret, type MintedSecret } from '../../token-secret';
import { TokenCreatedEvent, tokenRef } from '../../tokens.events';
import { TokenWritesRepository } from '../../store/repositories/token-writes.repository';
import { StatusListsRepository } from '../../store/repositories/status-lists.repository';
import { newTokenRow, type IssueTokenInput } from './issue-token-input';
import { NewTokenTerms } from './new-token-terms';

/** The admission of a path that has checked its holder before `issue`. */
const ADMITTED = (): Promise<void> => Promise.resolve();

/**
 * Every way a token comes to be (create, import, the CLI); a first or platform token, made for
 * someone other than its maker, is `HandedTokenIssuance`'s, and rotation `TokenRotationService`'s.
 */
@Injectable()
export class TokenIssuanceService {
  constructor(
    private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly writes: TokenWritesRepository,
    private readonly statusLists: StatusListsRepository,
    private readonly tenancy: TenancyDirectory,
    private readonly access: TokenAccess,
    private readonly terms: NewTokenTerms,
  ) {}

  /** Creates a token for the caller, or (admins) for a machine identity of the business. */
  create(ctx: RequestContext, dto: CreateTokenDto): Promise<IssuedTokenDto> {
    return this.uow.run((tx) => this.createIn(ctx, dto, { approvalGated: true }, tx));
  }

  /**
   * `create`, inside the caller's transaction. `approvalGated` false is for a token an approver
   * allowed (a token request's collection): every other check of a create still holds.
   */
  async createIn(
    ctx: RequestContext,
    dto: CreateTokenDto,
    gate: { approvalGated: boolean },
    tx: Transaction,
  ): Promise<IssuedTokenDto> {
    const { input, admitted, own } = this.createInput(ctx, dto, gate.approvalGated, tx);
    // A caller's own token: its admission is read with the cap and the policy, a round trip
    // fewer. For another identity it is decided first, so that nobody takes the exclusive key
    // of an identity they may not issue to, and holds up that identity's own issuance.
    if (!own) await admitted();
    const { secret, token } = await this.issueAdmitted(
      ctx.author,
      input,
      own ? admitted : ADMITTED,
      tx,
    );
    return IssuedTokenDto.issued(secret, token);
  }

  /**
   * Every check `create` runs (the holder, the scopes the caller may grant, the identity's cap,
   * the business policy but its approval rule), without minting or storing anything.
   */
  async vetCreate(ctx: RequestContext, dto: CreateTokenDto, tx: Transaction): Promise<void> {
    const { input, admitted } = this.createInput(ctx, dto, false, tx);
    await admitted();
    await this.terms.assertBelowCap(input, tx);
    await this.terms.governed(input, new Date(), tx);
  }

  private createInput(
    ctx: RequestContext,
    dto: CreateTokenDto,
    approvalGated: boolean,
    tx: Transaction,
  ): { input: IssueTokenInput; admitted: () => Promise<void>; own: boolean } {
    const expiryAskedAt = askedExpiry(dto);
    const expiry = expiryUnderMaker(expiryOf(dto), expiryAskedAt, ctx.token.expiresAt);
    const scopes = dto.scopes ?? null;
    const maker = constraintsOf(ctx.token);
    const capped = constraintsUnderMaker(this.requested(dto), maker, maker);
    const identityId = dto.identity_id ?? ctx.actor.id;
    const input: IssueTokenInput = {
      businessId: ctx.businessId,
      identityId,
      name: dto.name,
      scopes,
      scopesAsked: scopes !== null,
      expiresAt: expiry.expiresAt,
      expiryAskedAt,
      constraints: capped.constraints,
      // Answered with the policy's, once the holder is admitted: every rule broken at once.
      makerBreaches: [expiry.breach, capped.breach].filter((b) => b !== null),
      meta: dto.meta ?? null,
      // The key the body names, else the one this request proved (RFC 9449 §5's binding).
      dpopJkt: dto.dpop_jkt ?? ctx.proofKey,
      approvalGated,
    };
    const admitted = async () => {
      const target = await this.access.memberTarget(ctx, identityId, tx);
      enforce(mayAct(ctx, 'issue', target), identityNotFound);
      this.access.assertMayGrant(ctx, scopes);
    };
    return { input, admitted, own: identityId === ctx.actor.id };
  }

  /**
   * Mints and stores a token inside the caller's transaction, under its business's token policy
   * (every path comes here, so none escapes it). The secret leaves only here.
   *
   * `admitted`, when given, is the caller's own check that this holder may be issued the token
   * (its membership, read under the issuance lock, and the scopes it may grant): it runs with
   * the cap's count and the policy's read, and its refusal is answered before theirs.
   */
  issue(
    author: Author,
    input: IssueTokenInput,
    tx: Transaction,
  ): Promise<{ secret: string; token: ApiToken }> {
    return this.issueAdmitted(author, input, ADMITTED, tx);
  }

  /** `issue`, once `admitted` (the caller's own check of the holder, below) has let it through. */
  async issueAdmitted(
    author: Author,
    input: IssueTokenInput,
    admitted: () => Promise<void>,
    tx: Transaction,
  ): Promise<{ secret: string; token: ApiToken }> {
    const minted = mintSecret(this.config.TOKEN_PREFIX);
    const token = await this.stored(author, input, admitted, minted, tx);
    return { secret: minted.secret, token };
  }

  /**
   * A key brought from elsewhere, stored by the hash and preview it came with (`origin: import`),
   * with no secret minted or shown; every other step (cap, policy, events) is `issueAdmitted`'s.
   */
  storeImported(
    author: Author,
    input: IssueTokenInput,
    key: Pick<MintedSecret, 'hash' | 'preview'>,
    admitted: () => Promise<void>,
    tx: Transaction,
  ): Promise<ApiToken> {
    return this.stored(author, { ...input, origin: 'import' }, admitted, key, tx);
  }

  private async stored(
    author: Author,
    input: IssueTokenInput,
    admitted: () => Promise<void>,
    key: Pick<MintedSecret, 'hash' | 'preview'>,
    tx: Transaction,
  ): Promise<ApiToken> {
    const createdAt = new Date();
    // The admission's read, the cap's count and the policy's rules are read together: one round
    // trip on a pipelined connection, so the identity's exclusive key (below) is held for fewer
    // round trips, and parallel creates for one identity queue that much less (through PgBouncer
    // above all). Nothing is decided until all are answered, and the first refusal in this order
    // is the one answered: the admission's, then the cap's, then the policy's.
    const [, , terms] = await tx.together([
      admitted,
      () => this.terms.assertBelowCap(input, tx),
      () => this.terms.governed(input, createdAt, tx),
    ]);
    const token = newTokenRow(input, terms, key, author, createdAt);
    // The event first: its audit append holds the business's chain head, under which the token
    // takes its status-list place (`StatusListsRepository.place` says why in that order). Nothing
    // of the append reads the token row.
    await tx.publish(
      new TokenCreatedEvent(
        author,
        tokenRef(token),
        token.scopes,
        token.expiresAt?.toISOString() ?? null,
      ),
    );
    const place = await this.statusLists.place(token.businessId, tx);
    token.statusListId = place.listId;
    token.statusIndex = place.index;
    await this.writes.insert(token, tx);
    return token;
  }

  /**
   * For the CLI: a token for a person, by email, in a business they belong to. The shell is
   * trusted like a platform admin, so no scope ceiling applies.
   */
  async issueForMember(
    author: Author,
    businessId: string,
    email: string,
    dto: CreateTokenDto,
  ): Promise<IssuedTokenDto> {
    const expiresAt = expiryOf(dto);
    const identity = await this.tenancy.findUserByEmail(email);
    return this.uow.run(async (tx) => {
      const target = identity
        ? await this.access.holderTarget(
            businessId,
            '',
            identity.id,
            { nonMemberIsUnknown: true, lockForIssue: true },
            tx,
          )
        : 'unknown';
      enforce(
        decide('issue', CLI_CALLER, target),
        () =>
          new TenancyError(
            'MEMBER_NOT_FOUND',
            `${email} is not a member of business ${businessId}`,
          ),
      );
      const { secret, token } = await this.issue(
        author,
        {
          businessId,
          identityId: identity!.id,
          name: dto.name,
          scopes: dto.scopes ?? null,
          scopesAsked: dto.scopes != null,
          expiresAt,
          expiryAskedAt: askedExpiry(dto),
          constraints: cappedConstraints(this.requested(dto), UNCONSTRAINED, UNCONSTRAINED),
          meta: dto.meta ?? null,
          dpopJkt: dto.dpop_jkt ?? null,
        },
        tx,
      );
      return IssuedTokenDto.issued(secret, token);
    });
  }

  /** The constraints a create or rotate body asked for (see `requestedConstraints`). */
  requested(dto: RequestedConstraints): RequestedConstraints {
    return requestedConstraints(dto, this.config.RATE_LIMIT_IDENTITY_PER_MINUTE);
  }
}
