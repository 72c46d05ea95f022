import { existsSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * The checks of argv alone: no module of the app, no Nest, no file opened. The grammar
 * (cli-grammar.ts) runs them before anything loads, so a refusal costs no start of the core.
 */

/** Bad input on the command line: one message on stderr, and the exit code (1 unless said). */
export class CliUsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Exit code 2: refused for safety, before anything ran. */
export const SECRET_IN_ARGV =
  'refusing a token secret on the command line (it would stay in shell history and ps): ' +
  'pipe it on stdin, or give --token-file <path>';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The shape of a secret (`<prefix>_<36 base62>`), checksum or not: refused, never echoed. */
const SECRET_SHAPE = /^[A-Za-z0-9]+_[0-9A-Za-z]{20,}$/;
export const looksLikeSecret = (value: string) => SECRET_SHAPE.test(value.trim());

/** A `--token-file` whose name is a secret: most likely the secret pasted where a path goes. */
export const namesPastedSecret = (path: string) => looksLikeSecret(basename(path));

/** A token id from argv. A secret given instead is refused (exit 2) and not repeated. */
export function tokenIdArgument(value: string | undefined): string {
  if (value !== undefined && UUID.test(value)) return value;
  if (value !== undefined && looksLikeSecret(value)) {
    throw new CliUsageError(SECRET_IN_ARGV, 2);
  }
  throw new CliUsageError('Invalid arguments:\n  token_id: must be a token id (uuid)');
}

/** A business id from an option. */
export function businessIdOption(value: string | undefined): string {
  if (value !== undefined && UUID.test(value)) return value;
  throw new CliUsageError('Invalid options:\n  business: must be a business id (uuid)');
}

/** No more arguments than the command names; a secret among the extra ones is refused (exit 2). */
export function noExtraArguments(params: string[], allowed: number): void {
  if (params.length <= allowed) return;
  if (params.some(looksLikeSecret)) throw new CliUsageError(SECRET_IN_ARGV, 2);
  throw new CliUsageError(`Too many arguments: expected at most ${allowed}, got ${params.length}`);
}

/** No arguments at all: the options say everything. */
export const optionsOnly = (params: string[]) => noExtraArguments(params, 0);

/** The token id, the one argument; a secret there is refused. */
export const oneTokenId = (params: string[]): string => {
  noExtraArguments(params, 1);
  return tokenIdArgument(params[0]);
};

/** The options of every command that takes a secret: the one grammar, `--token-file`. */
export interface SecretOptions {
  /** A file holding the secret on its first line, or `-` for stdin. */
  tokenFile?: string;
  /** Only `-`, the old `revoke --token -`: the same as `--token-file -`. */
  token?: string;
}

/**
 * Where the secret is to be read from: a path, or `-` for stdin (also when nothing is given).
 * `--token` takes `-` alone; anything else there is refused with exit 2, and not repeated, since
 * it is most likely the secret itself. So is a `--token-file` that does not exist and is named
 * like a secret (readSecret says the same of one that cannot be read).
 */
export function secretSource(options: SecretOptions): string {
  if (options.token !== undefined && options.token !== '-') {
    throw new CliUsageError(SECRET_IN_ARGV, 2);
  }
  if (options.token !== undefined && options.tokenFile !== undefined) {
    throw new CliUsageError('Give --token-file or --token -, not both');
  }
  const source = options.tokenFile ?? '-';
  if (source !== '-' && namesPastedSecret(source) && !existsSync(source)) {
    throw new CliUsageError(SECRET_IN_ARGV, 2);
  }
  return source;
}

/** Whether the command was told to read a secret (`--token-file`, or `--token -`). */
export function namesSecretSource(options: SecretOptions): boolean {
  return options.tokenFile !== undefined || options.token !== undefined;
}
