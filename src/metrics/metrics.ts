/**
 * Every label value below comes from a closed set written in code: no token, id, business,
 * reason text or raw URL ever becomes a label, so the number of series stays bounded and no
 * secret can reach the exposition.
 */

/** How a presented bearer token was judged (`TokenVerifier.verify`). */
export const VERIFY_OUTCOMES = [
  'ok',
  'invalid',
  'expired',
  'revoked',
  'suspended',
  'not_member',
  'ip_not_allowed',
  'disabled',
  'dpop_proof',
  'audience',
] as const;
export type VerifyOutcome = (typeof VERIFY_OUTCOMES)[number];

/** Why a token was revoked: the kind of revocation, never the caller's free-text reason. */
export const REVOCATION_REASONS = [
  'requested',
  'rotated',
  'bulk',
  'presented',
  'leaked',
  'member_removed',
  'identity_deleted',
  'platform_admin_removed',
  'reissued',
  'inactive',
  'grant_ended',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** Where a revocation came from: a cascade whatever its channel, else the way in. */
export const REVOCATION_ORIGINS = ['api', 'oauth2', 'cascade', 'cli', 'system'] as const;
export type RevocationOrigin = (typeof REVOCATION_ORIGINS)[number];

/** The revocation bus's message types, plus what a malformed message from the channel counts as. */
export const BUS_MESSAGE_TYPES = [
  'token.changed',
  'business.changed',
  'membership.changed',
] as const;
export type BusMessageType = (typeof BUS_MESSAGE_TYPES)[number];

/** The rate limits, by the names the throttler storage keys them under. */
export const RATE_LIMITS = [
  'oauth',
  'identity',
  'auth-failures',
  'token',
  'shared',
  'leaks',
  'registrations',
  'federation-issuer',
  'federation-identity',
] as const;
export type RateLimit = (typeof RATE_LIMITS)[number];

/** Where a read that a replica may serve was sent (`ReadRouting`). */
export const READ_TARGETS = ['primary', 'replica'] as const;
export type ReadTarget = (typeof READ_TARGETS)[number];

/** A read replica as the lag check last saw it, by its place in DATABASE_REPLICA_URLS (1 to 8). */
export interface ReplicaReading {
  replica: number;
  /** It is a standby within REPLICA_MAX_LAG_MS, so reads may go to it. */
  serving: boolean;
  /** How far behind the primary it is; null when not known (down, not a standby). */
  lagMs: number | null;
}

/** What the SQLite connections have prepared since start (`database/statements/statement-count.ts`). */
export interface PreparedStatements {
  prepared: number;
  texts: number;
}

/** The route label of a request that matched no route (a 404), instead of its raw URL. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * What the features count. Injected everywhere as this abstract class: with METRICS_ENABLED on
 * it is `PrometheusMetrics` (prometheus-metrics.ts, the one file that loads prom-client), with it
 * off `NoMetrics`, whose every method does nothing, so a feature never asks whether metrics are
 * on.
 */
/** What came of a webhook attempt: a 2xx, a failure to retry, or the receiver's 410. */
export const WEBHOOK_ATTEMPT_OUTCOMES = ['delivered', 'failed', 'gone'] as const;
export type WebhookAttemptOutcome = (typeof WEBHOOK_ATTEMPT_OUTCOMES)[number];

export abstract class Metrics {
  abstract readonly enabled: boolean;
  /** One presented bearer token, and what the verifier made of it. */
  abstract verified(outcome: VerifyOutcome): void;
  /** A verifier lookup: answered from the cache (a known token or a known unknown), or not. */
  abstract cacheLookup(hit: boolean): void;
  /** How many tokens the verifier cache holds, read at each scrape. */
  abstract watchCacheSize(read: () => number): void;
  /** Whether the bus hears every invalidation, read at each scrape. */
  abstract watchBusConnected(read: () => boolean): void;
  abstract busPublished(type: BusMessageType): void;
  /** A message from another instance; `malformed` when it could not be read. */
  abstract busReceived(type: BusMessageType | 'malformed'): void;
  abstract busPublishFailed(): void;
  /** Seconds from another instance's publish to this instance's eviction. */
  abstract busDelay(seconds: number): void;
  abstract revoked(reason: RevocationReason, origin: RevocationOrigin): void;
  /** An audit event written; `action` is the event's name, one per event class. */
  abstract auditAppended(action: string): void;
  abstract auditAppendFailed(action: string): void;
  abstract rateLimited(limit: RateLimit): void;
  /** One webhook delivery attempt and what came of it. */
  abstract webhookAttempt(outcome: WebhookAttemptOutcome): void;
  /** Webhook messages given up: retries spent, or their endpoint disabled or deleted. */
  abstract webhookDead(count: number): void;
  /** Seconds from a webhook message's commit to its delivery. */
  abstract webhookDelivered(seconds: number): void;
  /** Webhook messages waiting (due or not), as the worker last counted them, at each scrape. */
  abstract watchWebhookBacklog(read: () => number): void;
  /** A read a replica may serve, and where it was sent. */
  abstract routedRead(target: ReadTarget): void;
  /** The read replicas as the lag check last saw them, read at each scrape. */
  abstract watchReplicas(read: () => readonly ReplicaReading[]): void;
  /** The SQLite statements prepared, read at each scrape. */
  abstract watchStatements(read: () => PreparedStatements): void;
  /** One answered request, by route template (or `UNMATCHED_ROUTE`), method and status. */
  abstract httpRequest(route: string, method: string, status: number, seconds: number): void;
  /** The Prometheus text exposition: this process's default metrics, then this app's. */
  abstract exposition(): Promise<string>;
  abstract readonly contentType: string;
}

/** Counts nothing: METRICS_ENABLED=false, and the CLI's short-lived processes alike. */
export class NoMetrics extends Metrics {
  readonly enabled = false;
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  verified(): void {}
  cacheLookup(): void {}
  watchCacheSize(): void {}
  watchBusConnected(): void {}
  busPublished(): void {}
  busReceived(): void {}
  busPublishFailed(): void {}
  busDelay(): void {}
  revoked(): void {}
  auditAppended(): void {}
  auditAppendFailed(): void {}
  rateLimited(): void {}
  webhookAttempt(): void {}
  webhookDead(): void {}
  webhookDelivered(): void {}
  watchWebhookBacklog(): void {}
  routedRead(): void {}
  watchReplicas(): void {}
  watchStatements(): void {}
  httpRequest(): void {}
  exposition(): Promise<string> {
    return Promise.resolve('');
  }
}
