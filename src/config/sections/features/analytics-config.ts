import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { toBool, toInt } from '../../env-transforms';

/**
 * Verification analytics (src/analytics): whether verifications are counted, how long each
 * granularity of counts is kept, and the bounds on what one instance holds in memory. The
 * retentions' floors keep the finer table long enough for the roll-ups, which recompute the
 * last two hours and days from it. Composed into `AppConfig`, which validates it at boot.
 */
export class AnalyticsConfig {
  /** Off, nothing is counted, the routes answer what was counted before, and tags are ignored. */
  @Transform(toBool)
  @IsBoolean()
  ANALYTICS_ENABLED = true;

  /** Minute buckets are kept this many hours. */
  @Transform(toInt)
  @IsInt()
  @Min(3)
  @Max(24 * 30)
  ANALYTICS_MINUTE_RETENTION_HOURS = 48;

  /**
   * How often each instance rolls minute counts up to hours and hours up to days, and deletes
   * what is past its retention: an hour's or a day's chart lags its minutes by at most this.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  ANALYTICS_ROLLUP_SECONDS = 60;

  /** Hour buckets are kept this many days. */
  @Transform(toInt)
  @IsInt()
  @Min(3)
  @Max(3650)
  ANALYTICS_HOUR_RETENTION_DAYS = 35;

  /** Day buckets are kept this many days. */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(3650)
  ANALYTICS_DAY_RETENTION_DAYS = 400;

  /**
   * Distinct tags one business may count under per UTC day, per instance; beyond them a call
   * counts under the tag `(other)`, so a gateway naming endless tags costs bounded rows.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  ANALYTICS_TAGS_PER_BUSINESS_DAY = 1000;

  /**
   * Distinct counters (minute, token, outcome, tags) one instance holds between writes (every
   * 5 seconds); a verification that would add one more is dropped, counted and logged.
   */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(10_000_000)
  ANALYTICS_MAX_PENDING_KEYS = 100_000;
}
