/**
 * Unit specs sit beside the code (src/**\/*.spec.ts); e2e specs live in test/. docs/testing.md
 * says where the time goes and how the run is split.
 *
 * Two projects, run by one runner in two lanes (test/setup/lanes-runner.js):
 * - `in-process`: the suites that boot the app inside the test process, two at a time: each has
 *   its own database (a copy of the migrated template, test/setup/templates.ts), its own Redis key
 *   prefix and its own ports.
 * - `processes`: the suites that start app or CLI processes, servers of their own or Chromium,
 *   two at a time beside the in-process suites, found by folder: test/timed/ and each feature's
 *   processes/.
 */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
};

/** The suites of the `processes` project: test/setup/lanes.js says which lane each runs in. */
const { PROCESSES: processes } = require('./test/setup/lanes');

const project = {
  rootDir: __dirname,
  // One context, and one load of node_modules/ and src/, per worker for the e2e suites and the
  // unit specs (test/setup/shared-modules.js).
  testEnvironment: '<rootDir>/test/setup/shared-environment.js',
  moduleFileExtensions: ['ts', 'js', 'json'],
  // The docs and the in-process client suites import the package as its users do; here that is
  // its source, so a change is tested with no build (two tsc runs, half a minute) and no shared
  // dist/ for concurrent runs to rebuild. test/clients/processes/ installs the packed package.
  moduleNameMapper: {
    '^@latchkey/client$': '<rootDir>/packages/client/src/index.ts',
    '^@latchkey/client/(.*)$': '<rootDir>/packages/client/src/$1',
  },
  transform,
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  // One runner for both projects, so jest hands it every suite at once and it runs the lanes.
  runner: '<rootDir>/test/setup/lanes-runner.js',
  // jest's runtime, keeping V8's compiled code of each module from one suite to the next, and
  // the modules themselves for the suites that share them.
  runtime: '<rootDir>/test/setup/shared-runtime.js',
  // SUITE_CPU_FILE=<file>: each suite's CPU, for docs/testing.md's account of where it goes.
  setupFilesAfterEnv: ['<rootDir>/test/setup/suite-cpu.js'],
};

module.exports = {
  projects: [
    {
      ...project,
      displayName: 'in-process',
      testRegex: '(src/.*\\.spec|test/.*\\.e2e-spec)\\.ts$',
      testPathIgnorePatterns: ['/node_modules/', processes],
    },
    {
      ...project,
      displayName: 'processes',
      testRegex: processes,
    },
  ],
  // Every run ends with its counts (run, skipped, left out by the matrices' samples) and its ten
  // slowest suites (test/setup/run-summary.js).
  reporters: ['default', '<rootDir>/test/setup/run-summary.js'],
  // Slowest first, from the last run's times or, on a fresh clone, the committed ones.
  testSequencer: '<rootDir>/test/setup/sequencer.js',
  // Both cores for the in-process suites; jest's own process mostly waits on them.
  maxWorkers: 2,
  // One bound for every test and hook, an app's boot included, generous enough that a machine
  // busy with other work only makes a run slower, never fails it: a hang still ends, with the
  // hook's own error (teardowns skip what a failed boot never made).
  testTimeout: 180_000,
  // A worker is replaced once a suite leaves it above this: the booted apps, Chromium clients and
  // SWC output of many suites otherwise pile up in one heap until it runs out (about 3.8 GB, 20
  // minutes in), and every suite before that pays for collecting a heap of gigabytes.
  workerIdleMemoryLimit: '1GB',
  // A worker's kept Chromium and console app close once jest ends it (test/harness/worker-kept.ts):
  // 0.2 to 0.25 s each on an idle machine, past jest's 500 ms grace at a busy run's end. A handle
  // left open still holds its worker past 10 s, and the runner names it when it ends the worker.
  workerGracefulExitTimeout: 10_000,
};
