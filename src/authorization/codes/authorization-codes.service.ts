import { Injectable } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { assertBusinessId } from '../../common/tenant-scope';
import type { Author } from '../../database/units/domain-event';
import { DomainEvents } from '../../database/units/domain-events';
import { Transaction, UnitOfWork } from '../../database/units/unit-of-work';
import {
  AuthorizationCodeIssuedEvent,
  AuthorizationCodeRedeemedEvent,
  AuthorizationCodeRefusedEvent,
  AuthorizationCodeReplayedEvent,
  CodeRef,
} from './authorization-codes.events';
import { OAuthError } from '../../common/errors/oauth-error';
import { invalidGrant } from './code-redemption-error';
import { redemptionRefusal } from './code-redemption-checks';
import type {
  CodeGrant,
  CodePresentation,
  IssuedCode,
  RedeemedGrant,
} from './dto/authorization-code.dto';
import { PKCE_VALUE } from './pkce';
import { AuthorizationCode } from './store/authorization-code.entity';
import { AuthorizationCodesRepository } from './store/authorization-codes.repository';

/** How long a code may be redeemed after it is issued. */
export const CODE_LIFETIME_MS = 60_000;

/** A code: 32 random bytes, base64url (256 bits, so never guessed). */
const CODE_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** The SHA-256 of a presented code, hex; null for text that is no code, never looked up. */
export function codeHashOf(code: unknown): string | null {
  if (typeof code !== 'string' || !CODE_FORMAT.test(code)) return null;
  return createHash('sha256').update(code).digest('hex');
}

const refOf = (c: AuthorizationCode): CodeRef => ({
  id: c.id,
  businessId: c.businessId,
  grantId: c.grantId,
  identityId: c.identityId,
  clientId: c.clientId,
  redirectUri: c.redirectUri,
  resource: c.resource,
  scopes: c.scopes,
});

/** A redemption's end: the grant, or the refusal to answer once the unit has committed. */
export type Redemption = { grant: RedeemedGrant } | { refused: OAuthError };

/**
 * Authorization codes (RFC 6749 §4.1, RFC 7636): issued once a person consents, redeemed once by
 * the client they were issued to. Each issue, redemption, refusal and replay is audited in the
 * unit of work that makes it; a replay also tells `onReplay`'s listeners the grant to revoke.
 */
@Injectable()
export class AuthorizationCodesService {
  /** The time codes are issued and redeemed at; a test moves it rather than wait a minute. */
  clock: () => number = Date.now;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly events: DomainEvents,
    private readonly codes: AuthorizationCodesRepository,
  ) {}

  /** Issues a code for `grant`, in a unit of work of its own. */
  issue(author: Author, grant: CodeGrant): Promise<IssuedCode> {
    return this.uow.run((tx) => this.issueIn(author, grant, tx));
  }

  /** Issues a code for `grant` in the caller's transaction (the consent that grants it). */
  async issueIn(author: Author, grant: CodeGrant, tx: Transaction): Promise<IssuedCode> {
    assertBusinessId(grant.businessId);
    if (!PKCE_VALUE.test(grant.codeChallenge)) throw new Error('A code needs an S256 challenge');
    const code = randomBytes(32).toString('base64url');
    const now = new Date(this.clock());
    const row = Object.assign(new AuthorizationCode(), {
      id: randomUUID(),
      businessId: grant.businessId,
      codeHash: codeHashOf(code)!,
      grantId: randomUUID(),
      identityId: grant.identityId,
      clientId: grant.clientId,
      redirectUri: grant.redirectUri,
      resource: grant.resource,
      scopes: [...grant.scopes],
      codeChallenge: grant.codeChallenge,
      dpopJkt: grant.dpopJkt,
      createdAt: now,
      expiresAt: new Date(now.getTime() + CODE_LIFETIME_MS),
      redeemedAt: null,
    } satisfies AuthorizationCode);
    await this.codes.insert(row, tx);
    await tx.publish(
      new AuthorizationCodeIssuedEvent(author, refOf(row), row.expiresAt, row.dpopJkt !== null),
    );
    return { code, grantId: row.grantId, expiresAt: row.expiresAt };
  }

  /**
   * Redeems a code presented in `businessId`'s token request, once. Refused, with no word of
   * which rule failed: a code unknown or of another business; expired; presented by another
   * client, at another redirect URI, for another resource, with no verifier or a wrong one.
   * A code already redeemed is a replay: refused, and its grant is to be revoked. The refusals
   * of a code the business issued are audited, and only once this unit has committed is the
   * caller answered, so a refusal's entry is kept.
   */
  async redeem(
    author: Author,
    businessId: string,
    presented: CodePresentation,
  ): Promise<RedeemedGrant> {
    const outcome = await this.uow.run((tx) => this.redeemIn(author, businessId, presented, tx));
    if ('refused' in outcome) throw outcome.refused;
    return outcome.grant;
  }

  /**
   * `redeem` in the caller's unit of work, which goes on to issue the grant's tokens in it, so a
   * code is never spent without them. `beforeEvents` runs once the code is found and before any
   * event: where the caller takes the locks its issuance needs, ahead of the audit chain's. The
   * caller answers the refusal once its unit has committed, so a refusal's entry is kept.
   */
  async redeemIn(
    author: Author,
    businessId: string,
    presented: CodePresentation,
    tx: Transaction,
    beforeEvents: (code: { identityId: string }) => Promise<void> = () => Promise.resolve(),
  ): Promise<Redemption> {
    assertBusinessId(businessId);
    const hash = codeHashOf(presented.code);
    if (hash === null) return { refused: invalidGrant() };
    const now = new Date(this.clock());
    const found = await this.codes.findByHashAnyBusiness(hash, tx);
    // Another business's code is no code here: nothing in this business's log, nor in its own.
    if (!found || found.businessId !== businessId) return { refused: invalidGrant() };
    await beforeEvents(found);
    const ref = refOf(found);
    if (found.redeemedAt !== null) return this.replayed(author, ref, tx);
    const reason = redemptionRefusal(found, presented, now);
    if (reason !== null) {
      await tx.publish(new AuthorizationCodeRefusedEvent(author, ref, reason));
      return {
        refused:
          reason === 'verifier_missing'
            ? new OAuthError('invalid_request', 'code_verifier is required')
            : invalidGrant(),
      };
    }
    // First wins: the others find it redeemed, and are replays.
    if (!(await this.codes.redeem(businessId, hash, now, tx))) {
      return this.replayed(author, ref, tx);
    }
    await tx.publish(new AuthorizationCodeRedeemedEvent(author, ref));
    return {
      grant: {
        grantId: found.grantId,
        businessId: found.businessId,
        identityId: found.identityId,
        clientId: found.clientId,
        resource: found.resource,
        scopes: found.scopes,
        dpopJkt: found.dpopJkt,
      },
    };
  }

  /**
   * Calls `listener` with the grant of every replayed code, once its refusal has committed: the
   * tokens issued under that grant are to be revoked.
   */
  onReplay(listener: (businessId: string, grantId: string) => void): void {
    this.events.subscribe([AuthorizationCodeReplayedEvent], (e) =>
      listener(e.code.businessId, e.grantId),
    );
  }

  private async replayed(author: Author, ref: CodeRef, tx: Transaction): Promise<Redemption> {
    await tx.publish(new AuthorizationCodeReplayedEvent(author, ref));
    return { refused: invalidGrant() };
  }
}
