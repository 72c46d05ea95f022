#!/usr/bin/env node
/**
 * Keeps this machine's build of better-sqlite3 where its installer looks before it downloads or
 * compiles: npm's cache, `_prebuilds/`, under the name a download of the same release would have
 * (package version, Node ABI, platform, arch; prebuild-install's own naming). The next `npm ci` on
 * this machine then unpacks it, where it would otherwise compile SQLite from source (about 100 s
 * on these machines, with no route to the release downloads). `.ci/run` runs it after `npm ci`.
 * A build already kept is left as it is. Plain JavaScript, so it runs before anything is built.
 */
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, renameSync } = require('node:fs');
const { dirname, join } = require('node:path');

const root = join(__dirname, '..');
const pkgDir = join(root, 'node_modules', 'better-sqlite3');
const BINARY = join('build', 'Release', 'better_sqlite3.node');
const util = require(require.resolve('prebuild-install/util', { paths: [pkgDir] }));

const url = util.getDownloadUrl({
  pkg: require(join(pkgDir, 'package.json')),
  runtime: 'node',
  abi: process.versions.modules,
  platform: process.platform,
  arch: process.arch,
  libc: process.env.LIBC || '',
  'tag-prefix': 'v',
});
const kept = util.cachedPrebuild(url);

if (existsSync(kept)) {
  process.stdout.write(`better-sqlite3: this build is kept already (${kept})\n`);
} else if (!existsSync(join(pkgDir, BINARY))) {
  process.stdout.write(`better-sqlite3: no build to keep (${BINARY} is missing)\n`);
} else {
  mkdirSync(dirname(kept), { recursive: true });
  const tmp = `${kept}.${process.pid}.tmp`;
  execFileSync('tar', ['-czf', tmp, '-C', pkgDir, BINARY]);
  renameSync(tmp, kept);
  process.stdout.write(`better-sqlite3: build kept for the next npm ci (${kept})\n`);
}
