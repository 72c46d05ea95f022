/**
 * jest's own runner, with one worker: the `processes` project's suites run one after another
 * (see jest.config.js), in a worker process that is replaced when its heap grows past
 * workerIdleMemoryLimit, as the other project's are.
 */
const TestRunner = require('jest-runner').default;

class OneAtATimeRunner extends TestRunner {
  constructor(globalConfig, context) {
    super({ ...globalConfig, maxWorkers: 1 }, context);
  }
}

module.exports = OneAtATimeRunner;
