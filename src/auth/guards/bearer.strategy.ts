import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import type { RequestOrigin } from '../../database/units/domain-event';
import { PrincipalVerifier, VerifiedPrincipal } from '../ports';
import { AppConfig } from '../../config/app-config';
import { publicBaseUrl } from '../../config/sections/features/status-list-config';

/**
 * Passport's bearer strategy, backed by the verifier (tokens' `TokenVerifier`), for
 * `AuthGuard('bearer')` on a route of your own (`PassportBearerGuard`). Passport is shown a
 * header-only view carrying `origin`, because passport-http-bearer also reads `access_token` from
 * the query string and the body. A guard of your own on `AuthGuard('bearer')` must do the same.
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  private readonly resource: string;

  constructor(
    private readonly verifier: PrincipalVerifier,
    config: AppConfig,
  ) {
    super({ passReqToCallback: true });
    this.resource = publicBaseUrl(config);
  }

  /** `view` is the header-only request shown to passport, with the origin. */
  validate(
    view: { origin: RequestOrigin },
    secret: string,
  ): VerifiedPrincipal | Promise<VerifiedPrincipal> {
    // Passport reads a bearer token alone: a key-bound token is refused here (no proof shown).
    return this.verifier.verify(secret, view.origin, null, this.resource);
  }
}
