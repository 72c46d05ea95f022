import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AUDIT_COMMANDS } from './audit.commands';
import { CliName } from './cli-name';
import { BUSINESS_COMMANDS, CreateBusinessCommand } from './commands';
import { CliConfigLoader, CoreContext } from './core-context';
import { MEMBER_COMMANDS } from './member.commands';
import { RevokeCommand } from './revoke.commands';
import { CreateTokenCommand, TOKEN_COMMANDS } from './token.commands';

/**
 * Every command, for commander to parse and for `--help` to list. The core modules (the same
 * as the HTTP app's, so every CLI write is audited with origin "cli") open only when a command
 * runs; `audit …` never reaches this module (see main.ts), but is listed here for `--help`.
 */
@Module({})
export class CliModule {
  static forRoot(loadConfig: () => AppConfig): DynamicModule {
    return {
      module: CliModule,
      providers: [
        { provide: CliConfigLoader, useValue: { load: loadConfig } },
        CoreContext,
        CliName,
        ...BUSINESS_COMMANDS,
        ...TOKEN_COMMANDS,
        ...MEMBER_COMMANDS,
        ...AUDIT_COMMANDS,
        // The old names, last in --help: each is the command it names, under its old name.
        CreateBusinessCommand,
        CreateTokenCommand,
        RevokeCommand,
      ],
    };
  }
}
