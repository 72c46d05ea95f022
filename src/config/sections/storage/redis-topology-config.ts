import { Transform } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
  Validate,
  ValidateIf,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { toInt } from '../../env-transforms';

/** One Redis or Sentinel server, as `host:port`. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/**
 * Where Redis is, as the connection factory (src/redis/redis-connections.ts) takes it: one server
 * (`REDIS_URL`), a master that Sentinels name (`REDIS_SENTINELS`), or a Cluster
 * (`REDIS_CLUSTER_NODES`).
 */
export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | {
      kind: 'sentinel';
      sentinels: RedisNodeAddress[];
      name: string;
      password?: string;
      sentinelPassword?: string;
    }
  | { kind: 'cluster'; nodes: RedisNodeAddress[]; password?: string };

const MAX_NODES = 16;
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$/;

/** `host:port,host:port`: the addresses, or a sentence that says what is wrong with them. */
export function parseRedisNodes(raw: string): RedisNodeAddress[] | string {
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length > MAX_NODES) return `must list at most ${MAX_NODES} host:port addresses`;
  const nodes: RedisNodeAddress[] = [];
  for (const part of parts) {
    const match = /^(.+):(\d{1,5})$/.exec(part);
    const port = match ? Number(match[2]) : 0;
    if (!match || !HOST.test(match[1]) || port < 1 || port > 65535) {
      return `"${part.slice(0, 64)}" is not a host:port address (such as redis-1:26379)`;
    }
    const host = match[1].replace(/^\[(.*)\]$/, '$1');
    if (nodes.some((n) => n.host === host && n.port === port)) return `lists ${part} twice`;
    nodes.push({ host, port });
  }
  return nodes;
}

@ValidatorConstraint({ name: 'redisNodes' })
class RedisNodesRule implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && typeof parseRedisNodes(value) !== 'string';
  }

  defaultMessage(args?: ValidationArguments): string {
    const problem = parseRedisNodes(String(args?.value));
    return typeof problem === 'string' ? problem : 'is invalid';
  }
}

const WHERE = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const;

/** Refuses a second way to reach Redis: which one is meant cannot be guessed. */
@ValidatorConstraint({ name: 'oneRedisTopology' })
class OneTopologyRule implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    return setTopologies(args.object as RedisTopologyConfig).length <= 1;
  }

  defaultMessage(args: ValidationArguments): string {
    const others = setTopologies(args.object as RedisTopologyConfig).filter(
      (name) => name !== args.property,
    );
    return `set only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES (${others.join(' and ')} is set too)`;
  }
}

function setTopologies(config: RedisTopologyConfig): string[] {
  return WHERE.filter((name) => config[name] !== undefined);
}

/** A variable that means something only beside one of `constraints`: alone, it is refused. */
@ValidatorConstraint({ name: 'onlyWith' })
class OnlyWithRule implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    const object = args.object as Record<string, unknown>;
    return (args.constraints as string[]).some((name) => object[name] !== undefined);
  }

  defaultMessage(args: ValidationArguments): string {
    const needs = (args.constraints as string[]).join(' or ');
    const url =
      args.property === 'REDIS_PASSWORD'
        ? ' (REDIS_URL carries its own: redis://:password@host)'
        : '';
    return `is read only with ${needs}, which is not set${url}`;
  }
}

/** Secrets: printable ASCII, no spaces; never logged, stored or echoed. */
const SECRET = /^[\x21-\x7e]{1,512}$/;

/**
 * Where Redis is: the revocation bus, the rate limits, the per-token limits and the readiness
 * check all connect through the one factory that reads this. At most one of the three ways.
 */
export class RedisTopologyConfig {
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  @Validate(OneTopologyRule)
  REDIS_URL?: string;

  /**
   * Redis Sentinel: the Sentinels' `host:port` addresses, comma-separated. Each connection asks
   * them for the current master of REDIS_SENTINEL_NAME, and asks again after a failover.
   */
  @IsOptional()
  @Validate(RedisNodesRule)
  @Validate(OneTopologyRule)
  REDIS_SENTINELS?: string;

  /** The master's name in the Sentinels' configuration (`sentinel monitor <name> …`). */
  @ValidateIf(
    (c: RedisTopologyConfig) =>
      c.REDIS_SENTINELS !== undefined || c.REDIS_SENTINEL_NAME !== undefined,
  )
  @Validate(OnlyWithRule, ['REDIS_SENTINELS'])
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, {
    message:
      'REDIS_SENTINEL_NAME must be set with REDIS_SENTINELS: the master name the Sentinels ' +
      'monitor (1 to 64 of A-Za-z0-9._-)',
  })
  REDIS_SENTINEL_NAME?: string;

  /** Redis Cluster: some of its nodes' `host:port` addresses (the rest are discovered). */
  @IsOptional()
  @Validate(RedisNodesRule)
  @Validate(OneTopologyRule)
  REDIS_CLUSTER_NODES?: string;

  /** The Redis servers' password with Sentinel or Cluster (REDIS_URL carries its own). */
  @IsOptional()
  @Validate(OnlyWithRule, ['REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'])
  @Matches(SECRET, {
    message: 'REDIS_PASSWORD must be 1 to 512 printable ASCII characters without spaces',
  })
  REDIS_PASSWORD?: string;

  /** The Sentinels' own password (`requirepass` in sentinel.conf), when they have one. */
  @IsOptional()
  @Validate(OnlyWithRule, ['REDIS_SENTINELS'])
  @Matches(SECRET, {
    message: 'REDIS_SENTINEL_PASSWORD must be 1 to 512 printable ASCII characters without spaces',
  })
  REDIS_SENTINEL_PASSWORD?: string;

  /**
   * How long a request waits on Redis for an answer it needs before going on without it: its
   * token's uses and a DPoP proof's one-time check are then refused (503), its rate limits let it
   * through uncounted. Only a Redis that is connected but silent is waited for: a dropped
   * connection fails at once.
   */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(600_000)
  REDIS_COMMAND_TIMEOUT_MS = 1000;

  /** Where Redis is, or null when it is not configured. */
  get redisTopology(): RedisTopology | null {
    if (this.REDIS_URL) return { kind: 'standalone', url: this.REDIS_URL };
    const password = this.REDIS_PASSWORD;
    if (this.REDIS_SENTINELS) {
      return {
        kind: 'sentinel',
        sentinels: parseRedisNodes(this.REDIS_SENTINELS) as RedisNodeAddress[],
        name: this.REDIS_SENTINEL_NAME!,
        password,
        sentinelPassword: this.REDIS_SENTINEL_PASSWORD,
      };
    }
    if (this.REDIS_CLUSTER_NODES) {
      return {
        kind: 'cluster',
        nodes: parseRedisNodes(this.REDIS_CLUSTER_NODES) as RedisNodeAddress[],
        password,
      };
    }
    return null;
  }
}
