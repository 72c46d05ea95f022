import 'reflect-metadata';
import { startApp } from './app.factory';
import { ConfigValidationError, loadConfig } from './config/app-config';

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
  const { app, bootstrapToken } = await startApp(config);
  await app.listen(config.PORT, '0.0.0.0');
  if (bootstrapToken) {
    // Outside the logger on purpose: the token must never reach a log pipeline.
    process.stdout.write(
      `\nPlatform admin ${config.BOOTSTRAP_ADMIN_EMAIL} created.\n` +
        `Platform admin token (shown once): ${bootstrapToken}\n\n`,
    );
  }
  process.stdout.write(
    `Latchkey listening on http://localhost:${config.PORT} (Swagger UI at /docs, ${config.databaseDriver})\n`,
  );
}

void main();
