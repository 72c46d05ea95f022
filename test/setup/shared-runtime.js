/**
 * jest's runtime (with V8's code cache, test/setup/code-cache-runtime.js), loading the modules of
 * node_modules/ and src/ once per worker for the suites that share them, the e2e suites and the
 * unit specs (test/setup/shared-modules.js, docs/testing.md "Modules loaded once per worker").
 *
 * jest gives each suite a registry of its own, so each suite compiled and ran some 2,400 modules
 * (Nest, TypeORM, the app) again: about 1.2 s of CPU before its first test, and the app's code
 * started cold in every suite. Here a module of those folders, once loaded by a suite, is kept
 * for every later suite of the worker, in the context they share (test/setup/shared-environment.js).
 * A kept module's `require` was made by the suite that loaded it, so a later load through it
 * (a lazy `require` inside a function) is passed to the runtime of the suite now running.
 */
const CodeCacheRuntime = require('./code-cache-runtime');
const { isSharedModule } = require('./shared-modules');

/** The modules kept in this worker, by path. */
const kept = new Map();
/** Every source map the worker's suites registered, so a kept module's stack still maps. */
const sourceMaps = new Map();
/** The runtime of the suite now running, if it shares modules. */
let current;

/** A suite's module registry, in which the kept modules are found and kept ones are added. */
class SharedRegistry extends Map {
  get(path) {
    return isSharedModule(path) ? kept.get(path) : super.get(path);
  }

  has(path) {
    return isSharedModule(path) ? kept.has(path) : super.has(path);
  }

  set(path, module) {
    if (isSharedModule(path)) kept.set(path, module);
    else super.set(path, module);
    return this;
  }

  delete(path) {
    return isSharedModule(path) ? kept.delete(path) : super.delete(path);
  }

  *keys() {
    yield* super.keys();
    yield* kept.keys();
  }
}

class SharedRuntime extends CodeCacheRuntime {
  constructor(config, environment, resolver, transformer, cacheFS, coverage, testPath, ...rest) {
    super(config, environment, resolver, transformer, cacheFS, coverage, testPath, ...rest);
    // The environment decides (test/setup/shared-environment.js); coverage needs every module
    // instrumented by the suite that reports it, so it turns sharing off.
    this.sharesModules = Boolean(environment.shared) && !coverage?.collectCoverage;
    if (!this.sharesModules) return;
    this.registries.moduleRegistry = new SharedRegistry();
    this.transformCache.sourceMaps = sourceMaps;
    current = this;
  }

  requireModuleOrMock(from, moduleName) {
    if (this.sharesModules && current !== this && isSharedModule(from)) {
      return current.requireModuleOrMock(from, moduleName);
    }
    return super.requireModuleOrMock(from, moduleName);
  }
}

module.exports = SharedRuntime;
