import { Injectable } from '@nestjs/common';
import { Transaction } from '../../database/units/unit-of-work';
import { ApiToken } from '../store/entities/api-token.entity';
import { TokenActing } from '../policy/token-access';
import { TokenError } from '../token-error';
import { TokenFamilyRepository } from '../store/repositories/token-family.repository';
import { Pause, TokenWritesRepository } from '../store/repositories/token-writes.repository';

/** At most this many tokens are walked below the one paused, whatever their status. */
export const FAMILY_WALK_LIMIT = 10_000;
/** At most this many are paused with it: one transaction writes an audit event for each. */
export const FAMILY_PAUSE_LIMIT = 1_000;

const tooLarge = (detail: string) => new TokenError('TOKEN_FAMILY_TOO_LARGE', detail);
const oldestFirst = (a: ApiToken, b: ApiToken) =>
  a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Pausing a token with its children: every active, unpaused token that descends from it
 * (`parent_token_id`, through tokens revoked or paused on the way), within its business, that
 * the actor may pause; the others are skipped, as bulk revoke skips what its caller may not
 * revoke. `TokenPauseService` runs it in the transaction that pauses the token itself.
 */
@Injectable()
export class TokenFamilyPause {
  constructor(
    private readonly family: TokenFamilyRepository,
    private readonly writes: TokenWritesRepository,
  ) {}

  /**
   * The descendants of `root` to pause, oldest first, their rows and the root's locked until the
   * transaction ends (PostgreSQL). The walk is read again after each lock until it finds no one
   * new, so a token made meanwhile by a member of the family either committed before its maker
   * was locked, and is found, or is refused (`TokenFamilyCheck`).
   */
  async claim(acting: TokenActing, root: ApiToken, tx: Transaction): Promise<ApiToken[]> {
    const businessId = root.businessId;
    if (businessId === null) return [];
    await this.family.lockRows(businessId, [root.id], tx);
    const locked = new Set([root.id]);
    const postgres = tx.postgres;
    for (;;) {
      const ids = (
        await this.family.descendantIds(businessId, root.id, FAMILY_WALK_LIMIT + 1, tx)
      ).filter((id) => id !== root.id);
      if (ids.length > FAMILY_WALK_LIMIT) {
        throw tooLarge(`More than ${FAMILY_WALK_LIMIT} tokens descend from it`);
      }
      const open = await this.family.openOf(businessId, ids, new Date(), tx);
      const claimed = await acting.permitted('disable', open, tx);
      if (claimed.length > FAMILY_PAUSE_LIMIT) {
        throw tooLarge(
          `${claimed.length} active tokens descend from it, more than ${FAMILY_PAUSE_LIMIT}: ` +
            'pause or revoke some of them first',
        );
      }
      const fresh = claimed.filter((t) => !locked.has(t.id)).map((t) => t.id);
      if (!postgres || fresh.length === 0) return claimed.sort(oldestFirst);
      await this.family.lockRows(businessId, fresh, tx);
      for (const id of fresh) locked.add(id);
    }
  }

  /** Pauses `tokens` (one conditional UPDATE each, sent together): those this call paused. */
  async pause(tokens: ApiToken[], pause: Pause, tx: Transaction): Promise<ApiToken[]> {
    const won = await tx.together<boolean[]>(
      tokens.map((t) => () => this.writes.disableIfEnabled(t, pause, tx)),
    );
    return tokens.filter((_, i) => won[i]);
  }
}
