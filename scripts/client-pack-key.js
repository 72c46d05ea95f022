/**
 * What a packed @latchkey/client is made from, as one hash, and a store of tarballs by that hash
 * (scripts/pack-clients.js). A build is two tsc runs, about 9 s of CPU, and a test run packs the
 * same sources in several suites and in lint: a second pack copies the first's tarball, which is
 * what a build would write (npm pack writes fixed dates, so the same files give the same bytes).
 *
 * The key covers everything the build reads: the package's own files (all but node_modules/ and
 * dist/), the scripts that build and pack it, the versions of TypeScript and of the Node types it
 * compiles against, and the manifest's repository, when given. Plain JavaScript.
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const STORE = join(root, 'node_modules', '.cache', 'latchkey-client-pack');

function filesUnder(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.name !== 'node_modules' && entry.name !== 'dist')
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? filesUnder(path) : [path];
    })
    .sort();
}

function installedVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'))
      .version;
  } catch {
    return 'absent';
  }
}

/** The hash of what a pack of `packageDir` is built from; `repository` as pack-clients takes it. */
function packKey(packageDir, repository = '') {
  const hash = createHash('sha256');
  const add = (label, bytes) => {
    hash.update(`${label}\0${bytes.length}\0`);
    hash.update(bytes);
  };
  for (const file of [...filesUnder(packageDir), join(root, 'scripts', 'pack-clients.js')]) {
    add(relative(root, file), fs.readFileSync(file));
  }
  add('typescript', Buffer.from(installedVersion('typescript')));
  add('@types/node', Buffer.from(installedVersion('@types/node')));
  add('repository', Buffer.from(repository));
  return hash.digest('hex');
}

/** The stored tarball of `key`, or null. */
function storedPack(key) {
  const file = join(STORE, `${key}.tgz`);
  return fs.existsSync(file) ? file : null;
}

/** Keeps `tarball` as the pack of `key`; written whole or not at all, as two packs may race. */
function storePack(key, tarball) {
  fs.mkdirSync(STORE, { recursive: true });
  const partial = join(STORE, `${key}.${process.pid}.partial`);
  fs.copyFileSync(tarball, partial);
  fs.renameSync(partial, join(STORE, `${key}.tgz`));
}

module.exports = { packKey, storedPack, storePack };
