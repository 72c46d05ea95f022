/**
 * Which suites share a worker's loaded modules, and which modules they share (docs/testing.md,
 * "Modules loaded once per worker"): the e2e suites under test/ and the unit specs beside the
 * code in src/, and the modules of node_modules/ and src/. A suite's own file and its helpers in
 * test/ load afresh for each suite.
 *
 * A suite opts out with `@fresh-modules` in its first comment: it then runs in a context and
 * with modules of its own, as jest runs every suite by default. Plain JavaScript: the environment
 * and the runtime read it.
 */
const { sep } = require('node:path');

const ROOT = require('node:path').join(__dirname, '..', '..');
const TEST = `${ROOT}${sep}test${sep}`;
const SRC = `${ROOT}${sep}src${sep}`;
const SHARED = [`${ROOT}${sep}node_modules${sep}`, SRC];

/** Whether the suite at `testPath` runs with the worker's shared modules. */
function sharesModules(testPath, docblockPragmas = {}) {
  if (process.env.FRESH_MODULES) return false;
  if (!testPath) return false;
  const e2e = testPath.startsWith(TEST) && testPath.endsWith('.e2e-spec.ts');
  const unit = testPath.startsWith(SRC) && testPath.endsWith('.spec.ts');
  if (!e2e && !unit) return false;
  return !('fresh-modules' in docblockPragmas);
}

/** Whether a module, by its resolved path, is loaded once per worker. */
function isSharedModule(modulePath) {
  if (typeof modulePath !== 'string') return false;
  if (modulePath.endsWith('.spec.ts')) return false;
  return SHARED.some((prefix) => modulePath.startsWith(prefix));
}

module.exports = { sharesModules, isSharedModule };
