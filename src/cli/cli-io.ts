import { AsyncLocalStorage } from 'node:async_hooks';
import { createReadStream, ReadStream } from 'node:fs';
import { redactSecrets } from '../common/errors/safe-error';
import { CliUsageError, namesPastedSecret, SECRET_IN_ARGV } from './grammar/cli-argv';

/** Where one run of the CLI writes and reads: the process's streams, or a test's. */
export interface CliStreams {
  stdout: CliOutput;
  stderr: CliOutput;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** A text sink; a terminal's width, when it is one, sets the width of the help. */
export interface CliOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** One run: its streams, stderr masked, and the exit code a command set without failing. */
class CliRun {
  exitCode = 0;
  readonly stderr: CliOutput;

  constructor(readonly streams: CliStreams) {
    // Nothing the CLI writes on stderr carries a secret: errors, commander's own messages
    // (which echo an unknown option such as `--token=lk_…`), a file name that was a pasted
    // token. Masked here, once, for every writer; stdout carries the answers, where a new
    // secret is meant to be.
    const { stderr } = streams;
    this.stderr = {
      write: (text: string) => stderr.write(redactSecrets(text)),
      get isTTY() {
        return stderr.isTTY;
      },
      get columns() {
        return stderr.columns;
      },
    };
  }
}

const runs = new AsyncLocalStorage<CliRun>();

/** Runs `body` with `streams` as the CLI's; answers what it answers and the exit code it set. */
export async function withCliStreams<T>(
  streams: CliStreams,
  body: () => Promise<T>,
): Promise<{ value: T; exitCode: number }> {
  const run = new CliRun(streams);
  const value = await runs.run(run, body);
  return { value, exitCode: run.exitCode };
}

/** Outside any run (a unit test calling a command's helper), the process's own streams. */
const current = (): CliRun | undefined => runs.getStore();

export const cliStdout = (): CliOutput => current()?.streams.stdout ?? process.stdout;
export const cliStderr = (): CliOutput => current()?.stderr ?? process.stderr;
const cliStdin = (): CliStreams['stdin'] => current()?.streams.stdin ?? process.stdin;

/** A check that failed (`audit verify` of a broken chain): exit 1 once the answer is printed. */
export function exitWith(code: number): void {
  const run = current();
  if (run) run.exitCode = code;
  else process.exitCode = code;
}

/** Commands print only their answer on stdout, so scripts can capture it. */
export function printJson(value: unknown): void {
  cliStdout().write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A secret, or another one-line answer, alone on stdout. */
export function printLine(text: string): void {
  cliStdout().write(`${text}\n`);
}

/** Notes (an idempotent repeat, a prompt) go to stderr, never into the answer. */
export function note(text: string): void {
  cliStderr().write(`${text}\n`);
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
    const stdin = cliStdin();
    if (stdin.isTTY) note('Paste the token, then press Enter:');
    secret = await firstLineOf(stdin);
  } else {
    let stream: ReadStream | undefined;
    try {
      stream = createReadStream(source);
      secret = await firstLineOf(stream);
    } catch (e) {
      if (namesPastedSecret(source)) throw new CliUsageError(SECRET_IN_ARGV, 2);
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
