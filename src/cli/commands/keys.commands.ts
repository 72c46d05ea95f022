import { CliCommand, CliRunner } from '../nest/cli-command';
import { runGroup } from '../cli-front';
import { KEYS, KEYS_INIT } from '../grammar/cli-grammar';
import { note, printJson } from '../cli-io';
import { CliConfigLoader } from '../nest/core-context';

/**
 * `keys init`: the installation's keys, made once into the keys folder. It opens no database, so
 * it runs before there is one (docker compose's `keys` service does), and it writes no audit
 * event: what it makes is a file, and every checkpoint names the key that signed it.
 */
@CliCommand(KEYS_INIT)
export class KeysInitCommand extends CliRunner {
  constructor(private readonly config: CliConfigLoader) {
    super();
  }

  async run(params: string[]): Promise<void> {
    KEYS_INIT.argv(params);
    const { initInstallationKeys } = await import('../../wiring/installation-keys');
    const { keys, notes } = initInstallationKeys(this.config.load());
    printJson(keys);
    for (const text of notes) note(text);
  }
}

@CliCommand(KEYS)
export class KeysCommand extends CliRunner {
  run(params: string[]): Promise<void> {
    runGroup(this.command, params);
  }
}

export const KEY_COMMANDS = [KeysCommand, KeysInitCommand];
