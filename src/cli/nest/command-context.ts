import { DynamicModule, INestApplicationContext, Logger, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { dirname } from 'node:path';
import type { CommandFactoryRunOptions } from 'nest-commander/src/command-factory.interface';
import { CommandRunnerService } from 'nest-commander/src/command-runner.service';
import { Commander, CommanderOptions } from 'nest-commander/src/constants';
import { commander } from '../cli-front';

/**
 * Its DiscoveryModule, from nest-commander's own dependency (CommandRunnerService finds the
 * command classes with it), as cli-front.ts takes its commander.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DiscoveryModule } = require(
  require.resolve('@golevelup/nestjs-discovery', {
    paths: [dirname(require.resolve('nest-commander'))],
  }),
) as { DiscoveryModule: Type };

/** The root module nest-commander makes around the commands' module (its CommandRunnerModule). */
@Module({})
class CommandRunnerRoot {}

/**
 * What `CommandFactory.createWithoutRunning(root, options)` makes, less what this CLI never uses:
 * nest-commander's index and its CommandRunnerModule load inquirer (prompts) and its factory
 * cosmiconfig (plugins), about 280 modules and a tenth of a second of every command's start.
 * The same providers as CommandRunnerModule.forModule, the same options as the factory's
 * defaults (no plugins, no completion); `CommandRunnerService.run` then runs a command as there.
 */
export function createCommandContext(
  root: Type | DynamicModule,
  options: CommandFactoryRunOptions,
): Promise<INestApplicationContext> {
  const module: DynamicModule = {
    global: true,
    module: CommandRunnerRoot,
    imports: [root, DiscoveryModule],
    providers: [
      Logger,
      CommandRunnerService,
      { provide: Commander, useClass: commander.Command },
      { provide: CommanderOptions, useValue: { usePlugins: false, completion: false, ...options } },
    ],
  };
  return NestFactory.createApplicationContext(module, options);
}
