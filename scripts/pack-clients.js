#!/usr/bin/env node
/**
 * `npm run pack:clients`: the clients' release artifacts, in dist/packages/ (or `--out <dir>`):
 * `latchkey-client-<version>.tgz` (`npm pack` of a copy of @latchkey/client built apart, so two
 * packs at once never share a dist/), and the Python sdist `latchkey-<version>.tar.gz` with the
 * wheel built from it, `latchkey-<version>-py3-none-any.whl` (clients/python/build_backend.py).
 * The release workflow publishes these files, and the client suites install them.
 *
 * `--only npm|python` makes one; `--check` runs publint and @arethetypeswrong/cli on the tarball
 * (`npm run lint`; without `--out`, in a folder removed after); `--repository <url>` writes the
 * manifest's `repository`, which npm's provenance matches against the repository that built it;
 * `--fresh` builds even sources packed before. `PYTHON` names the python3 to build with.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { packKey, storedPack, storePack } = require('./client-pack-key');

const root = join(__dirname, '..');
const CLIENT = join(root, 'packages', 'client');
const PYTHON_CLIENT = join(root, 'clients', 'python');
const SHIPPED_BESIDE_DIST = ['package.json', 'README.md', 'CHANGELOG.md'];

function option(name) {
  const at = process.argv.indexOf(name);
  if (at < 0) return undefined;
  const value = process.argv[at + 1];
  if (!value || value.startsWith('--')) fail(`${name} needs a value`);
  return value;
}

function fail(message) {
  process.stderr.write(`pack-clients: ${message}\n`);
  process.exit(1);
}

/** Runs a command to its end, its output passed through; its stdout returned when `capture`. */
function run(command, args, { cwd = root, capture = false } = {}) {
  const ran = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
  });
  if (ran.error) fail(`${command}: ${ran.error.message}`);
  if (ran.status !== 0) fail(`${command} ${args.join(' ')} exited ${ran.status}`);
  return ran.stdout;
}

/**
 * @latchkey/client, packed from a copy built apart; answers the tarball's path. The same sources
 * packed before give that pack's tarball, copied (scripts/client-pack-key.js); `--fresh` builds.
 */
function packNpm(out, repository) {
  const key = packKey(CLIENT, repository);
  const stored = process.argv.includes('--fresh') ? null : storedPack(key);
  if (stored) {
    const { version } = JSON.parse(fs.readFileSync(join(CLIENT, 'package.json'), 'utf8'));
    const tarball = join(out, `latchkey-client-${version}.tgz`);
    fs.copyFileSync(stored, tarball);
    process.stderr.write('pack-clients: @latchkey/client reused, its sources as when last packed\n');
    return tarball;
  }
  const tarball = buildAndPackNpm(out, repository);
  storePack(key, tarball);
  return tarball;
}

function buildAndPackNpm(out, repository) {
  const stage = fs.mkdtempSync(join(tmpdir(), 'latchkey-client-stage-'));
  try {
    for (const file of SHIPPED_BESIDE_DIST) fs.copyFileSync(join(CLIENT, file), join(stage, file));
    if (repository) {
      const manifest = JSON.parse(fs.readFileSync(join(stage, 'package.json'), 'utf8'));
      manifest.repository = { type: 'git', url: `git+${repository}.git`, directory: 'packages/client' };
      fs.writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    }
    run(process.execPath, [join(CLIENT, 'scripts', 'build.mjs'), '--out', join(stage, 'dist')]);
    // The copy is built: its prepack (a build in place, scripts/ and all) is not to run again.
    const packed = JSON.parse(
      run('npm', ['pack', stage, '--json', '--ignore-scripts', '--pack-destination', out], {
        capture: true,
      }),
    );
    return join(out, packed[0].filename);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/** What a PEP 517 frontend does: the sdist, then the wheel from that sdist unpacked. */
const BUILD_PYTHON = `
import os, sys, tarfile, tempfile
sys.dont_write_bytecode = True
source, out = sys.argv[1], sys.argv[2]

def backend(folder):
    sys.path.insert(0, folder)
    os.chdir(folder)
    import build_backend
    sys.path.remove(folder)
    del sys.modules["build_backend"]
    return build_backend

sdist = backend(source).build_sdist(out)
with tempfile.TemporaryDirectory() as unpacked:
    with tarfile.open(os.path.join(out, sdist)) as tar:
        tar.extractall(unpacked)
    folder = os.path.join(unpacked, sdist[: -len(".tar.gz")])
    wheel = backend(folder).build_wheel(out)
    os.chdir(out)
print(sdist)
print(wheel)
`;

function packPython(out) {
  const python = process.env.PYTHON || 'python3';
  return run(python, ['-c', BUILD_PYTHON, PYTHON_CLIENT, out], { capture: true })
    .trim()
    .split('\n')
    .map((name) => join(out, name));
}

function check(tarball) {
  const bin = (pkg, name) => join(root, 'node_modules', pkg, ...name);
  run(process.execPath, [bin('publint', ['src', 'cli.js']), 'run', tarball, '--strict']);
  // --no-definitely-typed: no @types package is looked up in the registry; the package ships its own.
  const attw = [tarball, '--no-definitely-typed', '--format', 'table-flipped', '--no-emoji', '--no-color'];
  run(process.execPath, [bin('@arethetypeswrong/cli', ['dist', 'index.js']), ...attw]);
}

function main() {
  const only = option('--only');
  if (only !== undefined && only !== 'npm' && only !== 'python') fail('--only is npm or python');
  const checking = process.argv.includes('--check');
  const given = option('--out');
  const out = given
    ? resolve(given)
    : checking
      ? fs.mkdtempSync(join(tmpdir(), 'latchkey-client-check-'))
      : join(root, 'dist', 'packages');
  fs.mkdirSync(out, { recursive: true });
  const ours = (name) =>
    (only !== 'python' && /^latchkey-client-.+\.tgz$/.test(name)) ||
    (only !== 'npm' && /^latchkey-.+(\.whl|\.tar\.gz)$/.test(name));
  // An earlier version's files would be published beside this one's.
  for (const name of fs.readdirSync(out)) if (ours(name)) fs.rmSync(join(out, name));

  try {
    const made = [];
    if (only !== 'python') made.push(packNpm(out, option('--repository')));
    if (only !== 'npm') made.push(...packPython(out));
    for (const file of made) {
      process.stdout.write(`${file}  ${(fs.statSync(file).size / 1000).toFixed(1)} kB\n`);
    }
    if (checking && only !== 'python') check(made[0]);
  } finally {
    if (checking && !given) fs.rmSync(out, { recursive: true, force: true });
  }
}

main();
