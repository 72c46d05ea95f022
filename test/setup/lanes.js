/**
 * A suite's lane comes from its folder (test/setup/lanes-runner.js, docs/testing.md):
 * - a feature's `processes/` folder (`test/cli/processes/`), and `test/timed/`: suites that
 *   start app or CLI processes, bash, Chromium or servers of their own (Sentinel, a Cluster, a
 *   replica), or measure memory: two at a time, beside the in-process suites. They mostly wait on
 *   what they start, and hold no clock a neighbour's load could break.
 * - anywhere else: in-process suites, which boot the app inside the test process.
 * Plain JavaScript: jest.config.js and the runner both read it.
 */

/** jest's testRegex for the suites of the `processes` project (the spawning lane). */
const PROCESSES = 'test/(timed/.*|(.+/)?processes/[^/]+)\\.e2e-spec\\.ts$';

module.exports = { PROCESSES };
