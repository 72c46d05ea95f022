/**
 * jest's node environment, with one global (one V8 context) kept for every e2e suite a worker runs,
 * so that the app's modules, loaded once into it, serve each later suite (test/setup/shared-runtime.js,
 * docs/testing.md "Modules loaded once per worker").
 *
 * Each suite still gets what jest gives it: its own `process` copy, console, mocks, fake timers,
 * and its own test framework (describe, it, expect), whose global hooks are cleared here before it
 * installs them. A suite that must have a context of its own says `@fresh-modules` in its first
 * comment.
 */
const { AsyncLocalStorage } = require('node:async_hooks');
const { createRequire } = require('node:module');
const { TestEnvironment } = require('jest-environment-node');
const { sharesModules } = require('./shared-modules');

const fromEnv = createRequire(require.resolve('jest-environment-node'));
const { ModuleMocker } = fromEnv('jest-mock');
const { LegacyFakeTimers, ModernFakeTimers } = fromEnv('@jest/fake-timers');

/** The kept context of this worker: its context, its global and the proxy that tracks the global. */
let kept;

/** The global hooks of jest-circus and expect, which a suite's framework would otherwise reuse. */
const FRAMEWORK_SYMBOLS = [
  'EVENT_HANDLERS',
  'TEST_TIMEOUT_SYMBOL',
  'RETRY_TIMES',
  'RETRY_TIMES_SETTER',
  'RETRY_IMMEDIATELY',
  'WAIT_BEFORE_RETRY',
  'LOG_ERRORS_BEFORE_RETRY',
].map((name) => Symbol.for(name));

/** expect keeps its matchers and state in a global it cannot delete: emptied instead. */
function resetExpect(global) {
  const matchersObject = global[Symbol.for('$$jest-matchers-object')];
  if (!matchersObject) return;
  for (const name of Object.keys(matchersObject.matchers)) delete matchersObject.matchers[name];
  matchersObject.customEqualityTesters.length = 0;
  matchersObject.state = {
    assertionCalls: 0,
    expectedAssertionsNumber: null,
    isExpectingAssertions: false,
    numPassingAsserts: 0,
    suppressedErrors: [],
  };
}

/** jest-worker's message that ends a worker (`CHILD_MESSAGE_END` in its types). */
const CHILD_MESSAGE_END = 2;

/**
 * What a suite may ask of the process it runs in, which jest's copy of `process` hides (its `send`
 * is a stub, its events its own): whether jest forked it as a worker (an in-band run is jest's
 * own process, which must not be held open), and a hook for the end jest sends a worker, so what
 * a suite keeps for the next (the browser, test/harness/browser/swagger-ui.ts) is closed and the
 * worker exits on its own instead of being killed.
 */
const workerHooks = {
  forked: typeof process.send === 'function',
  onEnd(fn) {
    const listener = (message) => {
      if (!Array.isArray(message) || message[0] !== CHILD_MESSAGE_END) return;
      process.off('message', listener);
      fn();
    };
    process.on('message', listener);
  },
};

// A worker that jest has ended, and that holds nothing open, exits at once rather than through
// Node's own teardown of its heap (0.5 to 0.9 GB of RSS after a lane's suites). With nothing left
// to run, that teardown alone outlasted jest's default grace of 500 ms now and then on a busy
// two-core machine, and the worker was ended (test/setup/lanes-runner.js says so). `beforeExit`
// comes only once nothing is open, so a handle left open still holds the worker, and still draws
// the warning.
if (workerHooks.forked) workerHooks.onEnd(() => process.once('beforeExit', () => process.exit()));

/**
 * The AsyncLocalStorages turned on while a suite ran, turned off when it ends. On Node 20 each one
 * that is on is told of every promise and timer the process makes, and stays on until disabled;
 * jest-circus makes one for each suite it loads (its test execution context), so a worker's 60th
 * suite paid for 60 of them on every promise: 9% of an in-process run's CPU (docs/testing.md). A
 * storage that is used again after it is turned off turns itself back on.
 */
const storagesOn = new Set();
const enableStorage = AsyncLocalStorage.prototype._enable;
if (typeof enableStorage === 'function') {
  AsyncLocalStorage.prototype._enable = function enable() {
    storagesOn.add(this);
    return enableStorage.call(this);
  };
}
function disableStorages() {
  for (const storage of storagesOn) storage.disable();
  storagesOn.clear();
}

const timerIdToRef = (id) => ({
  id,
  ref() {
    return this;
  },
  unref() {
    return this;
  },
});
const timerRefToId = (timer) => timer?.id;

class SharedEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.shared = sharesModules(context.testPath, context.docblockPragmas);
    if (!this.shared) return;
    if (!kept) {
      this.global[Symbol.for('latchkey.test.worker')] = workerHooks;
      kept = { context: this.context, global: this.global, proxy: this._globalProxy };
      return;
    }
    // The context just made is dropped, but for the `process` copy jest made for this suite.
    const suiteProcess = this.global.process;
    this.context = kept.context;
    this.global = kept.global;
    this._globalProxy = kept.proxy;
    for (const symbol of FRAMEWORK_SYMBOLS) delete this.global[symbol];
    resetExpect(this.global);
    this.global.process = suiteProcess;
    const { projectConfig } = config;
    this.moduleMocker = new ModuleMocker(this.global);
    this.fakeTimers = new LegacyFakeTimers({
      config: projectConfig,
      global: this.global,
      moduleMocker: this.moduleMocker,
      timerConfig: { idToRef: timerIdToRef, refToId: timerRefToId },
    });
    this.fakeTimersModern = new ModernFakeTimers({ config: projectConfig, global: this.global });
  }

  async teardown() {
    disableStorages();
    if (!this.shared) return super.teardown();
    this.fakeTimers?.dispose();
    this.fakeTimersModern?.dispose();
    this.fakeTimers = null;
    this.fakeTimersModern = null;
    // This suite's runtime loads nothing more; the global and its modules stay for the next.
    this.context = null;
    // What the proxy tracked to delete at teardown is left in place, and forgotten, so the values
    // of every suite (their consoles, their frameworks) are not held for the worker's life.
    kept.proxy.propertyToValue?.clear();
    if (kept.proxy.leftovers) kept.proxy.leftovers = [];
  }
}

module.exports = SharedEnvironment;
