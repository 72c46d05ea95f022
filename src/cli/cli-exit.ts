/** What `exitWith` needs of the process: its exit, its stderr, and its `beforeExit` event. */
export interface ExitingProcess {
  exit(code: number): void;
  stderr: { write(text: string): unknown };
  once(event: 'beforeExit', listener: () => void): unknown;
}

/** What a run that never settled tells its shell, rather than a silent exit 0. */
export const UNFINISHED =
  'The command stopped before it finished (an internal fault): its change may not have been made\n';

/**
 * Ends the process with the run's exit code, or 1 with its error's message. A run that never
 * settles leaves Node nothing to wait for, and Node would exit 0 with nothing written, as if it
 * had succeeded; `beforeExit` comes first, and says it failed.
 */
export function exitWith(run: Promise<number>, proc: ExitingProcess): void {
  let settled = false;
  proc.once('beforeExit', () => {
    if (settled) return;
    proc.stderr.write(UNFINISHED);
    proc.exit(1);
  });
  run.then(
    (code) => {
      settled = true;
      proc.exit(code);
    },
    (e: unknown) => {
      settled = true;
      proc.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      proc.exit(1);
    },
  );
}
