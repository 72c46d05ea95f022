import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../auth/request-context';
import { RequestValidationError } from '../../common/errors/domain-error';
import { holdKeyLock } from '../../database/units/key-lock';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { ApiToken } from '../store/entities/api-token.entity';
import { TokenViewDto } from '../dto/token-view.dto';
import { UpdateTokenDto } from '../dto/update-token.dto';
import { TokenAccess, TokenActing } from '../policy/token-access';
import { TokenError } from '../token-error';
import { TokenIssuanceService } from './issuance/token-issuance.service';
import { futureDate } from '../policy/token-lifetime';
import { narrowed, NARROWED_FIELDS, shownNarrowing, tokenEditKey } from '../policy/token-narrowing';
import { tokenRef, TokenRenamedEvent, TokenUpdatedEvent } from '../tokens.events';
import { TokenWritesRepository } from '../store/repositories/token-writes.repository';
import { TenancyDirectory } from '../../tenancy/tenancy-directory';
import { scopesWithinHolderRole } from '../policy/holder-scopes';

/** The columns PATCH may set. */
type Edits = Partial<
  Pick<
    ApiToken,
    'name' | 'meta' | 'scopes' | 'expiresAt' | 'allowedCidrs' | 'rateLimitPerMinute' | 'usesLimit'
  >
>;

/**
 * `PATCH /api/v1/tokens/{id}`: a name, `meta`, and the edits that only narrow (`narrowed`: fewer
 * scopes, a sooner expiry, tighter networks, a lower limit). The edits of one
 * token run one at a time (read under `tokenEditKey`), so each is checked against what the one
 * before it left. A name alone is `token.renamed` (not audited, as before); anything more is
 * the audited `token.updated`, with before and after. Either evicts the token on every instance.
 */
@Injectable()
export class TokenUpdateService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly writes: TokenWritesRepository,
    private readonly access: TokenAccess,
    private readonly issuance: TokenIssuanceService,
    private readonly tenancy: TenancyDirectory,
  ) {}

  update(ctx: RequestContext, tokenId: string, dto: UpdateTokenDto): Promise<TokenViewDto> {
    return this.updateAs(this.access.actingFor(ctx), tokenId, dto);
  }

  /** `update`, for whoever `acting` is (a request's caller, or the operator at a shell). */
  updateAs(acting: TokenActing, tokenId: string, dto: UpdateTokenDto): Promise<TokenViewDto> {
    const { author } = acting;
    if (Object.values(dto).every((v) => v === undefined)) throw nothingToChange();
    // The body's 422s before the token's 404, as everywhere.
    if (dto.expires_at && dto.expires_at.getTime() <= Date.now()) {
      throw futureDate('expires_at', dto.expires_at);
    }
    const asked = this.issuance.requested(dto);
    return this.uow.run(async (tx) => {
      await holdKeyLock(tokenEditKey(tokenId), 'exclusive', tx);
      const token = await acting.find('rename', tokenId, tx);
      const narrowing = [
        dto.scopes,
        dto.expires_at,
        dto.allowed_cidrs,
        dto.rate_limit_per_minute,
        dto.uses_limit,
      ];
      // Its successor holds what it held: narrowing the old token would narrow nothing in use.
      if (token.rotatedToId && narrowing.some((v) => v !== undefined)) {
        throw new TokenError('TOKEN_ALREADY_ROTATED', 'Narrow its successor instead');
      }
      const edits: Edits = narrowed(token, {
        scopes: dto.scopes,
        expiresAt: dto.expires_at,
        allowedCidrs: asked.allowed_cidrs,
        rateLimitPerMinute: asked.rate_limit_per_minute,
        usesLimit: dto.uses_limit,
      });
      // Narrowing never gives a member's token an admin built-in (403 SCOPE_ESCALATION).
      if (edits.scopes !== undefined) {
        await scopesWithinHolderRole(
          this.tenancy,
          { ...token, scopesAsked: true },
          edits.scopes,
          tx,
        );
      }
      if (dto.name !== undefined && dto.name !== token.name) edits.name = dto.name;
      if (dto.meta !== undefined) edits.meta = dto.meta;
      const changed = Object.keys(edits) as (keyof Edits)[];
      // The audit entry names the fields by their API names.
      const changedNames = changed.map(apiName);
      if (changed.length === 0) return TokenViewDto.of(token);
      const usesLeft = usesLeftUnder(token, edits.usesLimit);
      await this.writes.edit(token, { ...edits, ...usesLeft }, tx);
      // The answer shows the count as stored: a first limit starts full, not at 0.
      const after: ApiToken = Object.assign(new ApiToken(), token, edits, usesLeft);
      if (changed.length === 1 && changed[0] === 'name') {
        await tx.publish(new TokenRenamedEvent(author, tokenRef(after)));
      } else {
        await tx.publish(
          new TokenUpdatedEvent(
            author,
            tokenRef(after),
            changedNames,
            shownOf(token, changed),
            shownOf(after, changed),
          ),
        );
      }
      return TokenViewDto.of(after);
    });
  }
}

/** The changed fields as the audit entry shows them, by their API names; never meta's content. */
function shownOf(token: ApiToken, changed: (keyof Edits)[]): Record<string, unknown> {
  const narrowedFields = NARROWED_FIELDS.filter((f) => changed.includes(f));
  return {
    ...(changed.includes('name') ? { name: token.name } : {}),
    ...shownNarrowing(token, narrowedFields),
  };
}

const API_NAMES: Record<keyof Edits, string> = {
  name: 'name',
  meta: 'meta',
  scopes: 'scopes',
  expiresAt: 'expires_at',
  allowedCidrs: 'allowed_cidrs',
  rateLimitPerMinute: 'rate_limit_per_minute',
  usesLimit: 'uses_limit',
};
const apiName = (field: keyof Edits) => API_NAMES[field];

/**
 * A lower `uses_limit` takes the stored count down with it (a first limit starts it full). The
 * live count follows: Redis's script and the process's held uses are trimmed to the limit,
 * which reaches every instance with the eviction of the token.
 */
function usesLeftUnder(token: ApiToken, limit: number | null | undefined): Partial<ApiToken> {
  if (limit === undefined || limit === null) return {};
  if (token.usesLimit === null) return { usesRemaining: limit, usesPeriod: 0 };
  return { usesRemaining: Math.min(token.usesRemaining ?? 0, limit) };
}

const nothingToChange = () =>
  new RequestValidationError([
    { loc: ['body'], msg: 'Give at least one field to change', type: 'missing' },
  ]);
