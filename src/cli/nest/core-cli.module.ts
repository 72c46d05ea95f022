import { DynamicModule, INestApplicationContext, LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { BusModule, PublishingBusModule } from '../../bus/bus.module';
import { AppConfig } from '../../config/app-config';
import { AppConfigModule } from '../../config/config.module';
import { hasPendingMigrations, migrateUnderLock } from '../../database/migrate';
import { exposedFileWarning, prepareSqliteFiles } from '../../database/connection/sqlite-files';
import { MetricsModule } from '../../metrics/metrics.module';
import { CORE_MODULES } from '../../wiring/core.modules';

/**
 * The HTTP app's core without HTTP: every CLI write is audited, with origin "cli". No metrics:
 * nothing scrapes a CLI process, so prom-client is never loaded. The bus is the publish-only one
 * (`PublishingBusModule`): a CLI process never listens, and opens Redis (or publishes a NOTIFY)
 * only when a change publishes, as a revoke does; a read opens neither.
 */
@Module({})
class CoreCliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CoreCliModule,
      imports: [
        AppConfigModule.forRoot(config),
        MetricsModule.off(),
        ...CORE_MODULES.map((m) => (m === BusModule ? PublishingBusModule : m)),
      ],
    };
  }
}

/**
 * Opens the core on the configured database, and migrates it if a migration is pending (under
 * the lock, as the server does). Loaded only by a command that
 * needs the core (core-context.ts): the core's code is most of what the CLI could load.
 */
export async function openCore(
  config: AppConfig,
  logger: LoggerService,
): Promise<INestApplicationContext> {
  // As the server does: the embedded database's folder and file are made private first.
  if (config.databaseDriver === 'sqlite') {
    for (const file of prepareSqliteFiles(config.SQLITE_PATH))
      logger.warn(exposedFileWarning(file));
  }
  const app = await NestFactory.createApplicationContext(CoreCliModule.forRoot(config), {
    logger,
    abortOnError: false,
  });
  try {
    const dataSource = app.get(DataSource);
    // Most runs find nothing to migrate: then no lock, and on PostgreSQL no second connection.
    if (await hasPendingMigrations(dataSource)) {
      await migrateUnderLock(dataSource, () => Promise.resolve());
    }
  } catch (e) {
    await app.close();
    throw e;
  }
  return app;
}
