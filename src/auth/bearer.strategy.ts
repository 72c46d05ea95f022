import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { TokenVerifier, VerifiedPrincipal } from '../tokens/token-verifier';

/** Passport's bearer strategy, backed by the token verifier. */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly verifier: TokenVerifier) {
    super();
  }

  validate(secret: string): Promise<VerifiedPrincipal> {
    return this.verifier.verify(secret);
  }
}
