#!/usr/bin/env node
/**
 * `npm run build:console`: builds the admin console (console/) with Vite into dist/console/ and
 * holds it to its budget, the gzipped JavaScript and CSS of assets/ at most 250 kB, or exit 1.
 * A build over budget is not marked as built, so the next `npm start` tries and fails again.
 *
 * `buildConsoleIfStale()` (`npm start`, jest's globalSetup) builds only when a file under
 * console/ or packages/client/src/, package-lock.json or this script is newer than
 * dist/console/.build-mark, stamped with the build's start so a file saved meanwhile counts.
 * Two runs at once take turns on a lock, since Vite empties dist/console before it writes.
 * Without console/vite.config.ts there is nothing to build, and no failure. Plain JavaScript,
 * so it runs before anything is compiled.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const { dirname, join } = require('node:path');
const { gzipSync } = require('node:zlib');

const root = join(__dirname, '..');
const CONFIG = join(root, 'console', 'vite.config.ts');
const OUT = join(root, 'dist', 'console');
const MARK = join(OUT, '.build-mark');
const INDEX = join(OUT, 'index.html');
const ASSETS = join(OUT, 'assets');
/** Outside dist/console, which Vite empties: held while one process builds. */
const LOCK = join(root, 'dist', '.console-build.lock');
/** A lock this old was left by a build that died: no Vite build of the console takes so long. */
const STALE_LOCK_MS = 10 * 60 * 1000;
const BUDGET_KB = 250;
/** What the console's build reads. */
const INPUTS = ['console', 'packages/client/src', 'package-lock.json', 'scripts/build-console.js'];

const note = (line) => process.stderr.write(`${line}\n`);

/** The newest modification time of a file, or of any file under a folder, in ms. */
function newest(path) {
  const stat = fs.statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs; // a deleted or renamed file changes its folder's time
  for (const entry of fs.readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    latest = Math.max(latest, newest(join(path, entry.name)));
  }
  return latest;
}

function isFresh() {
  const mark = fs.statSync(MARK, { throwIfNoEntry: false });
  if (!mark || !fs.existsSync(INDEX)) return false;
  return Math.max(...INPUTS.map((p) => newest(join(root, p)))) <= mark.mtimeMs;
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `build` holding the lock. When another process holds it, waits for it to finish and
 * returns false without building: the caller looks again at what that build left.
 */
function underLock(build) {
  fs.mkdirSync(dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const held = fs.statSync(LOCK, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) {
        fs.rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      note('Console: another build is running; waiting for it...');
      while (fs.existsSync(LOCK)) sleep(250);
      return false;
    }
  }
  try {
    build();
    return true;
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

/** The JavaScript and CSS of the build, gzipped, in bytes. */
function gzippedSize() {
  let total = 0;
  for (const entry of fs.readdirSync(ASSETS, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.(m?js|css)$/.test(entry.name)) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    total += gzipSync(fs.readFileSync(path)).length;
  }
  return total;
}

/** Builds the console with Vite, checks its budget and stamps the mark; throws on a failure. */
function build() {
  const started = new Date();
  const vite = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  // Vite says only what went wrong, on stderr with ours (its list of files is noise in a start):
  // `npm start`'s stdout carries only what the server says.
  const args = [vite, 'build', '--config', CONFIG, '--logLevel', 'warn'];
  const run = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 2, 2] });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`Console: vite build failed (exit ${run.status})`);
  if (!fs.existsSync(INDEX)) {
    throw new Error(
      'Console: vite build wrote no dist/console/index.html; console/vite.config.ts must build ' +
        "into dist/console with base '/admin/'",
    );
  }
  const kb = fs.existsSync(ASSETS) ? gzippedSize() / 1000 : 0;
  note(`Console: ${kb.toFixed(1)} kB gzipped (budget ${BUDGET_KB} kB)`);
  if (kb > BUDGET_KB) {
    throw new Error(
      `Console: over its budget by ${(kb - BUDGET_KB).toFixed(1)} kB gzipped: trim dependencies or split the bundle`,
    );
  }
  fs.writeFileSync(MARK, `${started.toISOString()}\n`);
  fs.utimesSync(MARK, started, started);
}

/** False when there is nothing to build yet (no console/vite.config.ts), after saying so. */
function hasConsole() {
  if (fs.existsSync(CONFIG)) return true;
  note('Console: console/vite.config.ts not found; skipping the console build');
  return false;
}

/** `npm run build:console`: builds whatever the mark says. */
function buildConsole() {
  if (!hasConsole()) return;
  // Whoever held the lock built the same sources; build again only if they changed since.
  while (!underLock(build) && !isFresh());
}

/** `npm start`, `npm run cli` and jest: builds only when something the build reads changed. */
function buildConsoleIfStale() {
  if (!hasConsole() || isFresh()) return;
  note('Console: building (its sources changed since the last build)...');
  while (!underLock(() => isFresh() || build()) && !isFresh());
}

module.exports = { buildConsole, buildConsoleIfStale, MARK };

if (require.main === module) {
  try {
    buildConsole();
  } catch (e) {
    note(e.message ?? String(e));
    process.exit(1);
  }
}
