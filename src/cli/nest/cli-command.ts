import type { Type } from '@nestjs/common';
// Not from 'nest-commander', whose index loads inquirer: see command-context.ts.
import { Command, Option, SubCommand } from 'nest-commander/src/command.decorators';
import { CommandRunner } from 'nest-commander/src/command-runner.interface';
import { Commander, throwCommanderExit } from '../cli-front';
import { CLI_GRAMMAR } from '../grammar/cli-grammar';
import type { CommandSpec } from '../grammar/cli-spec';

const classOf = new Map<CommandSpec, Type<CommandRunner>>();

/**
 * Declares a command class to nest-commander from its entry in the grammar (cli-grammar.ts):
 * its name, arguments, description, options with their parsers, and, for a group, the classes
 * declared with its subcommands. Nothing of the grammar is written on the class itself.
 */
export function CliCommand(spec: CommandSpec): ClassDecorator {
  return (target) => {
    const runner = target as unknown as Type<CommandRunner>;
    const prototype = runner.prototype as object;
    classOf.set(spec, runner);
    for (const [i, option] of (spec.options ?? []).entries()) {
      // nest-commander reads an option from a method of the command, its parser; a function of
      // its own, as the option's metadata is set on it (a parser such as Number is shared).
      const key = `parseOption${i}`;
      const { parse } = option;
      const method = (value: string) => (parse ? parse(value) : value);
      const descriptor = { value: method, writable: true, configurable: true };
      Object.defineProperty(prototype, key, descriptor);
      const { flags, description, required = false } = option;
      Option({ flags, description, required })(prototype, key, descriptor);
    }
    const metadata = {
      name: spec.name,
      arguments: spec.arguments,
      description: spec.description,
      // Read when the commands are built, once every command class is declared.
      get subCommands() {
        return spec.subcommands?.map((sub) => {
          const found = classOf.get(sub);
          if (!found) throw new Error(`No command class declares '${spec.name} ${sub.name}'`);
          return found;
        });
      },
    };
    (CLI_GRAMMAR.includes(spec) ? Command(metadata) : SubCommand(metadata))(runner);
  };
}

/**
 * A command of the CLI. Commander, which nest-commander builds each command with, calls
 * process.exit on an error in a subcommand unless told otherwise; nest-commander tells only the
 * root. Every command throws instead, so a run ends with an exit code and never ends the process.
 */
export abstract class CliRunner extends CommandRunner {
  override setCommand(command: Commander): this {
    return super.setCommand(command.exitOverride(throwCommanderExit));
  }
}
