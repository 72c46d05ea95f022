/** Unit specs sit beside the code (src/**\/*.spec.ts); e2e specs live in test/. */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testRegex: '(src/.*\\.spec|test/.*\\.e2e-spec)\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
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
  },
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  testTimeout: 30000,
  // Suites run one at a time in a worker (2 cores: jest keeps one for itself), and the worker is
  // replaced once a suite leaves it above this: the booted apps, Chromium clients and SWC output of
  // 120 suites otherwise pile up in one heap until it runs out (about 3.8 GB, 20 minutes in), and
  // every suite before that pays for collecting a heap of gigabytes.
  workerIdleMemoryLimit: '1GB',
};
