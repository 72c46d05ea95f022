import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { toBool, toInt } from '../env-transforms';
import { parseTrustProxy, TrustProxy } from './security/trust-proxy';
import { isTokenHeaderName } from './security/verify-token-header';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

@ValidatorConstraint({ name: 'trustProxy' })
class TrustProxyRule implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    try {
      parseTrustProxy(value);
      return true;
    } catch {
      return false;
    }
  }

  defaultMessage(args?: ValidationArguments): string {
    try {
      parseTrustProxy(String(args?.value));
      return 'must be false, a hop count, or addresses/CIDRs';
    } catch (e) {
      return (e as Error).message;
    }
  }
}

@ValidatorConstraint({ name: 'tokenHeader' })
class TokenHeaderRule implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isTokenHeaderName(value.trim());
  }

  defaultMessage(): string {
    return (
      'must be a header name (letters, digits, - and the like, at most 64) ' +
      'such as X-API-Key, and not one a proxy or Latchkey gives meaning to (Host, Cookie, ' +
      'X-Forwarded-For, x-business-id, X-Latchkey-*)'
    );
  }
}

/**
 * The installation's folder, the one that holds package.json: this file runs from
 * src/config/sections (ts-node, jest) or from dist/src/config/sections (the build), so the folder
 * is found, not assumed.
 */
function installationRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

/**
 * The installation-wide settings, those no other section owns: the port, the token's prefix and
 * the verifier cache, logs, the proxies trusted, rate limits, metrics, the console, the gateway
 * route, the audit origin and where the keys are. Composed into `AppConfig`, which validates it at
 * boot.
 */
export class CoreConfig {
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /**
   * Namespaces the Redis keys and the bus channel of this deployment (`<prefix>invalidation`,
   * on Redis or as a PostgreSQL NOTIFY channel), so that several deployments or test runs can
   * share one server. At most 48 characters: PostgreSQL channel names stop at 63.
   */
  @Matches(/^[A-Za-z0-9:._-]{1,48}$/, {
    message: 'REDIS_KEY_PREFIX must be 1 to 48 letters, digits, or any of : . _ -',
  })
  REDIS_KEY_PREFIX = 'latchkey:';

  @Matches(/^[a-z][a-z0-9]{0,15}$/, {
    message: 'TOKEN_PREFIX must be 1 to 16 lowercase letters or digits, starting with a letter',
  })
  TOKEN_PREFIX = 'lk';

  /** The verifier cache may serve a stale entry for at most this long, so it is capped at 10 s. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  TOKEN_CACHE_TTL_MS = 5000;

  /**
   * How long a request may take to arrive whole, headers and body: a trickled body is cut with
   * 408. Answers may take longer (an export streams for as long as it needs).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  REQUEST_TIMEOUT_MS = 30_000;

  /** The verifier cache's bound in bytes (estimated per entry), beside its bound in entries. */
  @Transform(toInt)
  @IsInt()
  @Min(1024 * 1024)
  @Max(4 * 1024 * 1024 * 1024)
  TOKEN_CACHE_MAX_BYTES = 64 * 1024 * 1024;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  // require_tld is off because the default bootstrap address has no TLD.
  @IsEmail({ require_tld: false })
  BOOTSTRAP_ADMIN_EMAIL = 'admin@latchkey.local';

  /** `false`, a hop count, or proxies' addresses/CIDRs: see `trust-proxy.ts`. */
  @Validate(TrustProxyRule)
  TRUST_PROXY = 'false';

  /**
   * Honours every caller's `traceparent`, `tracestate` and `baggage`, not only a trusted
   * proxy's (TRUST_PROXY): for a server that only trusted services can reach. Off, any other
   * caller's request starts a trace of its own, linked to the caller's.
   */
  @Transform(toBool)
  @IsBoolean()
  OTEL_TRUST_INCOMING_CONTEXT = false;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  RATE_LIMIT_OAUTH_PER_MINUTE = 60;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE = 300;

  /** `POST /leaks/github` calls per client IP per minute; 0 turns it off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RATE_LIMIT_LEAKS_PER_MINUTE = 60;

  /** Requests per minute per holder identity, all of its tokens together; 0 turns it off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RATE_LIMIT_IDENTITY_PER_MINUTE = 0;

  /** Active tokens one identity may hold in a business (or as platform tokens); 0 turns it off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(100_000)
  MAX_ACTIVE_TOKENS_PER_IDENTITY = 100;

  /**
   * Prometheus metrics at GET /metrics, and the counting behind them. Off, the route is 404 and
   * no request pays for a hook or a counter.
   */
  @Transform(toBool)
  @IsBoolean()
  METRICS_ENABLED = true;

