import { redactSecrets } from '../common/errors/safe-error';
import { exitWith } from './cli-exit';
import { runCli } from './run-cli';

/**
 * Whatever a run does not write through its own streams (a library's warning, a crash) still
 * carries no secret: the process's stderr is masked as the run's is (cli-io.ts).
 */
function maskStderr(): void {
  const write = process.stderr.write.bind(process.stderr) as (
    chunk: unknown,
    ...rest: unknown[]
  ) => boolean;
  process.stderr.write = (chunk: unknown, ...rest: unknown[]) =>
    write(
      typeof chunk === 'string'
        ? redactSecrets(chunk)
        : Buffer.isBuffer(chunk)
          ? redactSecrets(chunk.toString('utf8'))
          : chunk,
      ...rest,
    );
}

/** `npm run -s cli -- <command>`: logs and errors on stderr, the answer alone on stdout. */
maskStderr();
exitWith(
  runCli(process.argv.slice(2), process.env, {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
  }),
  process,
);
