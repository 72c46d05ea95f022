import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import {
  BUS_MESSAGE_TYPES,
  BusMessageType,
  Metrics,
  RATE_LIMITS,
  RateLimit,
  READ_TARGETS,
  ReadTarget,
  PreparedStatements,
  ReplicaReading,
  RevocationOrigin,
  RevocationReason,
  VERIFY_OUTCOMES,
  VerifyOutcome,
  WEBHOOK_ATTEMPT_OUTCOMES,
  WebhookAttemptOutcome,
} from './metrics';
import { registerScrapeGauges, ScrapeReadings } from './scrape-gauges';

/** Sub-millisecond answers are the common case here (a cached token), so buckets start at 0.5 ms. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

let processRegistry: Registry | undefined;

/**
 * The default metrics (CPU, memory, event loop, GC) describe the process, not an app: one
 * registry per process, made on first use, serves every app in it. Their collectors (an event
 * loop monitor, a GC observer) cannot be stopped, so one set per app would pile up in a test
 * process that boots many apps.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * The instruments, in a registry of this app's own rather than prom-client's global one, so
 * that several apps in one process (the tests) count apart.
 */
export class PrometheusMetrics extends Metrics {
  readonly enabled = true;
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;

  private readonly verifications = new Counter({
    name: 'latchkey_token_verifications_total',
    help: 'Presented bearer tokens, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly cacheHits = new Counter({
    name: 'latchkey_verifier_cache_hits_total',
    help: 'Verifier lookups answered from the cache (a known token, or a hash known to be unknown)',
    registers: [this.registry],
  });
  private readonly cacheMisses = new Counter({
    name: 'latchkey_verifier_cache_misses_total',
    help: 'Verifier lookups that read the database',
    registers: [this.registry],
  });
  private readonly busPublishedTotal = new Counter({
    name: 'latchkey_bus_messages_published_total',
    help: 'Invalidation messages this instance published, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  private readonly busReceivedTotal = new Counter({
    name: 'latchkey_bus_messages_received_total',
    help: 'Invalidation messages received from other instances, by type (malformed: unreadable)',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  private readonly busPublishFailures = new Counter({
    name: 'latchkey_bus_publish_failures_total',
    help: 'Invalidation messages that the transport (Redis or PostgreSQL) failed to send',
    registers: [this.registry],
  });
  private readonly busDelaySeconds = new Histogram({
    name: 'latchkey_bus_delivery_delay_seconds',
    help: "From another instance's publish to this instance's eviction (clocks must agree)",
    buckets: LATENCY_BUCKETS.slice(0, -1),
    registers: [this.registry],
  });
  private readonly revocations = new Counter({
    name: 'latchkey_token_revocations_total',
    help: 'Tokens revoked (committed), by kind of revocation and origin',
    labelNames: ['reason', 'origin'] as const,
    registers: [this.registry],
  });
  private readonly auditAppends = new Counter({
    name: 'latchkey_audit_appends_total',
    help: 'Audit events written, by action (in the transaction of the change they record)',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });
  private readonly auditFailures = new Counter({
    name: 'latchkey_audit_append_failures_total',
    help: 'Audit writes that failed, by action (each rolled its change back)',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });
  private readonly rateLimitedTotal = new Counter({
    name: 'latchkey_rate_limited_total',
    help: 'Requests answered 429, by the limit they hit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  private readonly requestSeconds = new Histogram({
    name: 'latchkey_http_request_duration_seconds',
    help: 'Answered requests, by route template, method and status',
    labelNames: ['route', 'method', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  private readonly webhookAttempts = new Counter({
    name: 'latchkey_webhook_attempts_total',
    help: 'Webhook delivery attempts, by outcome (delivered, failed and to be retried, gone: a 410)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly webhookDeadTotal = new Counter({
    name: 'latchkey_webhook_messages_dead_total',
    help: 'Webhook messages given up: retries spent, or their endpoint disabled or deleted',
    registers: [this.registry],
  });
  private readonly webhookDeliverySeconds = new Histogram({
    name: 'latchkey_webhook_delivery_seconds',
    help: "From a webhook message's commit to its delivery (a 2xx), retries included",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 36000],
    registers: [this.registry],
  });
  private readonly routedReads = new Counter({
    name: 'latchkey_db_routed_reads_total',
    help: 'Reads a read replica may serve (lists, audit pages and exports, usage), by where they went',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });
  private readonly readings = new ScrapeReadings();

  constructor() {
    super();
    // Started now, so the event loop and GC figures cover the time before the first scrape.
    processMetrics();
    registerScrapeGauges(this.registry, this.readings);
    for (const target of READ_TARGETS) this.routedReads.inc({ target }, 0);
    for (const outcome of WEBHOOK_ATTEMPT_OUTCOMES) this.webhookAttempts.inc({ outcome }, 0);
    // Closed label sets start at 0, so a rate over them exists before the first event.
    for (const outcome of VERIFY_OUTCOMES) this.verifications.inc({ outcome }, 0);
    for (const type of BUS_MESSAGE_TYPES) {
      this.busPublishedTotal.inc({ type }, 0);
      this.busReceivedTotal.inc({ type }, 0);
    }
    for (const limit of RATE_LIMITS) this.rateLimitedTotal.inc({ limit }, 0);
  }

  verified(outcome: VerifyOutcome): void {
    this.verifications.inc({ outcome });
  }

  cacheLookup(hit: boolean): void {
    (hit ? this.cacheHits : this.cacheMisses).inc();
  }

  watchCacheSize(read: () => number): void {
    this.readings.cacheSize = read;
  }

  watchBusConnected(read: () => boolean): void {
    this.readings.busConnected = read;
  }

  busPublished(type: BusMessageType): void {
    this.busPublishedTotal.inc({ type });
  }

  busReceived(type: BusMessageType | 'malformed'): void {
    this.busReceivedTotal.inc({ type });
  }

  busPublishFailed(): void {
    this.busPublishFailures.inc();
  }

  busDelay(seconds: number): void {
    // Another host's clock may run ahead of ours: a negative delay is none.
    this.busDelaySeconds.observe(Math.max(0, seconds));
  }

  revoked(reason: RevocationReason, origin: RevocationOrigin): void {
    this.revocations.inc({ reason, origin });
  }

  auditAppended(action: string): void {
    this.auditAppends.inc({ action });
  }

  auditAppendFailed(action: string): void {
    this.auditFailures.inc({ action });
  }

  rateLimited(limit: RateLimit): void {
    this.rateLimitedTotal.inc({ limit });
  }

  webhookAttempt(outcome: WebhookAttemptOutcome): void {
    this.webhookAttempts.inc({ outcome });
  }

  webhookDead(count: number): void {
    this.webhookDeadTotal.inc(count);
  }

  webhookDelivered(seconds: number): void {
    this.webhookDeliverySeconds.observe(Math.max(0, seconds));
  }

  watchWebhookBacklog(read: () => number): void {
    this.readings.webhookBacklog = read;
  }

  routedRead(target: ReadTarget): void {
    this.routedReads.inc({ target });
  }

  watchReplicas(read: () => readonly ReplicaReading[]): void {
    this.readings.replicas = read;
  }

  watchStatements(read: () => PreparedStatements): void {
    this.readings.statements = read;
  }

  httpRequest(route: string, method: string, status: number, seconds: number): void {
    this.requestSeconds.observe({ route, method, status_code: status }, seconds);
  }

  async exposition(): Promise<string> {
    return (await processMetrics().metrics()) + (await this.registry.metrics());
  }
}
