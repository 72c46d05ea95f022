import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AppConfig } from '../config/app-config';
import { AppConfigModule } from '../config/config.module';
import { AuditModule } from '../audit/audit.module';
import { BusModule } from '../bus/bus.module';
import { DatabaseModule } from '../database/database.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TokensModule } from '../tokens/tokens.module';
import {
  BootstrapCommand,
  CreateBusinessCommand,
  CreateTokenCommand,
  RevokeCommand,
} from './commands';

/** The app's services without HTTP, for shell commands. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        AppConfigModule.forRoot(config),
        EventEmitterModule.forRoot({ wildcard: false }),
        DatabaseModule,
        BusModule,
        TenancyModule,
        TokensModule,
        // Every CLI write is audited like an HTTP one, with origin "cli".
        AuditModule,
      ],
      providers: [BootstrapCommand, CreateBusinessCommand, CreateTokenCommand, RevokeCommand],
    };
  }
}
