import { Injectable } from '@nestjs/common';
import { AuthError } from '../../auth/auth-error';
import { DomainEvents } from '../../database/units/domain-events';
import { TokenFamilyRepository } from '../store/repositories/token-family.repository';
import { TokenCreatedEvent } from '../tokens.events';

/**
 * A token made by a paused token is refused, in the transaction that makes it: the request
 * passed the bearer check before the pause committed, and would otherwise leave an active child
 * behind a pause with children that has already walked the family. On PostgreSQL the maker's
 * row is read under a lock that a pause with children waits for
 * (`TokenFamilyRepository.makerStateAnyBusiness`); SQLite runs one unit of work at a time, so the
 * plain read suffices there. A rotation needs no more: it holds its token's row from its claim
 * on, so a pause with children either waits for it, and then finds the successor, or came first,
 * and the claim finds the token paused.
 */
@Injectable()
export class TokenFamilyCheck {
  constructor(events: DomainEvents, family: TokenFamilyRepository) {
    events.handle(TokenCreatedEvent, async (e, tx) => {
      const makerId = e.author.actor.tokenId;
      if (!makerId) return;
      const state = await family.makerStateAnyBusiness(makerId, tx);
      if (state !== 'open') {
        throw AuthError.bearer('TOKEN_DISABLED', 'The token was paused while this request ran');
      }
    });
  }
}
