import type { Type } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { CLI_GRAMMAR, CommandSpec } from './cli-grammar';

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
      // nest-commander reads an option from a method of the command: its parser.
      const key = `parseOption${i}`;
      const parse = option.parse ?? ((value: string) => value);
      const descriptor = { value: parse, writable: true, configurable: true };
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
