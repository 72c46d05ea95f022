/**
 * jest's runtime, keeping V8's compiled code of each module between suites (docs/testing.md).
 *
 * A suite that boots the app compiles about 2,400 modules (0.6 s of CPU) afresh. Here each
 * later compile of a source gets V8's code cache back, found by the hash of the file's path and
 * source (a cache made at another path names that path in stack traces); V8 rejects a stale one
 * itself, and the modules still run afresh. It passes the cache options to jest 30's
 * `vm.compileFunction` call and changes nothing else; another jest is left alone, only slower.
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
