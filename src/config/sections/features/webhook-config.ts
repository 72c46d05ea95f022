import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { toInt, toBool } from '../../env-transforms';

/** 1 to 365, as text. */
const DAY_COUNT = '(?:36[0-5]|3[0-5]\\d|[12]\\d\\d|[1-9]\\d?)';

/**
 * Webhooks: the secrets key, where they may go, how they are delivered and retried, how long they
 * are kept, and the expiry notices they carry. Composed into `AppConfig`, which validates it at
 * boot.
 */
export class WebhookConfig {
  /**
   * The key that seals webhook signing secrets at rest: 32 bytes in base64
   * (`openssl rand -base64 32`). A secret: never logged, stored or echoed.
   */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  WEBHOOK_SECRETS_KEY?: string;

  /** A file that holds that key instead (a mounted secret). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  WEBHOOK_SECRETS_KEY_FILE?: string;

  /**
   * Off, no webhook endpoint can be registered and nothing is delivered, and no secrets key is
   * needed; start says so at warn. On by default: only an operator turns it off.
   */
  @Transform(toBool)
  @IsBoolean()
  WEBHOOKS_ENABLED = true;

  /** Lets webhooks reach private, loopback and link-local addresses (tests, private networks). */
  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE = false;

  /** Lets webhook URLs use plain `http:`. */
  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_ALLOW_HTTP = false;

  /**
   * Whether this instance delivers webhooks. Off, it still queues every message in the outbox in
   * the change's transaction, and instances with it on deliver them: a deployment may keep
   * delivery off its API instances.
   */
  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_DELIVERY = true;

  /** The delays before each retry of a failed delivery (`5s,5m,30m,2h,5h,10h,10h`), each jittered. */
  @IsString()
  @Matches(/^\s*\d+\s*(ms|s|m|h|d)\s*(,\s*\d+\s*(ms|s|m|h|d)\s*){0,19}$/, {
    message:
      'WEBHOOK_RETRY_SCHEDULE must be a comma-separated list of delays such as 5s,5m,30m,2h (at most 20)',
  })
  WEBHOOK_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h';

  /** How long one delivery attempt may take, connection and answer together. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** How often each instance looks for due deliveries that no commit of its own woke it for. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  WEBHOOK_POLL_MS = 1_000;

  /**
   * How many sends one endpoint may have in flight at once on each delivering instance (one while
   * it is failing): a receiver that hangs holds no more of the instance's send slots than this.
   * 8, not the 4: at 4 one busy endpoint drained 0.68 of what it did before fair delivery,
   * at 8 1.03, and a business holds at most half the slots whatever this is (docs/performance.md).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(32)
  WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT = 8;

  /** After failing this long without one delivery, an endpoint is disabled. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(8_640_000)
  WEBHOOK_DISABLE_AFTER_SECONDS = 432_000;

  /**
   * How long a delivered or given-up message is kept, with its attempts, after its last attempt:
   * the deliveries list and redeliver reach back this far.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3650)
  WEBHOOK_RETENTION_DAYS = 30;

  /**
   * When `token.expiring` is sent, in days before a token's expiry (`7,1`: a week and a day
   * ahead); `token.expired` is sent at expiry regardless.
   */
  @IsString()
  @Matches(new RegExp(`^\\s*${DAY_COUNT}\\s*(,\\s*${DAY_COUNT}\\s*){0,4}$`), {
    message:
      'TOKEN_EXPIRY_NOTICE_DAYS must be up to 5 comma-separated day counts from 1 to 365, such as 7,1',
  })
  TOKEN_EXPIRY_NOTICE_DAYS = '7,1';

  /** How often each instance looks for tokens to send expiry notices about. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  TOKEN_EXPIRY_NOTICE_EVERY_SECONDS = 60;

  /** TOKEN_EXPIRY_NOTICE_DAYS as numbers, largest first, each once, 1 to 365. */
  get expiryNoticeDays(): number[] {
    const days = this.TOKEN_EXPIRY_NOTICE_DAYS.split(',').map((d) => Number(d.trim()));
    return [...new Set(days)].sort((a, b) => b - a);
  }
}
