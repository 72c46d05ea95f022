/**
 * Unit specs sit beside the code (src/**\/*.spec.ts); e2e specs live in test/. docs/testing.md
 * says where the time goes and how the run is split.
 *
 * Two projects, run one after the other (jest runs one runner at a time):
 * - `in-process`: the suites that boot the app inside the test process. They run two at a time:
 *   each has its own database (a copy of the migrated template, test/setup/templates.ts), its
 *   own Redis key prefix and its own ports.
 * - `processes`: the suites that start app or CLI processes, drive Chromium, or measure time
 *   and memory. They run one at a time (test/setup/one-at-a-time-runner.js), so the processes
 *   they start have the second core and no neighbour's load skews what they measure.
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

/** The suites of the `processes` project, by file name under test/. */
const ONE_AT_A_TIME = [
  'bootstrap',
  'cli',
  'cli-bus',
  'cli-front',
  'cli-grammar',
  'console',
  'console-screens',
  'docs-blocks',
  'faults',
  'gateways',
  'memory-budget',
  'multi-instance',
  'pgbouncer',
  'readme-audit-proof',
  'redis-cluster',
  'redis-sentinel',
  'replicas',
  'request-log',
  'request-timeout',
  'shutdown',
  'start',
  'swagger-ui',
  'token-uses-crash',
  'tracing',
  'readme-postgres',
  'typed-client',
  'webhooks-fairness',
  'webhooks-processes',
];
const oneAtATime = `test/(${ONE_AT_A_TIME.join('|')})\\.e2e-spec\\.ts$`;

const project = {
  rootDir: __dirname,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform,
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
};

module.exports = {
  projects: [
    {
      ...project,
      displayName: 'in-process',
      testRegex: '(src/.*\\.spec|test/.*\\.e2e-spec)\\.ts$',
      testPathIgnorePatterns: ['/node_modules/', oneAtATime],
    },
    {
      ...project,
      displayName: 'processes',
      testRegex: oneAtATime,
      runner: '<rootDir>/test/setup/one-at-a-time-runner.js',
    },
  ],
  // Slowest first, from the last run's times or, on a fresh clone, the committed ones.
  testSequencer: '<rootDir>/test/setup/sequencer.js',
  // Both cores for the in-process suites; jest's own process mostly waits on them.
  maxWorkers: 2,
  testTimeout: 30000,
  // A worker is replaced once a suite leaves it above this: the booted apps, Chromium clients and
  // SWC output of many suites otherwise pile up in one heap until it runs out (about 3.8 GB, 20
  // minutes in), and every suite before that pays for collecting a heap of gigabytes.
  workerIdleMemoryLimit: '1GB',
};
