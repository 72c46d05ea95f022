#!/usr/bin/env node
/**
 * `npm start` and `npm run cli` build first, but only when something the build reads is newer
 * than the last build, so a start with nothing changed does not even load the compiler. The last
 * build's mark is dist/.build-mark, which scripts/build.js (`npm run build`, SWC) stamps with the
 * time its build started once every file is written. The admin console (console/, Vite) is
 * built the same way, after the server, by scripts/build-console.js with a mark of its own
 * (dist/console/.build-mark). Plain JavaScript, so it runs before anything is compiled.
 */
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const MARK = join(root, 'dist', '.build-mark');
const ENTRY = join(root, 'dist', 'src', 'main.js');
const SOURCES = ['src', 'bench', 'support'];
const FILES = [
  'ormconfig.ts',
  'tsconfig.json',
  'package-lock.json',
  'scripts/build.js',
  'scripts/openapi.ts',
  'scripts/typed-client.ts',
];

/** The newest modification time under a folder (TypeScript files) or of a file, in ms. */
function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs; // a deleted or renamed file changes its folder's time
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(child));
    else if (entry.name.endsWith('.ts')) latest = Math.max(latest, statSync(child).mtimeMs);
  }
  return latest;
}

function isFresh() {
  if (!existsSync(ENTRY) || !existsSync(MARK)) return false;
  const built = statSync(MARK).mtimeMs;
  const inputs = [...SOURCES, ...FILES].map((p) => newest(join(root, p)));
  return Math.max(...inputs) <= built;
}

async function main() {
  if (!isFresh()) {
    process.stderr.write('Building (sources changed since the last build)...\n');
    const count = await require('./build').build();
    process.stderr.write(`Built ${count} files with SWC.\n`);
  }
  require('./build-console').buildConsoleIfStale();
}

main().catch((e) => {
  process.stderr.write(`${e.message ?? e}\n`);
  process.exit(1);
});
