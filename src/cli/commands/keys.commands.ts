import { CliCommand, CliRunner } from '../nest/cli-command';
import { runGroup } from '../cli-front';
import { KEYS, KEYS_INIT, KEYS_ROTATE_JWT } from '../grammar/cli-grammar';
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

/**
 * `keys rotate-jwt`: a new JWT signing key in the set's file, published ahead of its first
 * signature. Like `keys init` it opens no database and writes no audit event: the file is the
 * record, and every JWT names its key by kid.
 */
@CliCommand(KEYS_ROTATE_JWT)
export class KeysRotateJwtCommand extends CliRunner {
  constructor(private readonly config: CliConfigLoader) {
    super();
  }

  async run(params: string[]): Promise<void> {
    KEYS_ROTATE_JWT.argv(params);
    const { rotateJwtSigningKeys } = await import('../../signing/jwt-key-rotation');
    const rotated = rotateJwtSigningKeys(this.config.load());
    printJson(rotated);
    note(
      Date.parse(rotated.active_from) > Date.now()
        ? `The new key ${rotated.kid} signs from ${rotated.active_from}: restart every instance ` +
            'before then, so that each lists it before any signs with it.'
        : `The new key ${rotated.kid} signs at once (JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS=0): ` +
            'an instance lists it, and signs with it, once restarted.',
    );
  }
}

@CliCommand(KEYS)
export class KeysCommand extends CliRunner {
  run(params: string[]): Promise<void> {
    runGroup(this.command, params);
  }
}

export const KEY_COMMANDS = [KeysCommand, KeysInitCommand, KeysRotateJwtCommand];
