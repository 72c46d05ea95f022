import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { toInt, toBool } from '../../env-transforms';

/**
 * OIDC federation: how a trust rule's `jwks_uri` is fetched, and how often the RFC 8693
 * exchange may be called. Composed into `AppConfig`, which validates it at boot.
 */
export class FederationConfig {
  /** Lets a `jwks_uri` reach private, loopback and link-local addresses (tests, private issuers). */
  @Transform(toBool)
  @IsBoolean()
  FEDERATION_JWKS_ALLOW_PRIVATE = false;

  /** Lets a `jwks_uri` use plain `http:` (tests). */
  @Transform(toBool)
  @IsBoolean()
  FEDERATION_JWKS_ALLOW_HTTP = false;

  /** How long one fetch of a `jwks_uri` may take, connection and answer together. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(30_000)
  FEDERATION_JWKS_TIMEOUT_MS = 3000;

  /** How long a fetched key set is used before it is fetched again. */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(86_400)
  FEDERATION_JWKS_CACHE_SECONDS = 600;

  /** Token exchanges per machine identity per minute; 0 turns it off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RATE_LIMIT_FEDERATION_IDENTITY_PER_MINUTE = 60;

  /** Token exchanges per issuer within one business per minute; 0 turns it off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RATE_LIMIT_FEDERATION_ISSUER_PER_MINUTE = 600;
}
