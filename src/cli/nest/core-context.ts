import { INestApplicationContext, Injectable, OnModuleDestroy, Type } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';
import { CliNestLogger } from '../cli-logger';

/** Reads the validated config when a command first needs the core; run-nest.ts supplies it. */
export abstract class CliConfigLoader {
  abstract load(): AppConfig;
}

/**
 * The core modules (database, bus, tenancy, tokens, audit), opened on a command's first use
 * and migrated then: usage errors and a source with no secret never open a database, and the
 * core's code loads only then.
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
    const config = this.config.load();
    const { openCore } = await import('./core-cli.module');
    return openCore(config, new CliNestLogger());
  }

  /** Closes the core when the command is done: last-use writes flush, connections end. */
  async onModuleDestroy(): Promise<void> {
    const app = await this.opening?.catch(() => undefined);
    await app?.close();
  }
}
