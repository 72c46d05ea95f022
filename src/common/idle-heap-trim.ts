import { performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Event-loop utilization, over the last `QUIET_SECONDS`, under which the server counts as quiet.
 * An idle server runs at about 0.5%, with a second at 2 to 20% now and then when its timers write
 * (usage, last use, the outbox, the first retention sweep); a served load is at 10% and more.
 */
const QUIET_UTILIZATION = 0.05;
/**
 * Quiet seconds before the collection: V8 gives the young generation back only when the
 * allocation rate it measured since its previous collection is low (under 1 KB/ms, over 5 s at
 * least), so a collection sooner than that after start-up, a burst or the last try frees nothing.
 */
const QUIET_SECONDS = 6;

/** A young generation at most this large counts as given back (V8 shrinks it to about 1 MiB). */
const TRIMMED_BYTES = 4 * 1024 * 1024;
const MAX_TRIES = 3;

type Collect = () => void;

/** The memory V8's young generation (new space) holds now. */
function youngGenerationBytes(): number {
  return (
    getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.physical_space_size ?? 0
  );
}

/**
 * V8's full collection, as `--expose-gc` would give it, without the flag on the command line
 * (the way jest's leak detector reaches it): on for the one lookup, off again after.
 */
function fullCollection(): Collect | null {
  const exposed = (globalThis as { gc?: Collect }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as Collect) : null;
  } catch {
    return null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/**
 * Gives memory back once the server has gone quiet: one full collection once the event loop has
 * been quiet for `QUIET_SECONDS` (under 5% utilization over them), then none until it has been busy again. Start-up and every burst of
 * load grow V8's young generation to 32 MiB (two 16 MiB semi-spaces), which it keeps while
 * idle unless a full collection runs when allocation is low; this one shrinks it to about 1 MiB
 * (RSS at idle 150 to 116 MiB; docs/performance.md, issue 38). A request that arrives during the
 * collection waits for it (tens of milliseconds), which only the first request after a quiet
 * spell can meet. Answers a stop function; the timer never keeps the process alive.
 * `youngGeneration` reads the young generation's size (V8's, unless a test gives its own).
 */
export function trimHeapWhenQuiet(youngGeneration = youngGenerationBytes): () => void {
  const collect = fullCollection();
  if (collect === null) return () => undefined;
  let last = performance.eventLoopUtilization();
  /** The utilization of each of the last `QUIET_SECONDS` seconds, oldest first. */
  const seconds: number[] = [];
  let trimmed = false;
  let tries = 0;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    seconds.push(performance.eventLoopUtilization(now, last).utilization);
    last = now;
    if (seconds.length > QUIET_SECONDS) seconds.shift();
    const mean = seconds.reduce((sum, u) => sum + u, 0) / seconds.length;
    if (mean > QUIET_UTILIZATION) {
      trimmed = false;
      tries = 0;
      return;
    }
    if (trimmed || seconds.length < QUIET_SECONDS) return;
    collect();
    // V8 measures the allocation rate from one collection to the next: right after start-up or
    // a burst the first may still see it high and keep the space; the next, a quiet spell
    // later, gives it back. Three tries at most per quiet spell.
    trimmed = youngGeneration() <= TRIMMED_BYTES || ++tries >= MAX_TRIES;
    seconds.length = 0;
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
