/**
 * jest's own runner, twice over, so that the suites which mostly wait on processes run beside
 * those that keep both cores busy (docs/testing.md, "The shape of a run"):
 * - the in-process lane: the `in-process` project, on the configured workers (two);
 * - the spawning lane: the suites of a feature's `processes/` folder and of `test/timed/`
 *   (test/setup/lanes.js), two at a time beside it (they mostly wait on what they start), then
 *   the in-process lane's shortest suites (`takeTail`), so both end together.
 * No suite holds a clock a neighbour's load could break, so none needs the machine to itself.
 * Both projects name this runner, so jest hands it every suite at once. Each lane is a
 * jest-runner with its own worker pool; `jest -i` runs every lane in this process.
 */
const TestRunner = require('jest-runner').default;
const { hangWatch } = require('./hang-watch');

const SPAWNING_WORKERS = 2;

class LanesRunner {
  constructor(globalConfig, context) {
    const workers = (max) => ({
      ...globalConfig,
      maxWorkers: Math.min(max, globalConfig.maxWorkers),
    });
    this.inProcess = new TestRunner(globalConfig, context);
    this.spawning = new TestRunner(workers(SPAWNING_WORKERS), context);
    this.watch = hangWatch([this.inProcess, this.spawning]);
    this.supportsEventEmitters = true;
    this.isSerial = false;
  }

  on(eventName, listener) {
    const offs = [this.inProcess, this.spawning].map((r) => r.on(eventName, listener));
    return () => offs.forEach((off) => off());
  }

  async runTests(tests, watcher, options) {
    const inProcess = [];
    const spawning = [];
    for (const test of tests) {
      if (test.context.config.displayName?.name !== 'processes') inProcess.push(test);
      else spawning.push(test);
    }
    spawning.push(...takeTail(inProcess, spawning));
    const run = (runner, lane) =>
      lane.length ? runner.runTests(lane, watcher, options) : undefined;
    try {
      await Promise.all([run(this.inProcess, inProcess), run(this.spawning, spawning)]);
    } finally {
      this.watch.stop();
    }
  }
}

/** A suite's expected seconds (the sequencer's, from the last run or suite-seconds.json). */
const secondsOf = (test) => (test.duration ?? 5000) / 1000;

/**
 * The spawning lane's suites end long before the in-process lane's (about 290 against 520 s of
 * a run with both servers): its workers then take the in-process lane's last suites, the
 * shortest (the sequencer puts the slowest first), until the two lanes' expected seconds are
 * even, so no worker stands idle while the other lane still has a queue. Removes them from
 * `inProcess` and answers them, in order. An in-process suite keeps its own project and its own
 * database, ports and Redis prefix, whichever pool runs it.
 */
function takeTail(inProcess, spawning) {
  const sum = (tests) => tests.reduce((total, test) => total + secondsOf(test), 0);
  let gap = (sum(inProcess) - sum(spawning)) / 2;
  let from = inProcess.length;
  while (from > 1 && gap > 0) {
    from -= 1;
    gap -= secondsOf(inProcess[from]);
  }
  return inProcess.splice(from);
}

module.exports = LanesRunner;
