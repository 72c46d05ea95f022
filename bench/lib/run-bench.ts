/**
 * Runs a benchmark's `main` as the process's whole work: it exits when `main` settles (with
 * `process.exitCode` if `main` set one, such as a failed gate), since open handles (an
 * autocannon agent, a pool) would otherwise keep it alive, and a failure prints its stack under
 * the benchmark's name and exits 1.
 */
export function runBench(name: string, main: () => Promise<unknown>): void {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (e: unknown) => {
      process.stderr.write(
        `${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exit(1);
    },
  );
}
