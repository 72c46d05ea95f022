/**
 * A suite that never ends ends the run, loudly. jest's testTimeout fires on its worker's event
 * loop, so a worker whose main thread is blocked (a native deadlock, at no CPU) never reports, and
 * the run waits for ever: CI's 90 minutes, with nothing said. The lanes runner's own process is
 * not blocked: every `CHECK_MS` it looks for a suite started more than `SUITE_HANG_MS` ago (far
 * past the slowest suite, whole matrices and a loaded machine included), names it, ends the
 * workers and exits with 1.
 */
const { execFileSync } = require('node:child_process');
const { relative } = require('node:path');

const SUITE_HANG_MS = Number(process.env.LATCHKEY_SUITE_HANG_MS) || 30 * 60_000;
const CHECK_MS = Math.min(30_000, SUITE_HANG_MS / 4);

/** The pids of this process's children that are jest workers. */
function workerPids() {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter((line) => line.includes('jest-worker'))
      .map((line) => Number(line.trim().split(/\s+/)[0]));
  } catch {
    return [];
  }
}

/** Watches the suites `runners` start; answers a handle whose `stop()` ends the watch. */
function hangWatch(runners) {
  const started = new Map();
  for (const runner of runners) {
    runner.on('test-file-start', ([test]) =>
      started.set(test.path, {
        at: Date.now(),
        name: relative(test.context.config.rootDir, test.path),
      }),
    );
    for (const event of ['test-file-success', 'test-file-failure']) {
      runner.on(event, ([test]) => started.delete(test.path));
    }
  }
  const timer = setInterval(() => {
    const now = Date.now();
    const names = [...started.values()]
      .filter(({ at }) => now - at > SUITE_HANG_MS)
      .map(({ name }) => name);
    if (names.length === 0) return;
    process.stderr.write(
      `\nThe run is stuck: ${names.join(', ')} started more than ` +
        `${Math.round(SUITE_HANG_MS / 1000)} s ago and has not ended (a blocked worker answers no timeout). Ending the run.\n`,
    );
    for (const pid of workerPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    process.exit(1);
  }, CHECK_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

module.exports = { hangWatch, SUITE_HANG_MS };
