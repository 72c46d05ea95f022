import { Transform } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { toInt } from '../../env-transforms';

/**
 * Console sign-in through the installation's OpenID Connect provider (src/sso). Unset, the
 * console signs in with tokens alone and `GET /auth/sso` says SSO is off. With an issuer, its
 * client id and the file of its client secret are required. Composed into `AppConfig`, which
 * validates it at boot.
 */
export class SsoConfig {
  /** The provider's issuer, whose `/.well-known/openid-configuration` is read at first use. */
  @IsOptional()
  @MaxLength(300)
  @Matches(/^https?:\/\/[^\s?#]+$/, {
    message:
      'OIDC_ISSUER must be an http(s) URL with no query or fragment, such as https://idp.example.com',
  })
  OIDC_ISSUER?: string;

  @ValidateIf((c: SsoConfig) => c.OIDC_ISSUER !== undefined)
  @IsString({ message: 'OIDC_CLIENT_ID is required with OIDC_ISSUER' })
  @MaxLength(300)
  OIDC_CLIENT_ID?: string;

  /** A file holding the client secret (a secret, never logged): read once at start. */
  @ValidateIf((c: SsoConfig) => c.OIDC_ISSUER !== undefined)
  @IsString({ message: 'OIDC_CLIENT_SECRET_FILE is required with OIDC_ISSUER' })
  @MaxLength(1000)
  OIDC_CLIENT_SECRET_FILE?: string;

  /** The scopes asked for: `openid` first; add the one your provider needs for groups. */
  @IsString()
  @MaxLength(300)
  @Matches(/^openid( [A-Za-z0-9_:./-]+)*$/, {
    message:
      'OIDC_SCOPES must be openid then scope names, space-separated, such as openid email groups',
  })
  OIDC_SCOPES = 'openid email profile';

  /** The claim that lists a person's groups, which each business maps to its roles. */
  @IsString()
  @Matches(/^[A-Za-z0-9_:./-]{1,100}$/, {
    message: 'OIDC_GROUPS_CLAIM must be a claim name such as groups',
  })
  OIDC_GROUPS_CLAIM = 'groups';

  /** How long a console session made by SSO lasts: at most 12 hours. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(12)
  CONSOLE_SESSION_HOURS = 8;
}
