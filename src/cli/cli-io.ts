import { createReadStream } from 'node:fs';
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

/** A token id from argv. A secret given instead is refused (exit 2) and not repeated. */
export function tokenIdArgument(value: string | undefined): string {
  if (value !== undefined && UUID.test(value)) return value;
  if (value !== undefined && SECRET_SHAPE.test(value.trim())) {
    throw new CliUsageError(SECRET_IN_ARGV, 2);
  }
  throw new CliUsageError('Invalid arguments:\n  token_id: must be a token id (uuid)');
}

/** A business id from an option. */
export function businessIdOption(value: string | undefined): string {
  if (value !== undefined && UUID.test(value)) return value;
  throw new CliUsageError('Invalid options:\n  business: must be a business id (uuid)');
}

/** No more arguments than the command names. */
export function noExtraArguments(params: string[], allowed: number): void {
  if (params.length > allowed) {
    throw new CliUsageError(
      `Too many arguments: expected at most ${allowed}, got ${params.length}`,
    );
  }
}

/**
 * A token secret from a file (`-` for stdin) or, with no file, from stdin: never from argv,
 * where it would stay in shell history and `ps`. Only the first line counts; empty is refused.
 */
export async function readSecret(tokenFile: string | undefined): Promise<string> {
  let secret: string;
  if (tokenFile === undefined || tokenFile === '-') {
    if (process.stdin.isTTY) note('Paste the token, then press Enter:');
    secret = await firstLineOf(process.stdin);
  } else {
    try {
      secret = await firstLineOf(createReadStream(tokenFile));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new CliUsageError(`Cannot read --token-file ${tokenFile} (${code})`, 2);
    }
  }
  if (secret === '') {
    throw new CliUsageError('No token given: pipe it on stdin, or give --token-file <path>');
  }
  return secret;
}

/** The first line of a stream (a secret piped in), without its line break; '' when empty. */
async function firstLineOf(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0].trim();
}
