import { Transform } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  Max,
  Min,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { toInt } from '../../env-transforms';

/** The most replicas one instance reads from: each is a pool and a connection of the lag check. */
export const MAX_REPLICAS = 8;

/** DATABASE_REPLICA_URLS split on commas, each trimmed, the empty ones dropped. */
export function replicaUrlsOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
}

/** What is wrong with a DATABASE_REPLICA_URLS value, or null when nothing is. */
function replicaUrlsProblem(value: unknown, config: { DATABASE_URL?: string }): string | null {
  if (typeof value !== 'string') return 'must be a comma-separated list of postgres:// URLs';
  if (!config.DATABASE_URL) return 'needs DATABASE_URL: read replicas are of a PostgreSQL primary';
  const urls = replicaUrlsOf(value);
  if (urls.length === 0) return 'must be a comma-separated list of postgres:// URLs';
  if (urls.length > MAX_REPLICAS) return `names at most ${MAX_REPLICAS} replicas`;
  // The position only, never the text: a URL may hold a password.
  const bad = urls.findIndex((url) => !/^postgres(ql)?:\/\/.+/.test(url));
  if (bad >= 0) return `entry ${bad + 1} is not a postgres:// URL`;
  if (new Set(urls).size !== urls.length) return 'names one replica twice';
  if (urls.includes(config.DATABASE_URL)) return 'names DATABASE_URL itself, which is the primary';
  return null;
}

@ValidatorConstraint({ name: 'replicaUrls' })
class ReplicaUrlsRule implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    return replicaUrlsProblem(value, args.object) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    return replicaUrlsProblem(args.value, args.object) ?? 'is invalid';
  }
}

/**
 * Read replicas of the PostgreSQL primary (docs/deployment.md, "Read replicas"). Composed into
 * `AppConfig`, which validates it at boot; its rule reads DATABASE_URL from the environment.
 */
export class ReplicaConfig {
  /**
   * Streaming replicas of DATABASE_URL, comma-separated. Lists, audit pages and exports, and
   * usage read from one when it has caught up; token verification, writes and whatever decides a
   * write never do (docs/architecture.md, "Read replicas").
   */
  @IsOptional()
  @Validate(ReplicaUrlsRule)
  DATABASE_REPLICA_URLS?: string;

  /**
   * A replica further behind the primary than this is skipped, and the primary answers. Lag is
   * measured by replay position against the primary's WAL position, in the background.
   */
  @Transform(toInt)
  @IsInt()
  @Min(200)
  @Max(600_000)
  REPLICA_MAX_LAG_MS = 1000;

  /** DATABASE_REPLICA_URLS as a list; empty without replicas. */
  get replicaUrls(): string[] {
    return replicaUrlsOf(this.DATABASE_REPLICA_URLS);
  }
}
