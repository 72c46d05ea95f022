#!/usr/bin/env node
/**
 * `npm start` and `npm run cli` build first, but only when something the build reads is newer
 * than the last build, so a start with nothing changed does not even load the compiler. The last
 * build's mark is dist/.build-mark, which scripts/build.js (`npm run build`, SWC) stamps with the
 * time its build started once every file is written. The admin console (console/, Vite) is
 * built the same way, after the server, by scripts/build-console.js with a mark of its own
 * (dist/console/.build-mark). Plain JavaScript, so it runs before anything is compiled.
 *
 * `npm start` runs both checks and then the server in one process (scripts/start.js); `npm run
 * cli` runs `buildServerIfStale()` and then the CLI in one process (scripts/cli.js): the CLI
 * serves no console, so it neither checks nor builds it.
 */
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const MARK = join(root, 'dist', '.build-mark');
const ENTRY = join(root, 'dist', 'src', 'main.js');
const SOURCES = ['src', 'bench', 'test/harness'];
const FILES = [
  'ormconfig.ts',
  'tsconfig.json',
  'package-lock.json',
  'scripts/build.js',
  'scripts/openapi.ts',
  'scripts/typed-client.ts',
];

/**
 * Whether a file, or a folder or any TypeScript file under it, was modified after `built` (ms).
 * Stops at the first one found, so a stale build is told at once; a fresh one stats every file.
 */
function changedSince(path, built) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return false;
  if (stat.mtimeMs > built) return true; // a deleted or renamed file changes its folder's time
  if (!stat.isDirectory()) return false;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) {
      if (changedSince(child, built)) return true;
    } else if (entry.name.endsWith('.ts') && statSync(child).mtimeMs > built) {
      return true;
    }
  }
  return false;
}

function isFresh() {
  if (!existsSync(ENTRY)) return false;
  const mark = statSync(MARK, { throwIfNoEntry: false });
  if (!mark) return false;
  return ![...SOURCES, ...FILES].some((p) => changedSince(join(root, p), mark.mtimeMs));
}

/** Builds the server, the CLI and the rest of dist/ with SWC when a source changed since. */
async function buildServerIfStale() {
  if (isFresh()) return;
  process.stderr.write('Building (sources changed since the last build)...\n');
  const count = await require('./build').build();
  process.stderr.write(`Built ${count} files with SWC.\n`);
}

module.exports = { buildServerIfStale };

if (require.main === module) {
  buildServerIfStale()
    .then(() => require('./build-console').buildConsoleIfStale())
    .catch((e) => {
      process.stderr.write(`${e.message ?? e}\n`);
      process.exit(1);
    });
}
