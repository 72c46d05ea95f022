import { CliUsageError } from './grammar/cli-argv';
import { parseFront } from './cli-front';
import { CliStreams, cliStderr, withCliStreams } from './cli-io';

export type { CliStreams } from './cli-io';

/**
 * The CLI as a function: `args` as after `npm run -s cli --`, the config from `env` (never
 * process.env), and every byte written to and read from `io`. Answers the exit code; it never
 * exits the process (main.ts does, with this code).
 *
 * The front parses argv with the grammar alone, and answers `--help`, usage errors and refused
 * secrets without loading Nest or the app; only a command that passes loads nest-commander,
 * and its core only if it needs one.
 */
export async function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  io: CliStreams,
): Promise<number> {
  const { value, exitCode } = await withCliStreams(io, async () => {
    try {
      const front = parseFront(args);
      if ('exitCode' in front) return front.exitCode;
      const { runInNest } = await import('./nest/run-nest');
      return await runInNest(args, env, front.top);
    } catch (e) {
      cliStderr().write(`${e instanceof Error ? e.message || String(e) : String(e)}\n`);
      return e instanceof CliUsageError ? e.exitCode : 1;
    }
  });
  return value ?? exitCode;
}
