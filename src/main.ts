// First: tracing patches http, pg and Nest as they load, so it starts before any of them.
import './tracing-preload';
import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { secretsKeyOf } from './webhooks/signing/webhook-secret-box';
import { startApp } from './app.factory';
import { redactSecrets } from './common/errors/safe-error';
import { ConfigValidationError, loadConfig } from './config/load-config';
import { stopTracing } from './tracing';

/** A shutdown that has not finished by then is cut short, so an orchestrator never waits forever. */
const SHUTDOWN_DEADLINE_MS = 25_000;
const IDLE_SWEEP_MS = 50;

/**
 * SIGTERM and SIGINT stop the server in order: stop accepting and drain the requests in flight
 * (Fastify's close; keep-alive connections are closed as soon as they are idle; a request that
 * still arrives on one is answered 503), and only then run Nest's hooks, which flush
 * `last_used_at`, settle `token.rejected` writes, quit Redis and close the database pools. Last,
 * the spans still buffered are exported. Nest's own `enableShutdownHooks` would run those hooks
 * before the server stops accepting, so a request could land after the flush.
 */
function closeGracefullyOn(app: NestFastifyApplication, signals: NodeJS.Signals[]): void {
  let closing = false;
  const close = async (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`${signal} received: draining requests, then shutting down\n`);
    setTimeout(() => {
      process.stderr.write('Shutdown took too long; exiting\n');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    try {
      const fastify = app.getHttpAdapter().getInstance();
      // server.close() closes the connections idle at that moment; a keep-alive connection whose
      // request was in flight goes idle later, and would hold the close until its timeout.
      const sweep = setInterval(() => fastify.server.closeIdleConnections(), IDLE_SWEEP_MS);
      await fastify.close();
      clearInterval(sweep);
      await app.close();
      await stopTracing();
      process.exit(0);
    } catch (e) {
      process.stderr.write(
        `Shutdown failed: ${redactSecrets(e instanceof Error ? e.message : String(e))}\n`,
      );
      process.exit(1);
    }
  };
  for (const signal of signals) process.on(signal, (s: NodeJS.Signals) => void close(s));
}

async function main(): Promise<void> {
  let config;
  try {
    // The one place that reads the environment.
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigValidationError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  let started;
  try {
    started = await startApp(config);
  } catch (e) {
    // A setting only a module can check (the audit signing key) fails the start the same way.
    if (e instanceof ConfigValidationError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const { app, bootstrapToken, createdAuditKey } = started;
  if (createdAuditKey) {
    process.stdout.write(
      `\nAudit signing key created in ${createdAuditKey.path} (mode 0600).\n` +
        `Its verifier key, to check the checkpoints you keep: ${createdAuditKey.verifierKey}\n`,
    );
  }
  const secretsKey = secretsKeyOf(config);
  if (secretsKey.kind === 'created') {
    process.stdout.write(
      `Webhook secrets key created in ${secretsKey.path} (mode 0600): back it up with the ` +
        "database; without it, the endpoints' signing secrets cannot be read.\n",
    );
  }
  if (bootstrapToken) {
    // Outside the logger on purpose: the token must never reach a log pipeline. Before listen,
    // so that it is printed before /health/live first answers, and even if listen fails.
    process.stdout.write(
      `\nPlatform admin ${config.BOOTSTRAP_ADMIN_EMAIL} created.\n` +
        `Platform admin token (shown once): ${bootstrapToken}\n\n`,
    );
  }
  closeGracefullyOn(app, ['SIGTERM', 'SIGINT']);
  try {
    await app.listen(config.PORT, '0.0.0.0');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    process.stderr.write(
      code === 'EADDRINUSE'
        ? `port ${config.PORT} is in use; set PORT\n`
        : `cannot listen on port ${config.PORT}: ${redactSecrets(e instanceof Error ? e.message : String(e))}\n`,
    );
    await app.close().catch(() => undefined);
    process.exit(1);
  }
  process.stdout.write(
    `Latchkey listening on http://localhost:${config.PORT} (Swagger UI at /docs, the admin console at /admin, ${config.databaseDriver})\n`,
  );
}

void main();
