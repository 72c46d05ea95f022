import { createReadStream, ReadStream } from 'node:fs';
import { basename } from 'node:path';
import { CliUsageError } from './validate-dto';

/** Commands print only their answer on stdout, so scripts can capture it. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A secret, or another one-line answer, alone on stdout. */
export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Notes (an idempotent repeat, a prompt) go to stderr, never into the answer. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** Exit code 2: refused for safety, before anything ran. */
export const SECRET_IN_ARGV =
  'refusing a token secret on the command line (it would stay in shell history and ps): ' +
  'pipe it on stdin, or give --token-file <path>';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The shape of a secret (`<prefix>_<36 base62>`), checksum or not: refused, never echoed. */
const SECRET_SHAPE = /^[A-Za-z0-9]+_[0-9A-Za-z]{20,}$/;
const looksLikeSecret = (value: string) => SECRET_SHAPE.test(value.trim());

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
 * it is most likely the secret itself.
 */
export function secretSource(options: SecretOptions): string {
  if (options.token !== undefined && options.token !== '-') {
    throw new CliUsageError(SECRET_IN_ARGV, 2);
  }
  if (options.token !== undefined && options.tokenFile !== undefined) {
    throw new CliUsageError('Give --token-file or --token -, not both');
  }
  return options.tokenFile ?? '-';
}

/** Whether the command was told to read a secret (`--token-file`, or `--token -`). */
export function namesSecretSource(options: SecretOptions): boolean {
  return options.tokenFile !== undefined || options.token !== undefined;
}

/** Longer than any secret: a first line past this is not a token (and /dev/zero ends here). */
const MAX_SECRET_LINE = 1024;

/**
 * A token secret from a file, or from stdin for `-`: never from argv, where it would stay in
 * shell history and `ps`. Only the first line counts; empty is refused (exit 1), and a file that
 * cannot be read is a usage error (exit 2) that names it, unless its name is a pasted secret.
 */
export async function readSecret(source: string): Promise<string> {
  let secret: string;
  if (source === '-') {
    if (process.stdin.isTTY) note('Paste the token, then press Enter:');
    secret = await firstLineOf(process.stdin);
  } else {
    let stream: ReadStream | undefined;
    try {
      stream = createReadStream(source);
      secret = await firstLineOf(stream);
    } catch (e) {
      if (looksLikeSecret(basename(source))) throw new CliUsageError(SECRET_IN_ARGV, 2);
      const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new CliUsageError(`Cannot read --token-file ${source} (${code})`, 2);
    } finally {
      stream?.destroy();
    }
  }
  if (secret === '') {
    throw new CliUsageError('No token given: pipe it on stdin, or give --token-file <path>');
  }
  if (secret.length > MAX_SECRET_LINE) {
    throw new CliUsageError('Not a token: its first line is longer than any token');
  }
  return secret;
}

/** The first line of a stream (a secret piped in), without its line break; '' when empty. */
async function firstLineOf(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    if (text.includes('\n') || text.length > MAX_SECRET_LINE) break;
  }
  return text.split(/\r?\n/)[0].trim();
}
