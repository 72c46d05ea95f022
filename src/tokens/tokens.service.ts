import { Injectable } from '@nestjs/common';
import { Author } from '../database/domain-event';
import { Transaction } from '../database/unit-of-work';
import { AppConfig } from '../config/app-config';
import type { CallerToken } from '../auth/request-context';
import { ApiToken } from './api-token.entity';
import { IssuedTokenDto, TokenViewDto } from './dto/token-view.dto';
import { expiryInDays, FIRST_TOKEN_DAYS } from './token-lifetime';
import { TokenError } from './token-error';
import { TokenCreatedEvent, TokenRef, TokenRevokedEvent } from './tokens.events';
import { TokensRepository } from './tokens.repository';
import { mintSecret, newJti } from './token-secret';
import { randomUUID } from 'node:crypto';

export interface IssueTokenInput {
  businessId: string | null;
  identityId: string;
  name: string;
  scopes: string[] | null;
  expiresAt: Date | null;
}

export function tokenRef(token: ApiToken): TokenRef {
  return {
    id: token.id,
    jti: token.jti,
    name: token.name,
    businessId: token.businessId,
    identityId: token.identityId,
  };
}

@Injectable()
export class TokensService {
  constructor(
    private readonly config: AppConfig,
    private readonly tokens: TokensRepository,
  ) {}

  /** Mints and stores a token inside the caller's transaction. The secret leaves only here. */
  async issue(
    tx: Transaction,
    author: Author,
    input: IssueTokenInput,
  ): Promise<{ secret: string; token: ApiToken }> {
    const minted = mintSecret(this.config.TOKEN_PREFIX);
    const token = Object.assign(new ApiToken(), {
      id: randomUUID(),
      jti: newJti(),
      businessId: input.businessId,
      identityId: input.identityId,
      name: input.name,
      scopes: input.scopes,
      tokenHash: minted.hash,
      preview: minted.preview,
      createdAt: new Date(),
      createdBy: author.actor.label,
      expiresAt: input.expiresAt,
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
      revokedById: null,
      revocationReason: null,
      rotatedFromId: null,
    } satisfies ApiToken);
    await this.tokens.insert(tx.manager, token);
    await tx.emit(
      new TokenCreatedEvent(
        author,
        tokenRef(token),
        token.scopes,
        token.expiresAt?.toISOString() ?? null,
      ),
    );
    return { secret: minted.secret, token };
  }

  /**
   * The first token of a business owner or a new member: unrestricted within the role, and
   * expiring in 7 days unless told otherwise. Returned with its secret, shown once.
   */
  async issueFirstToken(
    tx: Transaction,
    author: Author,
    businessId: string,
    identityId: string,
    expiresInDays: number = FIRST_TOKEN_DAYS,
  ): Promise<IssuedTokenDto> {
    const { secret, token } = await this.issue(tx, author, {
      businessId,
      identityId,
      name: 'first-token',
      scopes: null,
      expiresAt: expiryInDays(expiresInDays),
    });
    return IssuedTokenDto.issued(secret, token);
  }

  /** The view of the token making the call. */
  async callerTokenView(caller: CallerToken): Promise<TokenViewDto> {
    const token =
      caller.businessId === null
        ? await this.tokens.findPlatformTokenById(caller.id)
        : await this.tokens.findById(caller.businessId, caller.id);
    if (!token) throw new TokenError('TOKEN_NOT_FOUND', 'Token not found');
    return TokenViewDto.of(token);
  }

  /**
   * Revokes every unrevoked token of an identity in a business (or its platform tokens when
   * `businessId` is null), one audit event per token. Returns the ids it revoked.
   */
  async revokeAllOfIdentity(
    tx: Transaction,
    author: Author,
    businessId: string | null,
    identityId: string,
    reason: string,
  ): Promise<string[]> {
    const candidates =
      businessId === null
        ? await this.tokens.findUnrevokedPlatformTokens(tx.manager, identityId)
        : await this.tokens.findUnrevokedOfIdentity(tx.manager, businessId, identityId);
    const revokedAt = new Date();
    const revoked: string[] = [];
    for (const token of candidates) {
      const won = await this.tokens.revokeIfUnrevoked(tx.manager, token, {
        revokedAt,
        revokedBy: author.actor.label,
        revokedById: author.actor.id,
        reason,
      });
      if (!won) continue;
      revoked.push(token.id);
      await tx.emit(new TokenRevokedEvent(author, tokenRef(token), reason));
    }
    return revoked;
  }
}
