/** What the test environment says of the process (test/setup/shared-environment.js). */
const WORKER_HOOKS = Symbol.for('latchkey.test.worker');

interface WorkerHooks {
  /** Whether jest forked this process as a worker, which it ends when the run does. */
  forked: boolean;
  onEnd(fn: () => void): void;
}

type KeptGlobal = Record<symbol, unknown> & { [WORKER_HOOKS]?: WorkerHooks };

/**
 * A thing a jest worker makes for the first suite that asks and keeps for the suites after it
 * (Chromium, the console's app), closed when jest ends the worker. It is kept on the global the
 * worker's suites share (test/setup/shared-environment.js), by `key`; one no longer `usable` is
 * made again. Only in a forked worker: a script or an in-band run gets null, and makes its own,
 * closed with it, so nothing holds the process open after.
 */
export async function keptByWorker<T>(
  key: string,
  make: () => Promise<T>,
  close: (made: T) => Promise<unknown>,
  usable: (made: T) => boolean,
): Promise<T | null> {
  const kept = globalThis as KeptGlobal;
  const worker = kept[WORKER_HOOKS];
  if (!worker?.forked) return null;
  const symbol = Symbol.for(`latchkey.test.kept.${key}`);
  const existing = await (kept[symbol] as Promise<T> | undefined)?.catch(() => undefined);
  if (existing !== undefined && usable(existing)) return existing;
  const made = make();
  kept[symbol] = made;
  worker.onEnd(() => void made.then(close).catch(() => undefined));
  return made;
}
