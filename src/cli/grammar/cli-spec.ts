/**
 * The shape of the CLI's grammar: a command, its arguments and options, and the checks of argv
 * alone. cli-grammar.ts (the core's commands), audit-grammar.ts and dpop-grammar.ts (the offline
 * ones) declare the commands; the front and the command classes read them.
 */

export interface OptionSpec {
  readonly flags: string;
  readonly description: string;
  readonly required?: boolean;
  /** Commander's argument parser for the option's value (the text itself when absent). */
  readonly parse?: (value: string) => unknown;
}

export interface CommandSpec {
  readonly name: string;
  readonly description: string;
  /** Commander's spelling: `<token_id>` required, `[token_id]` optional. */
  readonly arguments?: string;
  readonly options?: readonly OptionSpec[];
  /** A group (`tokens`, …): run with no subcommand or an unknown one, it says so (exit 1). */
  readonly subcommands?: readonly CommandSpec[];
  /** Runs with no config, core module or database: `audit …` checks files, `dpop …` makes keys. */
  readonly offline?: boolean;
  /** The checks of argv alone; a CliUsageError ends the run with its exit code. */
  argv?(params: string[], options: object): unknown;
}
