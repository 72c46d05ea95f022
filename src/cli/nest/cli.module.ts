import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';
import { BUSINESS_COMMANDS, CreateBusinessCommand } from '../commands/commands';
import { CliConfigLoader, CoreContext } from './core-context';
import { KEY_COMMANDS } from '../commands/keys.commands';
import { MEMBER_COMMANDS } from '../commands/member.commands';
import { POLICY_COMMANDS } from '../commands/policy.commands';
import { RevokeCommand } from '../commands/revoke.commands';
import { CreateTokenCommand, TOKEN_COMMANDS } from '../commands/token.commands';

/**
 * Every command, for nest-commander to run. The core modules (the same as the HTTP app's, so
 * every CLI write is audited with origin "cli") open only when a command first asks for a
 * service (`CoreContext`); `audit …` and `dpop …` run in a context of their own
 * (`OfflineCliModule`).
 */
@Module({})
export class CliModule {
  static forRoot(loadConfig: () => AppConfig): DynamicModule {
    return {
      module: CliModule,
      providers: [
        { provide: CliConfigLoader, useValue: { load: loadConfig } },
        CoreContext,
        ...BUSINESS_COMMANDS,
        ...TOKEN_COMMANDS,
        ...MEMBER_COMMANDS,
        ...POLICY_COMMANDS,
        ...KEY_COMMANDS,
        CreateBusinessCommand,
        CreateTokenCommand,
        RevokeCommand,
      ],
    };
  }
}
