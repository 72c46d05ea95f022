/** What a group needs of its commander command (commander is nest-commander's, not ours). */
interface GroupCommand {
  name(): string;
  error(message: string): never;
  help(context: { error: boolean }): never;
}

/**
 * The run of a group (`tokens`, `members`, …) given no subcommand or an unknown one: commander
 * hands the parent the words it did not match, so the group names the unknown one once, or
 * shows its help, on stderr with exit 1.
 */
export function runGroup(command: GroupCommand, params: string[]): never {
  if (params.length > 0) {
    command.error(`error: unknown command '${params[0]}' for '${command.name()}'`);
  }
  command.help({ error: true });
}
