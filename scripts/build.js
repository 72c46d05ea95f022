#!/usr/bin/env node
/**
 * `npm run build`: compiles src/, bench/, test/harness/, ormconfig.ts and the scripts lint runs to
 * dist/ with SWC, a file at a time and in parallel, without type checking: about a second where
 * tsc took five or more (`npm run typecheck` checks the types). The layout is tsc's with
 * `rootDir: "."` (src/main.ts -> dist/src/main.js), unit specs left out, and the options are
 * jest's, so the code the e2e suites run in-process is compiled as the built server is.
 *
 * Each output is written to a temporary file and renamed, so a server starting during a build
 * never reads half a file. The mark (dist/.build-mark) is stamped with the time the build
 * started, so a source saved during the build is newer and build-if-stale.js builds again.
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
const FOLDERS = ['src', 'bench', 'test/harness'];
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
