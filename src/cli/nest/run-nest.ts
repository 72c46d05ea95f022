import 'reflect-metadata';
import type { DynamicModule, Type } from '@nestjs/common';
import { CommandRunnerService } from 'nest-commander/src/command-runner.service';
import { isDomainError, RequestValidationError } from '../../common/errors/domain-error';
import { CliUsageError } from '../grammar/cli-argv';
import type { CommandSpec } from '../grammar/cli-spec';
import { COMMANDER_OUTPUT, isCommanderError, throwCommanderExit } from '../cli-front';
import { cliStderr } from '../cli-io';
import { createCommandContext } from './command-context';
import { CliNestLogger } from '../cli-logger';

/** What goes to stderr for a failed command: the message (and the code), never a stack trace. */
function describe(err: Error): string {
  // A 422 that names its fields (validation, a token policy's breach): one line per field.
  if (err instanceof RequestValidationError || (isDomainError(err) && err.issues)) {
    const lines = err.issues!.map((i) => `  ${i.loc.slice(1).join('.') || i.loc[0]}: ${i.msg}`);
    return [`${err.message} (${err.code})`, ...lines].join('\n');
  }
  // The code's message, then what this failure knows beyond it (which member, which limit).
  if (isDomainError(err)) {
    const detail = err.detail && err.detail !== err.message ? `: ${err.detail}` : '';
    return `${err.message} (${err.code})${detail}`;
  }
  return err.message || String(err);
}

/**
 * Runs a command the front has parsed, in nest-commander: a context on the command's module
 * (`createCommandContext`: its `CommandFactory.createWithoutRunning`, without prompts), its
 * `CommandRunnerService` on argv, and the context closed (which closes the core, if the
 * command opened it). `audit …` and `dpop …` run in a context of their own, with no config, no
 * core module and no database, so they work on a machine that has none.
 *
 * Answers the exit code of a failure, after saying what failed on stderr; undefined when the
 * command ran through.
 */
export async function runInNest(
  args: string[],
  env: Record<string, string | undefined>,
  top: CommandSpec,
): Promise<number | undefined> {
  let root: Type | DynamicModule;
  if (top.offline) {
    root = (await import('./offline-cli.module')).OfflineCliModule;
  } else {
    // Loaded only here, so that `audit` and `dpop` load neither the core's commands nor the config's rules.
    const [{ CliModule }, { loadConfig }] = await Promise.all([
      import('./cli.module'),
      import('../../config/load-config'),
    ]);
    root = CliModule.forRoot(() => loadConfig(env));
  }
  let failure: unknown;
  const app = await createCommandContext(root, {
    logger: new CliNestLogger(),
    abortOnError: false,
    outputConfiguration: COMMANDER_OUTPUT,
    // Commander calls process.exit when this returns, so it throws; run() catches it below.
    errorHandler: throwCommanderExit,
    serviceErrorHandler: (err: unknown) => {
      failure = err;
    },
  });
  try {
    await app.get(CommandRunnerService).run(['node', 'cli', ...args]);
  } finally {
    await app.close();
  }
  if (failure === undefined) return undefined;
  // Commander has already written its message (an unknown option, a missing one) or the help.
  if (isCommanderError(failure)) return failure.exitCode;
  const err = failure instanceof Error ? failure : new Error(JSON.stringify(failure));
  cliStderr().write(`${describe(err)}\n`);
  return err instanceof CliUsageError ? err.exitCode : 1;
}
