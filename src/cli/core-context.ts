import {
  DynamicModule,
  INestApplicationContext,
  Injectable,
  Module,
  OnModuleDestroy,
  Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { AppConfigModule } from '../config/config.module';
import { CORE_MODULES } from '../wiring/core.modules';
import { migrateUnderLock } from '../database/migrate';

/** The HTTP app's core without HTTP: every CLI write is audited, with origin "cli". */
@Module({})
class CoreCliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: CoreCliModule, imports: [AppConfigModule.forRoot(config), ...CORE_MODULES] };
  }
}

/** Reads the validated config when a command first needs the core; main.ts supplies it. */
export abstract class CliConfigLoader {
  abstract load(): AppConfig;
}

/**
 * The core modules (database, bus, tenancy, tokens, audit), opened on a command's first use
 * and migrated then: help, usage errors and refusals never open a database.
 */
@Injectable()
export class CoreContext implements OnModuleDestroy {
  private opening?: Promise<INestApplicationContext>;

  constructor(private readonly config: CliConfigLoader) {}

  /** A service of the core, once its database is migrated. */
  async get<T>(type: Type<T>): Promise<T> {
    this.opening ??= this.open();
    return (await this.opening).get(type, { strict: false });
  }

  private async open(): Promise<INestApplicationContext> {
    const app = await NestFactory.createApplicationContext(
      CoreCliModule.forRoot(this.config.load()),
      { logger: ['error'], abortOnError: false },
    );
    await migrateUnderLock(app.get(DataSource), () => Promise.resolve());
    return app;
  }

  /** Closes the core when the command is done: last-use writes flush, connections end. */
  async onModuleDestroy(): Promise<void> {
    const app = await this.opening?.catch(() => undefined);
    await app?.close();
  }
}
