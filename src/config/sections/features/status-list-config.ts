import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import { toInt } from '../../env-transforms';

/**
 * The address relying parties reach this installation at: PUBLIC_BASE_URL, or
 * `http://localhost:<PORT>` when it is unset. Status lists and the Shared Signals transmitter
 * (its `issuer`, every SET's `iss`) name themselves by it.
 */
export function publicBaseUrl(config: { PUBLIC_BASE_URL?: string; PORT: number }): string {
  return config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`;
}

/**
 * Token Status Lists: where relying parties reach this installation, and how long a list they
 * fetched stands. Composed into `AppConfig`, which validates it at boot.
 */
export class StatusListConfig {
  /**
   * The address relying parties reach this installation at, such as
   * `https://latchkey.example.com`: each status list's URL (its `sub`, and the `uri` a token's
   * entry names) begins with it, and the Shared Signals transmitter's issuer is it. Unset:
   * `http://localhost:<PORT>`.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[a-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~-]+)*$/, {
    message:
      'PUBLIC_BASE_URL must be an http(s) URL of a lowercase host, with no query, fragment or trailing slash, such as https://latchkey.example.com',
  })
  @MaxLength(200)
  PUBLIC_BASE_URL?: string;

  /**
   * How long a relying party uses a status list before it fetches it again (the list's `ttl`,
   * and its HTTP cache lifetime): the longest a revocation may go unseen by one that checks
   * offline. An instance serves one list it built for at most this long.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  STATUS_LIST_TTL_SECONDS = 60;
}
