import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Logger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { AuditSigner } from './audit/checkpoints/audit-signer';
import { TokenExpiryNotices } from './tokens/sweeps/token-expiry-notices';
import { TokenInactivitySweep } from './tokens/sweeps/token-inactivity';
import { WebhookDispatcher } from './webhooks/delivery/webhook-dispatcher';
import { githubKeysOf } from './leaks/github-signature';
import { SYSTEM_AUTHOR } from './database/units/domain-event';
import { registerBodyParsers } from './common/http/body-parsers';
import { registerRawBodyCapture } from './common/http/raw-body';
import { drainRefusal } from './common/http/drain-refusal';
import { registerEnvelope } from './common/http/envelope-hook';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { RequestGuard } from './auth/guards/request.guard';
import { registerVerifyFastPath } from './gateway/verify-fast-path';
import { registerMeFastPath } from './workflows/http/me-fast-path';
import { MeService } from './workflows/me.service';
import { AppLogger, registerRequestLog } from './common/secrets/logging';
import { registerSecurityHeaders } from './common/http/security-headers';
import { registerConsole } from './common/http/console-static';
import { forOAuthRoute, rawErrorResponse, toErrorResponse } from './common/errors/error-response';
import { AppConfig } from './config/app-config';
import { trustsPeer } from './config/sections/security/trust-proxy';
import { DomainEvents } from './database/units/domain-events';
import { migrateUnderLock } from './database/migrate';
import { exposedFileWarning, prepareSqliteFiles } from './database/connection/sqlite-files';
import { registerHttpMetrics } from './metrics/http-metrics';
import { Metrics } from './metrics/metrics';
import { setupSwagger } from './docs/swagger';
import { OnboardingService } from './workflows/onboarding.service';
import { BatchRevocationService } from './tokens/lifecycle/revocation/batch-revocation.service';
import { registerTokenUsage, TokenUsageRecorder } from './tokens/usage/token-usage-recorder';
import { registerVerificationAnalytics } from './analytics/recording/verification-hook';
import { VerificationRecorder } from './analytics/recording/verification-recorder';
import { AuthorizationCodeSweep } from './authorization/codes/authorization-code-sweep';
import { GrantsSweep } from './authorization/grants/grants-sweep';
import { spanIdsReader, trustIncomingContext } from './tracing';
import { requireInstallationKeys } from './wiring/installation-keys';

/**
 * Every request id is the server's own, so no two requests share one and a caller cannot name
 * theirs after someone else's; a caller's `x-request-id` is kept beside it as
 * `client_request_id` (see `clientRequestIdOf`). The raw request keeps the id for pino.
 */
function requestId(req: IncomingMessage): string {
  const id = randomUUID();
  (req as IncomingMessage & { id?: string }).id = id;
  return id;
}

/** Node's client errors that have an answer of their own; any other is a 400. */
const RAW_STATUS: Record<string, 408 | 431> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const response = forOAuthRoute(toErrorResponse(err, request.id ?? null), request.url);
  void reply.status(response.status).headers(response.headers).send(response.body);
}

export interface StartedApp {
  app: NestFastifyApplication;
  /** The first platform admin's token, when this start created one; shown once. */
  bootstrapToken: string | null;
  /** The audit signing key this start created (the embedded default), to be printed once. */
  createdAuditKey: { path: string; verifierKey: string } | null;
}

/**
 * Builds the app, runs migrations under a lock, and creates the first platform admin when the
 * database has none. The caller decides whether to listen (main) or to inject (tests).
 */
