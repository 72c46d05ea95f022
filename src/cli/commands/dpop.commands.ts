import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliCommand, CliRunner } from '../nest/cli-command';
import { runGroup } from '../cli-front';
import { note, printJson } from '../cli-io';
import { CliUsageError } from '../grammar/cli-argv';
import { DPOP, DPOP_KEYGEN, DpopKeygenOptions } from '../grammar/dpop-grammar';

/**
 * `dpop keygen`: the key pair a client binds its tokens to. Offline: it runs in the same context
 * as `audit …` (`OfflineCliModule`), and writes no audit event, since it changes no data; the
 * server learns of the key only through `dpop_jkt` on a token made for it.
 */
@CliCommand(DPOP_KEYGEN)
export class DpopKeygenCommand extends CliRunner {
  async run(params: string[], options: DpopKeygenOptions): Promise<void> {
    const { alg, out } = DPOP_KEYGEN.argv(params, options);
    // Loaded here, so that `audit …`, in the same context, never loads it.
    const { calculateJwkThumbprint, exportJWK, generateKeyPair } = await import('jose');
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(publicKey);
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    const file = resolve(out);
    // `alg` in the file, so whoever imports it (jose's importJWK) signs proofs as it was made.
    const secret = `${JSON.stringify({ ...(await exportJWK(privateKey)), alg }, null, 2)}\n`;
    try {
      // O_EXCL: never over an existing file (a key some token is bound to), nor through a link.
      await writeFile(file, secret, { flag: 'wx', mode: 0o600 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      throw new CliUsageError(
        code === 'EEXIST'
          ? `Refusing to overwrite ${file}: it exists (a token may be bound to its key); give --out a new file`
          : `Cannot write --out ${file} (${code})`,
        2,
      );
    }
    printJson({ file, alg, jwk, jkt });
    note(
      `Keep ${file} private: whoever holds it can use the tokens bound to it. Bind a token to ` +
        'it with tokens create --dpop-jkt <jkt> (or dpop_jkt in POST /api/v1/tokens).',
    );
  }
}

@CliCommand(DPOP)
export class DpopCommand extends CliRunner {
  run(params: string[]): Promise<void> {
    runGroup(this.command, params);
  }
}

export const DPOP_COMMANDS = [DpopCommand, DpopKeygenCommand];
