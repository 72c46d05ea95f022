import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import type { EventOrigin } from '../database/domain-event';
import { TokenVerifier, VerifiedPrincipal } from '../tokens/token-verifier';

/** Passport's bearer strategy, backed by the token verifier. */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly verifier: TokenVerifier) {
    super({ passReqToCallback: true });
  }

  /** `view` is the header-only request the bearer guard shows passport, with the origin. */
  validate(view: { origin: EventOrigin }, secret: string): Promise<VerifiedPrincipal> {
    return this.verifier.verify(secret, view.origin);
  }
}