export async function startApp(
  config: AppConfig,
  options: { logs?: boolean } = {},
): Promise<StartedApp> {
  // First: the folder and file of the embedded database are made private before anything (the
  // audit key beside it, SQLite itself) creates them with the umask's modes.
  const exposed = config.databaseDriver === 'sqlite' ? prepareSqliteFiles(config.SQLITE_PATH) : [];
  // Whose trace context is honoured (when tracing is on): a trusted proxy's, or everyone's.
  const trustedPeer = trustsPeer(config.trustProxy);
  trustIncomingContext(
    config.OTEL_TRUST_INCOMING_CONTEXT
      ? () => true
      : (req) => trustedPeer(req.socket.remoteAddress),
  );
  // Settings only a module can check fail here, as a bad variable does, not inside Nest; so
  // does a start on PostgreSQL without its keys.
  requireInstallationKeys(config);
  githubKeysOf(config);
  const adapter = new FastifyAdapter({
    trustProxy: config.trustProxy,
    genReqId: requestId,
    bodyLimit: 1024 * 1024,
    // Off: while closing, drainRefusal answers 503 in the API's error shape instead.
    return503OnClosing: false,
    // Node's parser errors (headers or URL past 16 KiB, a malformed request line) come before
    // any request exists; they are answered in the error shape too, and the connection closes.
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
      if (!socket.writable) return socket.destroy();
      const { rawPacket } = error as { rawPacket?: Buffer };
      socket.end(rawErrorResponse(RAW_STATUS[error.code ?? ''] ?? 400, rawPacket));
    },
    // A request, body included, must arrive whole within REQUEST_TIMEOUT_MS: one that trickles
    // in a byte at a time is cut with 408 instead of holding its socket and memory for ever.
    // Node checks open requests on an interval (30 s by default): every second here, so the
    // bound holds within a second of the timeout.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    http: {
      connectionsCheckingInterval: 1000,
      requestTimeout: config.REQUEST_TIMEOUT_MS,
      headersTimeout: config.REQUEST_TIMEOUT_MS,
    },
    // Fastify's default ('idle') destroys every open connection on close() unless a
    // serverFactory is given, which cuts off requests in flight. Node's server.close() already
    // closes idle keep-alive connections, so with this off, close() drains: see main.ts.
    forceCloseConnections: false,
    // Fastify's own routing errors (a bad % escape) in the API's error shape, not Fastify's.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      sendError(
        Object.assign(error, { statusCode: 400, message: 'Malformed URL' }),
        request,
        reply,
      );
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    // Our own parsers (registerBodyParsers): bounded JSON depth, empty means none, forms on
    // /oauth2 only.
    bodyParser: false,
    bufferLogs: true,
    logger: options.logs === false ? false : undefined,
  });
  if (options.logs !== false) app.useLogger(new AppLogger(app.get(Logger)));
  for (const file of exposed) app.get(Logger).warn(exposedFileWarning(file));
  // No enableShutdownHooks(): main.ts stops the server before Nest's hooks run (see there).

  const fastify = app.getHttpAdapter().getInstance();
  registerBodyParsers(fastify);
  // Before app.init() too: it keeps the bytes of the few routes that verify a body's signature.
  registerRawBodyCapture(fastify);
  // Before app.init() registers the routes, which the hook inspects one by one.
  registerEnvelope(fastify);
  // The gateway check and /api/v1/me past Nest's router; not with tracing on, so their spans
  // stay Nest's.
  if (!spanIdsReader()) {
    registerVerifyFastPath(fastify, app.get(RequestGuard), app.get(AllExceptionsFilter));
    registerMeFastPath(
      fastify,
      app.get(RequestGuard),
      app.get(AllExceptionsFilter),
      app.get(MeService),
    );
  }
  registerSecurityHeaders(fastify, drainRefusal(fastify));
  registerHttpMetrics(fastify, app.get(Metrics));
  registerTokenUsage(fastify, app.get(TokenUsageRecorder));
  if (config.ANALYTICS_ENABLED) {
    registerVerificationAnalytics(
      fastify,
      app.get(VerificationRecorder),
      app.get(AllExceptionsFilter),
      config,
    );
  }
  if (options.logs !== false) registerRequestLog(fastify, config.LOG_LEVEL, spanIdsReader());

  setupSwagger(app);
  registerConsole(fastify, config.CONSOLE_DIR);

  // Before anything can change: a process that would drop an audited event does not start.
  try {
    app.get(DomainEvents).assertAudited();
  } catch (e) {
    await app.close();
    throw e;
  }
  const dataSource = app.get(DataSource);
  const onboarding = app.get(OnboardingService);
  const bootstrapToken = await migrateUnderLock(dataSource, () =>
    onboarding.bootstrapIfEmpty(SYSTEM_AUTHOR, config.BOOTSTRAP_ADMIN_EMAIL),
  );
  // A cascade that a crash cut short between its batches is finished before anything is served.
  const swept = await app.get(BatchRevocationService).sweepOrphans();
  if (swept > 0) app.get(Logger).warn(`Revoked ${swept} tokens left by an interrupted cascade`);
  await app.init();
  await fastify.ready();
  app.get(WebhookDispatcher).start();
  app.get(TokenExpiryNotices).start();
  app.get(TokenInactivitySweep).start();
  app.get(AuthorizationCodeSweep).start();
  app.get(GrantsSweep).start();
  return { app, bootstrapToken, createdAuditKey: app.get(AuditSigner).createdKey };
}
