#!/usr/bin/env node
/**
 * `npm run build`: compiles the server, the CLI, the benchmarks and ormconfig.ts to dist/ with
 * SWC (@swc/core's JavaScript API, a devDependency), one file at a time and in parallel, with no
 * type checking: about a second where `tsc -p tsconfig.build.json` took five or more. The types
 * are checked by `npm run typecheck` (`tsc --noEmit`), which CI runs (.ci/run).
 *
 * The layout is tsc's with `rootDir: "."`: src/main.ts -> dist/src/main.js, src/cli/main.ts ->
 * dist/src/cli/main.js, bench/run.ts -> dist/bench/run.js, ormconfig.ts -> dist/ormconfig.js,
 * and support/ (which the benchmarks import) -> dist/support/. Unit specs (*.spec.ts) are left
 * out. The options are jest's (jest.config.js), so the code the e2e suites run in-process is
 * compiled the way the built server is: CommonJS, legacy decorators with `design:*` metadata
 * (Nest's injection, class-validator and TypeORM read it), and tsconfig.json's target.
 *
 * Each output is written to a temporary file and renamed into place, so a server starting while
 * another build runs never reads half a file; outputs whose source is gone are deleted. At the
 * end the build mark (dist/.build-mark) is stamped with the time the build started: a source
 * saved during the build is newer than the mark, so scripts/build-if-stale.js builds again.
 * Plain JavaScript, so it runs before anything is compiled.
 */
const { transformFile } = require('@swc/core');
const fs = require('node:fs');
const { dirname, join, relative } = require('node:path');

const root = join(__dirname, '..');
const DIST = join(root, 'dist');
/** Where `scripts/build-if-stale.js` reads the time of the last successful build. */
const MARK = join(DIST, '.build-mark');
/** Folders compiled whole (but their *.spec.ts), and single files. */
const FOLDERS = ['src', 'bench', 'support'];
// The two scripts `npm run lint` runs on the built app (the OpenAPI document and the typed
// client's check), so that lint transpiles nothing itself.
const FILES = ['ormconfig.ts', 'scripts/openapi.ts', 'scripts/typed-client.ts'];
/** tsc's build info, from when tsc built dist/: it no longer describes what is there. */
const OLD_TSC_MARK = join(DIST, '.build.tsbuildinfo');

/** tsconfig.json's `target` (ES2022) in SWC's spelling (es2022). */
function target() {
  const tsconfig = JSON.parse(fs.readFileSync(join(root, 'tsconfig.json'), 'utf8'));
  return String(tsconfig.compilerOptions.target).toLowerCase();
}

function swcOptions() {
  return {
    swcrc: false,
    configFile: false,
    sourceMaps: false,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: target(),
    },
    module: { type: 'commonjs' },
  };
}

/** The TypeScript sources under a folder (relative to the repository), specs left out. */
function sources(folder, found = []) {
  let entries;
  try {
    entries = fs.readdirSync(join(root, folder), { withFileTypes: true });
  } catch (e) {
    if (e.code === 'ENOENT') return found; // the Docker build copies src/ only
    throw e;
  }
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) sources(path, found);
    else if (
      entry.name.endsWith('.ts') &&
      !entry.name.endsWith('.d.ts') &&
      !entry.name.endsWith('.spec.ts')
    ) {
      found.push(path);
    }
  }
  return found;
}

const outputOf = (source) => join(DIST, source.replace(/\.ts$/, '.js'));

async function compile(source, options) {
  const out = outputOf(source);
  const { code } = await transformFile(join(root, source), options);
  fs.mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, out);
}

/** Deletes compiled files under dist/<folder> whose source is gone, then empty folders. */
function deleteStale(folder, outputs) {
  const dir = join(DIST, folder);
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (e.code === 'ENOENT') return;
    throw e;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      deleteStale(join(folder, entry.name), outputs);
      if (fs.readdirSync(path).length === 0) fs.rmSync(path, { recursive: true, force: true });
    } else if (/\.(js|js\.map|d\.ts)$/.test(entry.name) && !outputs.has(path)) {
      fs.rmSync(path, { force: true });
    }
  }
}

/** Builds everything; resolves with the number of files compiled. Throws on a syntax error. */
async function build() {
  const started = new Date();
  const options = swcOptions();
  const all = [
    ...FOLDERS.flatMap((folder) => sources(folder)),
    ...FILES.filter((f) => fs.existsSync(join(root, f))),
  ];
  const failures = [];
  await Promise.all(
    all.map((source) =>
      compile(source, options).catch((e) => failures.push(`${source}: ${e.message ?? e}`)),
    ),
  );
  if (failures.length > 0) {
    throw new Error(`SWC could not compile ${failures.length} file(s):\n${failures.join('\n')}`);
  }
  const outputs = new Set(all.map(outputOf));
  for (const folder of FOLDERS) deleteStale(folder, outputs);
  fs.rmSync(OLD_TSC_MARK, { force: true });
  fs.writeFileSync(MARK, `${started.toISOString()}\n`);
  fs.utimesSync(MARK, started, started);
  return all.length;
}

module.exports = { build, MARK };

if (require.main === module) {
  const t0 = process.hrtime.bigint();
  build().then(
    (count) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      process.stderr.write(
        `Built ${count} files into ${relative(process.cwd(), DIST) || '.'} with SWC in ${Math.round(ms)} ms\n`,
      );
    },
    (e) => {
      process.stderr.write(`${e.message ?? e}\n`);
      process.exit(1);
    },
  );
}
