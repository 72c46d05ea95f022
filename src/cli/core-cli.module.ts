import { DynamicModule, INestApplicationContext, LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { PublishingBusModule } from '../bus/bus.module';
import { AppConfig } from '../config/app-config';
import { AppConfigModule } from '../config/config.module';
import { migrateUnderLock } from '../database/migrate';
import { exposedFileWarning, prepareSqliteFiles } from '../database/sqlite-files';
import { MetricsModule } from '../metrics/metrics.module';

/**
 * What a command opens of the core. `writes`: the HTTP app's core modules (CORE_MODULES), so
 * every CLI change is audited, with origin "cli", and queued for webhooks as the server's is.
 * `reads` (tokens list and show) changes nothing: tokens and what they stand on, and the audit
 * log only because `DomainEvents` refuses to start where an audited event has no handler; the
 * workflows and webhooks (and their code) stay unloaded.
 */
export type CoreScope = 'reads' | 'writes';

/**
 * The core's modules for a scope, loaded only then. The bus is the publish-only one
 * (`PublishingBusModule`): a CLI process never listens, and opens Redis (or its NOTIFY) only
 * when a change publishes, as a revoke does.
 */
async function coreModules(scope: CoreScope): Promise<NonNullable<DynamicModule['imports']>> {
  if (scope === 'writes') {
    const [{ CORE_MODULES }, { BusModule }] = await Promise.all([
      import('../wiring/core.modules'),
      import('../bus/bus.module'),
    ]);
    return CORE_MODULES.map((m) => (m === BusModule ? PublishingBusModule : m));
  }
  const [{ DatabaseModule }, { ENTITIES }, { TenancyModule }, { TokensModule }, { AuditModule }] =
    await Promise.all([
      import('../database/database.module'),
      import('../wiring/entities'),
      import('../tenancy/tenancy.module'),
      import('../tokens/tokens.module'),
      import('../audit/audit.module'),
    ]);
  return [
    DatabaseModule.forRoot(ENTITIES),
    PublishingBusModule,
    TenancyModule,
    TokensModule,
    AuditModule,
  ];
}

/**
 * The HTTP app's core without HTTP. No metrics: nothing scrapes a CLI process, so prom-client is
 * never loaded.
 */
@Module({})
class CoreCliModule {
  static forRoot(config: AppConfig, modules: NonNullable<DynamicModule['imports']>): DynamicModule {
    return {
      module: CoreCliModule,
      imports: [AppConfigModule.forRoot(config), MetricsModule.off(), ...modules],
    };
  }
}

/**
 * Opens the core on the configured database, and migrates it. Loaded only by a command that
 * needs the core (core-context.ts): the core's code is most of what the CLI could load.
 */
export async function openCore(
  config: AppConfig,
  logger: LoggerService,
  scope: CoreScope,
): Promise<INestApplicationContext> {
  // As the server does: the embedded database's folder and file are made private first.
  if (config.databaseDriver === 'sqlite') {
    for (const file of prepareSqliteFiles(config.SQLITE_PATH))
      logger.warn(exposedFileWarning(file));
  }
  const app = await NestFactory.createApplicationContext(
    CoreCliModule.forRoot(config, await coreModules(scope)),
    { logger, abortOnError: false },
  );
  try {
    await migrateUnderLock(app.get(DataSource), () => Promise.resolve());
  } catch (e) {
    await app.close();
    throw e;
  }
  return app;
}