  /**
   * When set, /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`. A shared secret for
   * the scraper, apart from the API's tokens; at least 16 characters, and no whitespace, since it
   * travels in a header.
   */
  @IsOptional()
  @Matches(/^[\x21-\x7e]{16,256}$/, {
    message: 'METRICS_TOKEN must be 16 to 256 printable ASCII characters without spaces',
  })
  METRICS_TOKEN?: string;

  /**
   * Opens /metrics to anyone, on purpose (a scraper on a private network). Its counters span
   * every tenant, so it is closed by default: METRICS_TOKEN or a platform admin's token.
   */
  @Transform(toBool)
  @IsBoolean()
  METRICS_PUBLIC = false;

  /**
   * The admin console's build (`npm run build:console`: index.html and assets/), served at
   * /admin. Without one there, /admin answers 503 and says how to make it.
   */
  @IsString()
  @MinLength(1)
  CONSOLE_DIR = join(installationRoot(), 'dist', 'console');

  /**
   * The header `GET /auth/verify` reads the token from, its whole value being the token (an API
   * key header such as `X-API-Key`). Unset (or `Authorization`): `Authorization: Bearer <token>`.
   * Set, that header alone is read; an `Authorization` header then goes unread (it may carry the
   * upstream's own credential). Not a header a proxy or Latchkey itself gives meaning to.
   */
  @IsOptional()
  @Validate(TokenHeaderRule)
  VERIFY_TOKEN_HEADER?: string;

  /**
   * When set, `GET /auth/verify` answers only a gateway that sends it in
   * `X-Latchkey-Gateway-Secret` (403 `GATEWAY_NOT_TRUSTED` otherwise). A shared secret, compared
   * in constant time and never logged or echoed; 16 to 256 printable ASCII, as it travels in a
   * header.
   */
  @IsOptional()
  @Matches(/^[\x21-\x7e]{16,256}$/, {
    message: 'VERIFY_GATEWAY_SECRET must be 16 to 256 printable ASCII characters without spaces',
  })
  VERIFY_GATEWAY_SECRET?: string;

  /** The lowercase name of the header `/auth/verify` reads a raw token from; null for Bearer. */
  get verifyTokenHeader(): string | null {
    const name = this.VERIFY_TOKEN_HEADER?.trim().toLowerCase();
    return !name || name === 'authorization' ? null : name;
  }

  /** TRUST_PROXY as Fastify takes it. */
  get trustProxy(): TrustProxy {
    return parseTrustProxy(this.TRUST_PROXY);
  }

  /**
   * The host name that names this installation's audit logs: each chain's checkpoint origin is
   * `<LATCHKEY_ORIGIN>/audit/<chain id>`. No scheme, as C2SP origins have none.
   */
  @Matches(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?$/,
    {
      message:
        'LATCHKEY_ORIGIN must be a lowercase host name with no scheme or path, such as latchkey.example.com',
    },
  )
  @MaxLength(200)
  LATCHKEY_ORIGIN = 'latchkey.local';

  /**
   * The folder that holds the installation's keys, as `cli keys init` makes them:
   * `audit-signing.key`, `webhook-secrets.key` and `jwt-signing-keys.json`. Set, a start reads
   * them there and never makes one. Unset, the embedded SQLite default keeps them in its data
   * folder (made on the first start); a start on PostgreSQL needs this (or the keys' own
   * variables), since every instance must sign and seal with the same keys.
   */
  @IsOptional()
  @IsString()
  @MinLength(1)
  KEYS_DIR?: string;

  /**
   * A file holding the JSON of GitHub's secret scanning public keys endpoint
   * (`{"public_keys":[{key_identifier, key, is_current}]}`), which signs leak reports. Read and
   * checked at start (`githubKeysOf`); unset, `POST /leaks/github` is off (404 LEAK_REPORTS_OFF).
   */
  @IsOptional()
  @IsString()
  @MinLength(1)
  GITHUB_SECRET_SCANNING_KEYS_FILE?: string;
}
