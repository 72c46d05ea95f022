import { Readable } from 'node:stream';
import { AUDIT } from '../grammar/audit-grammar';
import { TOKENS } from '../grammar/token-grammar';
import { withCliStreams } from '../cli-io';
import { runInNest } from './run-nest';

/** One run of nest-commander alone (no front before it), with what it wrote. */
async function sut(args: string[], top: typeof TOKENS | typeof AUDIT) {
  let stdout = '';
  let stderr = '';
  const { value, exitCode } = await withCliStreams(
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      stdin: Readable.from([]),
    },
    () => runInNest(args, { SQLITE_PATH: '/nonexistent/never.sqlite' }, top),
  );
  return { code: value ?? exitCode, stdout, stderr };
}

describe(runInNest.name, () => {
  // The front answers these before Nest; were one to reach nest-commander, commander would call
  // process.exit from a subcommand, which nest-commander does not tell otherwise.
  it('ends a run with a usage error in a subcommand by its exit code, never the process', async () => {
    const exit = jest.spyOn(process, 'exit');
    try {
      const unknown = await sut(['tokens', 'list', '--bogus'], TOKENS);
      expect(unknown).toEqual({
        code: 1,
        stdout: '',
        stderr: expect.stringContaining("error: unknown option '--bogus'") as string,
      });
      const missing = await sut(['tokens', 'create', '--name', 'x'], TOKENS);
      expect(missing).toMatchObject({ code: 1, stdout: '' });
      expect(missing.stderr).toContain("required option '--business <id>' not specified");
      expect(exit).not.toHaveBeenCalled();
    } finally {
      exit.mockRestore();
    }
  });

  it('says what a command refused, with its exit code, and masks a secret in it', async () => {
    const secret = `lk_${'a'.repeat(36)}`;
    expect(await sut(['audit', 'keygen', 'extra'], AUDIT)).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Usage: audit keygen [--name <key name>]\n',
    });
    const echoed = await sut(['audit', 'keygen', `--nmae=${secret}`], AUDIT);
    expect(echoed).toMatchObject({ code: 1, stdout: '' });
    expect(echoed.stderr).toContain("unknown option '--nmae=[REDACTED]'");
  });
});
