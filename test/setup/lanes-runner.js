/**
 * Two lanes of workers (docs/testing.md, "The shape of a run"): the in-process lane runs the
 * `in-process` project on the configured workers (two); the spawning lane runs the suites of a
 * feature's `processes/` folder and of `test/timed/` (test/setup/lanes.js), two at a time beside
 * it, as they mostly wait on what they start. Each lane takes its own suites, slowest first; a
 * worker whose lane has none left takes the slowest the other has not started, so neither lane
 * idles while the other has a queue, however a machine's speed or load stretches one kind of
 * suite against the other. No suite holds a clock a neighbour's load could break.
 * Both projects name this runner, so jest hands it every suite at once. Each lane is a jest-worker
 * pool running jest-runner's own test worker, so a worker keeps what its suites share (modules,
 * Chromium, the console's app). `jest -i` runs every suite in this process, with jest's runner.
 */
const { dirname, join } = require('node:path');
const TestRunner = require('jest-runner').default;
const { Worker } = require('jest-worker');
const { hangWatch } = require('./hang-watch');

const SPAWNING_WORKERS = 2;
// jest-runner's worker module: its package lists only its index, so it is found beside it.
const TEST_WORKER = join(dirname(require.resolve('jest-runner')), 'testWorker.js');

class LanesRunner {
  constructor(globalConfig, context) {
    this.globalConfig = globalConfig;
    this.context = context;
    this.listeners = new Map();
    this.supportsEventEmitters = true;
    this.isSerial = false;
  }

  /** jest's reporters listen here: each listener gets the event's argument list, and is awaited. */
  on(eventName, listener) {
    if (!this.listeners.has(eventName)) this.listeners.set(eventName, new Set());
    this.listeners.get(eventName).add(listener);
    return () => this.listeners.get(eventName).delete(listener);
  }

  async emit(eventName, args) {
    await Promise.all([...(this.listeners.get(eventName) ?? [])].map((listener) => listener(args)));
  }

  async runTests(tests, watcher, options) {
    const watch = hangWatch([this]);
    try {
      if (options.serial) await this.runInBand(tests, watcher, options);
      else await this.runLanes(tests, watcher);
    } finally {
      watch.stop();
    }
  }

  /** `jest -i`: jest's own runner, one suite after another in this process. */
  async runInBand(tests, watcher, options) {
    const runner = new TestRunner(this.globalConfig, this.context);
    const offs = ['test-file-start', 'test-file-success', 'test-file-failure'].map((event) =>
      runner.on(event, (args) => this.emit(event, args)),
    );
    try {
      await runner.runTests(tests, watcher, options);
    } finally {
      offs.forEach((off) => off());
    }
  }

  async runLanes(tests, watcher) {
    const { maxWorkers } = this.globalConfig;
    const inProcess = { queue: [], size: maxWorkers };
    const spawning = { queue: [], size: Math.min(SPAWNING_WORKERS, maxWorkers) };
    for (const test of tests) {
      const lane = test.context.config.displayName?.name === 'processes' ? spawning : inProcess;
      lane.queue.push(test);
    }
    // A worker of each lane takes its lane's next suite (the sequencer put the slowest first),
    // else the other lane's next.
    const work = async (lane, other) => {
      for (let test = lane.queue.shift() ?? other.queue.shift(); test; ) {
        if (watcher.isInterrupted()) return;
        await this.runOne(lane.pool, test);
        test = lane.queue.shift() ?? other.queue.shift();
      }
    };
    const resolvers = resolversOf(tests);
    for (const lane of [inProcess, spawning]) lane.pool = this.pool(resolvers, lane.size);
    const workers = [
      ...Array.from({ length: inProcess.size }, () => work(inProcess, spawning)),
      ...Array.from({ length: spawning.size }, () => work(spawning, inProcess)),
    ];
    try {
      await Promise.all(workers);
    } finally {
      await Promise.all([inProcess.pool, spawning.pool].map((pool) => endPool(pool)));
    }
  }

  /** A pool of `size` jest workers, as jest-runner makes one, able to run any suite of the run. */
  pool(resolvers, size) {
    const { workerIdleMemoryLimit, workerGracefulExitTimeout, workerThreads } = this.globalConfig;
    const pool = new Worker(TEST_WORKER, {
      enableWorkerThreads: workerThreads,
      exposedMethods: ['worker'],
      forkOptions: { serialization: 'json', stdio: 'pipe' },
      idleMemoryLimit: typeof workerIdleMemoryLimit === 'number' ? workerIdleMemoryLimit : undefined,
      maxRetries: 3,
      numWorkers: size,
      setupArgs: [{ serializableResolvers: resolvers }],
      workerGracefulExitTimeout,
    });
    pool.getStdout()?.pipe(process.stdout);
    pool.getStderr()?.pipe(process.stderr);
    return pool;
  }

  /** One suite on `pool`, told to jest's reporters as jest-runner tells them. */
  async runOne(pool, test) {
    await this.emit('test-file-start', [test]);
    const { changedFiles, sourcesRelatedToTestsInChangedFiles } = this.context;
    const promise = pool.worker({
      config: test.context.config,
      context: {
        ...this.context,
        changedFiles: changedFiles && [...changedFiles],
        sourcesRelatedToTestsInChangedFiles:
          sourcesRelatedToTestsInChangedFiles && [...sourcesRelatedToTestsInChangedFiles],
      },
      globalConfig: this.globalConfig,
      path: test.path,
    });
    promise.UNSTABLE_onCustomMessage?.(([event, payload]) => this.emit(event, payload));
    let result;
    try {
      result = await promise;
    } catch (error) {
      await this.emit('test-file-failure', [test, error]);
      return;
    }
    // A reporter's own error is the run's, not this suite's.
    await this.emit('test-file-success', [test, result]);
  }
}

/** Each project's config and module map, once, for the workers to resolve its suites with. */
function resolversOf(tests) {
  const resolvers = new Map();
  for (const test of tests) {
    const { config, moduleMap } = test.context;
    if (!resolvers.has(config.id)) {
      resolvers.set(config.id, { config, serializableModuleMap: moduleMap.toJSON() });
    }
  }
  return [...resolvers.values()];
}

async function endPool(pool) {
  const { forceExited } = await pool.end();
  if (forceExited) {
    process.stderr.write(
      'A jest worker did not exit when asked and was ended: a suite left a handle open ' +
        '(run it with --detectOpenHandles).\n',
    );
  }
}

module.exports = LanesRunner;
