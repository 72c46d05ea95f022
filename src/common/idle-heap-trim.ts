import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Event-loop utilization under which a second counts as quiet. */
const QUIET_UTILIZATION = 0.02;
/**
 * Quiet seconds before the collection: V8 gives the young generation back only when its recent
 * allocation rate is low (under 1 KB/ms over about 5 s), so a collection sooner frees nothing.
 */
const QUIET_SECONDS = 5;

type Collect = () => void;

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
 * Gives memory back once the server has gone quiet: one full collection after `QUIET_SECONDS`
 * of an idle event loop, then none until it has been busy again. Start-up and every burst of
 * load grow V8's young generation to 32 MiB (two 16 MiB semi-spaces), which it keeps while
 * idle unless a full collection runs when allocation is low; this one shrinks it to about 1 MiB
 * (RSS at idle 150 to 116 MiB; docs/performance.md, issue 38). A request that arrives during the
 * collection waits for it (tens of milliseconds), which only the first request after a quiet
 * spell can meet. Answers a stop function; the timer never keeps the process alive.
 */
export function trimHeapWhenQuiet(): () => void {
  const collect = fullCollection();
  if (collect === null) return () => undefined;
  let last = performance.eventLoopUtilization();
  let quiet = 0;
  let trimmed = false;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization > QUIET_UTILIZATION;
    last = now;
    if (busy) {
      quiet = 0;
      trimmed = false;
      return;
    }
    if (trimmed || ++quiet < QUIET_SECONDS) return;
    trimmed = true;
    collect();
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
