import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { toBool, toInt } from '../../env-transforms';

/**
 * The authorization server: how a Client ID Metadata Document is fetched, how often one address
 * may register a client (RFC 7591), and how long the tokens it issues live. Composed into
 * `AppConfig`.
 */
export class OAuthClientsConfig {
  /** Lets a client_id URL reach private, loopback and link-local addresses (tests, private clients). */
  @Transform(toBool)
  @IsBoolean()
  CLIENT_METADATA_ALLOW_PRIVATE = false;

  /** Lets a client_id URL use plain `http:` (tests). */
  @Transform(toBool)
  @IsBoolean()
  CLIENT_METADATA_ALLOW_HTTP = false;

  /** How long one fetch of a client metadata document may take, connection and answer together. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(30_000)
  CLIENT_METADATA_TIMEOUT_MS = 5000;

  /** `POST /oauth2/register` calls per client IP per hour; 0 turns it off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RATE_LIMIT_CLIENT_REGISTRATIONS_PER_HOUR = 20;

  /** How long an access token the authorization code flow issues lives, in minutes. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1440)
  OAUTH_ACCESS_TOKEN_MINUTES = 60;

  /** How long a refresh token lives, in days; each use gives a new one, counted afresh. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(365)
  OAUTH_REFRESH_TOKEN_DAYS = 30;
}
