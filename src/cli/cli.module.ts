import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AppConfigModule } from '../config/config.module';
import { CORE_MODULES } from '../core/core.modules';
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
        // The same core as the HTTP app: every CLI write is audited, with origin "cli".
        ...CORE_MODULES,
      ],
      providers: [BootstrapCommand, CreateBusinessCommand, CreateTokenCommand, RevokeCommand],
    };
  }
}
