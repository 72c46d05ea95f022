/**
 * A suite's lane comes from its folder (test/setup/lanes-runner.js, docs/testing.md):
 * - `test/timed/`: suites that assert a bound in time or memory, start servers of their own, or
 *   drive apps at a load a busy machine turns into timeouts: one at a time, after the rest, so
 *   no neighbour's load moves what they measure.
 * - a feature's `processes/` folder (`test/cli/processes/`): suites that start app or CLI
 *   processes, bash or Chromium: two at a time, beside the in-process suites.
 * - anywhere else: in-process suites, which boot the app inside the test process.
 * Plain JavaScript: jest.config.js and the runner both read it.
 */
const TIMED = /(^|\/)test\/timed\/.*\.e2e-spec\.ts$/;
const SPAWNING = /(^|\/)test\/(.+\/)?processes\/[^/]+\.e2e-spec\.ts$/;

/** The lane of a suite's file (an absolute or repository-relative path). */
function laneOf(file) {
  const path = file.replace(/\\/g, '/');
  if (TIMED.test(path)) return 'timed';
  if (SPAWNING.test(path)) return 'spawning';
  return 'in-process';
}

/** jest's testRegex for the suites of the `processes` project (the timed and spawning lanes). */
const PROCESSES = 'test/(timed/.*|(.+/)?processes/[^/]+)\\.e2e-spec\\.ts$';

module.exports = { laneOf, PROCESSES };
