/**
 * jest's runtime, keeping V8's compiled code of each module between suites (docs/testing.md).
 *
 * jest loads every module afresh for each suite, and compiles it afresh: a suite that boots the
 * app compiles about 2,400 modules (Nest, TypeORM, class-validator, the app), some 0.6 s of CPU
 * before its first test, and a whole run does it about 200 times. Here the first compile of a
 * source asks V8 for its code cache, and each later compile of the same source, in any worker
 * of this run or the next, hands the cache back, found by the hash of the file's path and source:
 * V8 checks it against the source and rejects a stale one itself. Not by the source alone: V8
 * keeps the file name the cache was made under, and code compiled from another clone's cache
 * (the same source at another path) named that path in its stack traces and failed to boot the
 * app. The modules still run afresh, so no suite sees another's state.
 *
 * jest 30 compiles through `ModuleExecutor.compile`, which calls `vm.compileFunction`; this
 * passes the cache options to that call and changes nothing else. Where jest's internals differ
 * (another version), it leaves them alone and the run is as before, only slower.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const vm = require('node:vm');
const Runtime = require('jest-runtime').default;

/** The caches this worker has read or made, by the hash of their source. */
const held = new Map();

function cacheDir(config) {
  const dir = join(config.cacheDirectory, 'v8-code-cache');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function lookup(dir, key) {
  if (held.has(key)) return held.get(key);
  let data;
  try {
    data = readFileSync(join(dir, key));
  } catch {
    data = undefined;
  }
  held.set(key, data);
  return data;
}

function keep(dir, key, data) {
  held.set(key, data);
  // Written aside and renamed, so a worker reading at the same time sees all of it or nothing.
  const part = join(dir, `${key}.${process.pid}.part`);
  try {
    writeFileSync(part, data);
    renameSync(part, join(dir, key));
  } catch {
    // A cache not written costs the next compile its time, nothing else.
  }
}

class CodeCacheRuntime extends Runtime {
  constructor(config, ...rest) {
    super(config, ...rest);
    const executor = this.executor;
    if (typeof executor?.compile !== 'function') return;
    const dir = cacheDir(config);
    const compile = executor.compile.bind(executor);
    executor.compile = (source, filename) => {
      const key = createHash('sha256').update(filename).update('\0').update(source).digest('hex');
      const cached = lookup(dir, key);
      const real = vm.compileFunction;
      vm.compileFunction = (code, params, options) => {
        const fn = real(code, params, {
          ...options,
          ...(cached ? { cachedData: cached } : { produceCachedData: true }),
        });
        if (cached && fn.cachedDataRejected) held.set(key, undefined);
        if (!cached && fn.cachedDataProduced && fn.cachedData) keep(dir, key, fn.cachedData);
        return fn;
      };
      try {
        return compile(source, filename);
      } finally {
        vm.compileFunction = real;
      }
    };
  }
}

module.exports = CodeCacheRuntime;
