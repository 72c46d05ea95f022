#!/usr/bin/env node
/**
 * `npm start` and `npm run cli` build first, but only when something the build reads is newer
 * than the last build: an incremental `tsc` with nothing to do still takes seconds to find that
 * out. The last build's mark is the build info file tsc writes at the end of every build
 * (tsconfig.build.json). Plain JavaScript, so it runs before anything is compiled.
 */
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, utimesSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const MARK = join(root, 'dist', '.build.tsbuildinfo');
const ENTRY = join(root, 'dist', 'src', 'main.js');
const SOURCES = ['src', 'bench', 'support'];
const FILES = ['ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

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

if (isFresh()) process.exit(0);
process.stderr.write('Building (sources changed since the last build)...\n');
try {
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
} catch {
  process.exit(1);
}
// tsc leaves its build info untouched when a changed file's content is not new (a checkout, a
// touch); marking the build now keeps the next start from building again for nothing.
const now = new Date();
utimesSync(MARK, now, now);
