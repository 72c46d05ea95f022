import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../auth/request-context';
import { RequestValidationError } from '../common/domain-error';
import { holdKeyLock } from '../database/key-lock';
import { UnitOfWork } from '../database/unit-of-work';
import { ApiToken } from './api-token.entity';
import { TokenViewDto } from './dto/token-view.dto';
import { UpdateTokenDto } from './dto/update-token.dto';
import { TokenAccess } from './token-access';
import { tokenRef, TokenRenamedEvent, TokenUpdatedEvent } from './tokens.events';
import { TokensRepository } from './tokens.repository';

/** The columns PATCH may set, by body field. */
type Edits = Partial<Pick<ApiToken, 'name' | 'meta'>>;

/** The advisory lock that orders the edits of one token (PostgreSQL; SQLite runs one at a time). */
export const tokenEditKey = (tokenId: string) => `token-edit:${tokenId}`;

/**
 * `PATCH /api/v1/tokens/{id}`: a name, `meta`, and the edits that only narrow. The edits of one
 * token run one at a time (read under `tokenEditKey`), so each is checked against what the one
 * before it left. A name alone is `token.renamed` (not audited, as before); anything more is
 * the audited `token.updated`, with before and after. Either evicts the token on every instance.
 */
@Injectable()
export class TokenUpdateService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tokens: TokensRepository,
    private readonly access: TokenAccess,
  ) {}

  update(ctx: RequestContext, tokenId: string, dto: UpdateTokenDto): Promise<TokenViewDto> {
    if (Object.values(dto).every((v) => v === undefined)) throw nothingToChange();
    return this.uow.run(async (tx) => {
      await holdKeyLock(tx, tokenEditKey(tokenId), 'exclusive');
      const token = await this.access.findFor(ctx, 'rename', tokenId, tx);
      const edits: Edits = {};
      if (dto.name !== undefined && dto.name !== token.name) edits.name = dto.name;
      if (dto.meta !== undefined) edits.meta = dto.meta;
      const changed = Object.keys(edits) as (keyof Edits)[];
      if (changed.length === 0) return TokenViewDto.of(token);
      await this.tokens.edit(tx, token, edits);
      const after: ApiToken = Object.assign(new ApiToken(), token, edits);
      if (changed.length === 1 && changed[0] === 'name') {
        await tx.publish(new TokenRenamedEvent(ctx.author, tokenRef(after)));
      } else {
        await tx.publish(
          new TokenUpdatedEvent(
            ctx.author,
            tokenRef(after),
            changed,
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
  const shown: Record<string, unknown> = {};
  for (const field of changed) {
    if (field === 'name') shown.name = token.name;
  }
  return shown;
}

const nothingToChange = () =>
  new RequestValidationError([
    { loc: ['body'], msg: 'Give at least one field to change', type: 'missing' },
  ]);
