import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { toInt } from '../../env-transforms';

/**
 * The installation's JWT signing keys (ES256, for the JWTs it publishes: token status lists),
 * where they come from, and how a rotation is published before it signs. Composed into
 * `AppConfig`, which validates it at boot; the key set itself is checked by `jwtKeySourceOf`.
 */
export class SigningConfig {
  /**
   * The key set's JSON, `{"keys":[<private P-256 JWK with kid, alg ES256 and active_from>…]}`
   * (`keys init` makes one). A secret: never logged, stored or echoed. A rotation cannot change a
   * variable: `keys rotate-jwt` rotates the file.
   */
  @IsOptional()
  @IsString()
  @MaxLength(64 * 1024)
  JWT_SIGNING_KEYS?: string;

  /** A file that holds the key set instead (a mounted secret, or one `keys rotate-jwt` rewrites). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  JWT_SIGNING_KEYS_FILE?: string;

  /**
   * How far ahead of its first signature `keys rotate-jwt` puts a new key (`active_from`): every
   * instance restarted within this window lists it in its JWKS before any instance signs with it,
   * so a verifier that fetched the set from any instance knows the key.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400)
  JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS = 3600;

  /**
   * How long a replaced key stays in the JWKS after the key that replaced it became active, so a
   * JWT it signed just before still verifies; the next rotation after that drops it from the file.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(8760)
  JWT_SIGNING_KEY_RETIRED_LISTED_HOURS = 168;
}
