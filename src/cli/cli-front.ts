import { dirname } from 'node:path';
import type { CommandRunner } from 'nest-commander';
import { CliUsageError } from './grammar/cli-argv';
import { CLI_GRAMMAR } from './grammar/cli-grammar';
import type { CommandSpec } from './grammar/cli-spec';
import { cliStderr, cliStdout } from './cli-io';

/** Commander's Command, as nest-commander runs it (a type: nothing of nest-commander loads). */
export type Commander = Parameters<CommandRunner['setCommand']>[0];
type CommanderOption = Parameters<Commander['addOption']>[0];
type CommanderError = Error & { exitCode: number; code: string };

/**
 * The very commander that nest-commander builds its commands with, resolved from it, so the
 * front and the commands parse argv alike; loading it loads 7 small files and no Nest. The
 * commands' context makes its root command with it too (command-context.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const commander = require(
  require.resolve('commander', { paths: [dirname(require.resolve('nest-commander'))] }),
) as {
  Command: new (name?: string) => Commander;
  Option: new (flags: string, description?: string) => CommanderOption;
};

/** Commander's own output (help, its errors) goes to the run's streams: stderr masked. */
export const COMMANDER_OUTPUT = {
  writeOut: (text: string) => void cliStdout().write(text),
  writeErr: (text: string) => void cliStderr().write(text),
  getOutHelpWidth: () => helpWidth(cliStdout()),
  getErrHelpWidth: () => helpWidth(cliStderr()),
};
/** A terminal's width, else commander's own default. */
const helpWidth = (out: { isTTY?: boolean; columns?: number }) => (out.isTTY && out.columns) || 80;

/** Commander's exits end the run instead: the error propagates to whoever parses. */
export const throwCommanderExit = (err: Error): never => {
  throw err;
};

/** By its code: a test's module registry may hold a second copy of commander. */
export const isCommanderError = (err: unknown): err is CommanderError =>
  err instanceof Error && String((err as { code?: unknown }).code).startsWith('commander.');

/**
 * The run of a group (`tokens`, `members`, …) given no subcommand or an unknown one: commander
 * hands the parent the words it did not match, so the group names the unknown one once, or
 * shows its help, on stderr with exit 1.
 */
export function runGroup(command: Commander, params: string[]): never {
  if (params.length > 0) {
    command.error(`error: unknown command '${params[0]}' for '${command.name()}'`);
  }
  command.help({ error: true });
}

/**
 * What the front decided: a command to run (`top`, the top-level command it is under, says in
 * which context), or the exit code of a run already over.
 */
export type FrontVerdict = { top: CommandSpec } | { exitCode: number };

/**
 * Parses argv with the grammar alone: `--help`, a usage error (an unknown command or option, a
 * missing one) and a refused secret end here, with their output and exit code, before any of
 * the app loads. A command that passes is handed back, to run in Nest.
 */
export function parseFront(args: string[]): FrontVerdict {
  let chosen: { top: CommandSpec } | undefined;
  const program = configure(new commander.Command('cli'));
  for (const top of CLI_GRAMMAR) {
    program.addCommand(build(top, () => (chosen = { top })));
  }
  try {
    program.parse(args, { from: 'user' });
  } catch (err) {
    if (isCommanderError(err)) return { exitCode: err.exitCode };
    if (err instanceof CliUsageError) {
      cliStderr().write(`${err.message}\n`);
      return { exitCode: err.exitCode };
    }
    throw err;
  }
  // Commander answers a root with no command with its help, and exits 1 through the override.
  return chosen ?? { exitCode: 1 };
}

function build(spec: CommandSpec, choose: () => void): Commander {
  const command = configure(new commander.Command(spec.name));
  declare(command, spec);
  const subcommands = spec.subcommands ?? [];
  for (const sub of subcommands) command.addCommand(build(sub, choose));
  command.action(() => {
    if (subcommands.length > 0) runGroup(command, command.args);
    spec.argv?.(command.args, command.opts());
    choose();
  });
  return command;
}

/** Arguments, description and options, as nest-commander declares a command (buildCommand). */
export function declare(command: Commander, spec: CommandSpec): void {
  for (const argument of spec.arguments?.split(' ') ?? []) command.argument(argument, '');
  command.description(spec.description);
  for (const option of spec.options ?? []) {
    const declared = new commander.Option(option.flags, option.description).makeOptionMandatory(
      option.required ?? false,
    );
    if (option.parse) declared.argParser(option.parse);
    command.addOption(declared);
  }
}

function configure(command: Commander): Commander {
  return command.configureOutput(COMMANDER_OUTPUT).exitOverride(throwCommanderExit);
}
