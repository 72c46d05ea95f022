/**
 * Preloaded (`node -r`) into the app and CLI processes the suites start: V8's compiled code of
 * each CommonJS module is kept between processes, as test/setup/code-cache-runtime.js keeps it
 * between suites (docs/testing.md). An app process loads about 3,000 modules; compiling them was
 * a third of its start's CPU.
 *
 * A module is compiled as Node compiles it (its wrapper, its file name, dynamic import() through
 * the default loader), with the code cache V8 made for the same file, source, Node and flags the
 * last time; V8 rejects a stale one itself. What a process compiled without one is kept when it
 * exits, with every function it ran by then. ES modules, and a file that does not compile as
 * CommonJS, go to Node's own loader unchanged. Plain JavaScript: it runs before anything else.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const DIR = join(__dirname, '..', '..', 'node_modules', '.cache', 'latchkey-code-cache');
/** What makes V8's code differ besides the source: the Node build and the flags it runs with. */
const RUNTIME = `${process.version}\0${process.arch}\0${process.execArgv.join(' ')}`;
const CJS = /\.c?js$/;

const compileAsNode = Module.prototype._compile;
/** The scripts compiled without a cache, written when the process exits. */
const made = [];

function cached(key) {
  try {
    return readFileSync(join(DIR, key));
  } catch {
    return undefined;
  }
}

function save() {
  if (made.length === 0) return;
  try {
    mkdirSync(DIR, { recursive: true });
  } catch {
    return;
  }
  for (const [key, script] of made.splice(0)) {
    // Written aside and renamed, so a process reading at the same time sees all of it or nothing.
    const part = join(DIR, `${key}.${process.pid}.part`);
    try {
      writeFileSync(part, script.createCachedData());
      renameSync(part, join(DIR, key));
    } catch {
      // A cache not written costs the next start its compile, nothing else.
    }
  }
}

/** `require` as Node hands it to a module. */
function requireOf(mod) {
  const require = (id) => mod.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/** Node's own compile gives a module's dynamic import() the default loader; without it, left alone. */
const defaultLoader = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;

if (defaultLoader)
  Module.prototype._compile = function compile(content, filename, format) {
    if (format === 'module' || !CJS.test(filename)) {
      return compileAsNode.call(this, content, filename, format);
    }
    const key = createHash('sha256')
      .update(RUNTIME)
      .update('\0')
      .update(filename)
      .update('\0')
      .update(content)
      .digest('hex');
    const cachedData = cached(key);
    let script;
    try {
      // A hashbang line is a comment to Node's own compile, and must not be inside the wrapper.
      const source = content.startsWith('#!') ? `//${content.slice(2)}` : content;
      script = new vm.Script(Module.wrap(source), {
        filename,
        cachedData,
        importModuleDynamically: defaultLoader,
      });
    } catch {
      // ES module syntax in a .js file, or an error Node reports in its own words.
      return compileAsNode.call(this, content, filename, format);
    }
    if (!cachedData || script.cachedDataRejected) made.push([key, script]);
    const wrapper = script.runInThisContext({ displayErrors: true });
    return wrapper.call(
      this.exports,
      this.exports,
      requireOf(this),
      this,
      filename,
      dirname(filename),
    );
  };

process.once('exit', save);
