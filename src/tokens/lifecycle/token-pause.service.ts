import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../auth/request-context';
import { Outcome } from '../../common/http/envelope';
import { Transaction, UnitOfWork } from '../../database/units/unit-of-work';
import { ApiToken } from '../store/entities/api-token.entity';
import { PausedTokenDto } from '../dto/token-pause.dto';
import { TokenViewDto } from '../dto/token-view.dto';
import { TokenAccess, TokenActing } from '../policy/token-access';
import { TokenError } from '../token-error';
import { TokenFamilyPause } from './token-family-pause';
import { TokenDisabledEvent, TokenEnabledEvent, tokenRef } from '../tokens.events';
import { TokensRepository } from '../store/repositories/tokens.repository';
import { TokenWritesRepository } from '../store/repositories/token-writes.repository';

const revoked = () => new TokenError('TOKEN_IS_REVOKED');

/** How a pause reaches beyond its token. */
export interface PauseOptions {
  /** Also pause the tokens that descend from it, that the actor may pause. */
  children?: boolean;
}

/**
 * Pause and resume: a disabled token is refused (401 TOKEN_DISABLED) on every instance, as a
 * revoked one is, but can be enabled again. Each change is one conditional UPDATE, so of two
 * parallel calls one changes the token and the other answers what it found. A pause reaches
 * the tokens it made only when asked (`children`); a resume never does, so a pause that someone
 * put on one of them for a reason of its own is not undone with the family's.
 */
@Injectable()
export class TokenPauseService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tokens: TokensRepository,
    private readonly writes: TokenWritesRepository,
    private readonly access: TokenAccess,
    private readonly family: TokenFamilyPause,
  ) {}

  /**
   * Pauses a token the policy lets the caller disable; pausing again keeps the first pause. With
   * `children`, also the tokens that descend from it (`TokenFamilyPause`), in one transaction.
   */
  disable(
    ctx: RequestContext,
    tokenId: string,
    reason: string | null,
    options: PauseOptions = {},
  ): Promise<Outcome<PausedTokenDto>> {
    return this.disableAs(this.access.actingFor(ctx), tokenId, reason, options);
  }

  /** `disable`, for whoever `acting` is (a request's caller, or the operator at a shell). */
  disableAs(
    acting: TokenActing,
    tokenId: string,
    reason: string | null,
    options: PauseOptions = {},
  ): Promise<Outcome<PausedTokenDto>> {
    const { author } = acting;
    return this.uow.run(async (tx) => {
      const token = await acting.find('disable', tokenId, tx);
      if (token.revokedAt) throw revoked();
      const pause = { at: new Date(), by: author.actor.label, byId: author.actor.id, reason };
      const family = options.children ? await this.family.claim(acting, token, tx) : null;
      const won = await this.writes.disableIfEnabled(token, pause, tx);
      const children = family && (await this.family.pause(family, pause, tx));
      if (won) {
        const count = children && { children: children.length };
        await tx.publish(new TokenDisabledEvent(author, tokenRef(token), reason, count));
      }
      for (const child of children ?? []) {
        const pausedWith = { pausedWith: { id: token.id, jti: token.jti } };
        await tx.publish(new TokenDisabledEvent(author, tokenRef(child), reason, pausedWith));
      }
      const answer = children && { paused: children.length, token_ids: children.map((c) => c.id) };
      if (won) {
        return new Outcome({
          ...TokenViewDto.of({
            ...token,
            disabledAt: pause.at,
            disabledBy: pause.by,
            disabledById: pause.byId,
            disabledReason: reason,
          }),
          children: answer,
        });
      }
      const current = await this.current(token, tx);
      return new Outcome(
        { ...TokenViewDto.of(current), children: answer },
        'ALREADY_DISABLED',
        'The token was already disabled; the first pause stands',
      );
    });
  }

  /** Resumes a paused token. A revoked token is 409: revocation is for good. */
  enable(ctx: RequestContext, tokenId: string): Promise<Outcome<TokenViewDto>> {
    return this.enableAs(this.access.actingFor(ctx), tokenId);
  }

  /** `enable`, for whoever `acting` is. */
  enableAs(acting: TokenActing, tokenId: string): Promise<Outcome<TokenViewDto>> {
    return this.uow.run(async (tx) => {
      const token = await acting.find('enable', tokenId, tx);
      if (token.revokedAt) throw revoked();
      if (await this.writes.enableIfDisabled(token, tx)) {
        await tx.publish(new TokenEnabledEvent(acting.author, tokenRef(token)));
        return new Outcome(
          TokenViewDto.of({
            ...token,
            disabledAt: null,
            disabledBy: null,
            disabledById: null,
            disabledReason: null,
          }),
        );
      }
      const current = await this.current(token, tx);
      return new Outcome(TokenViewDto.of(current), 'ALREADY_ENABLED', 'The token was not disabled');
    });
  }

  /** The token as it is now, after losing a conditional UPDATE; revoked meanwhile is 409. */
  private async current(token: ApiToken, tx: Transaction): Promise<ApiToken> {
    const current = (await this.tokens.reload(token, tx)) ?? token;
    if (current.revokedAt) throw revoked();
    return current;
  }
}
