import { Injectable } from '@nestjs/common';
import { AuthError } from '../auth/auth-error';
import type { Actor, CallerToken } from '../auth/request-context';
import type { EventOrigin } from '../database/domain-event';
import { identityLabel } from '../tenancy/identity.entity';
import { Role } from '../tenancy/membership.entity';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import { tokenStatus } from './api-token.entity';
import { LastUsedWriter } from './last-used-writer';
import { RejectedUseRecorder } from './rejected-use-recorder';
import { TokensRepository } from './tokens.repository';
import { hashSecret, isWellFormedSecret } from './token-secret';

// Unknown, malformed and orphaned tokens get the same answer, so none is told apart.
const invalidToken = () => AuthError.bearer('INVALID_TOKEN', 'Invalid token');

/** Who a valid bearer token speaks for. */
export interface VerifiedPrincipal {
  actor: Actor;
  token: CallerToken;
  /** The identity's role in the token's business; null for a platform token. */
  role: Role | null;
}

/**
 * Turns a presented secret into a principal, or a 401 that says why not. The checksum is
 * checked first, so a malformed string never reaches the database.
 */
@Injectable()
export class TokenVerifier {
  constructor(
    private readonly tokens: TokensRepository,
    private readonly tenancy: TenancyDirectory,
    private readonly lastUsed: LastUsedWriter,
    private readonly rejections: RejectedUseRecorder,
  ) {}

  /** `origin` is where the request came from, recorded when a dead token is presented. */
  async verify(secret: string, origin: EventOrigin): Promise<VerifiedPrincipal> {
    if (!isWellFormedSecret(secret)) throw invalidToken();
    const token = await this.tokens.findByHashAnyBusiness(hashSecret(secret));
    if (!token) throw invalidToken();
    const ref = {
      id: token.id,
      jti: token.jti,
      name: token.name,
      businessId: token.businessId,
      identityId: token.identityId,
    };
    switch (tokenStatus(token)) {
      case 'revoked':
        this.rejections.note(ref, 'revoked', origin);
        throw AuthError.bearer('TOKEN_REVOKED', 'Token has been revoked');
      case 'expired':
        this.rejections.note(ref, 'expired', origin);
        throw AuthError.bearer('TOKEN_EXPIRED', 'Token has expired');
      case 'active':
        break;
    }
    const identity = await this.tenancy.findIdentityAnyBusiness(token.identityId);
    if (!identity || identity.deletedAt) throw invalidToken();
    // A token speaks only while its identity still holds the standing it was issued under:
    // a membership of the token's business, or platform admin rights for a platform token.
    let role: Role | null = null;
    if (token.businessId === null) {
      if (!identity.isPlatformAdmin) throw invalidToken();
    } else {
      const membership = await this.tenancy.findMembership(token.businessId, identity.id);
      if (!membership) throw invalidToken();
      role = membership.role;
    }
    this.lastUsed.touch(token.id);
    return {
      actor: {
        id: identity.id,
        kind: identity.kind,
        label: identityLabel(identity),
        isPlatformAdmin: identity.isPlatformAdmin,
      },
      token: {
        id: token.id,
        jti: token.jti,
        businessId: token.businessId,
        scopes: token.scopes,
        createdAt: token.createdAt,
        expiresAt: token.expiresAt,
      },
      role,
    };
  }
}
