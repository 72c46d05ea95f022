import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../harness/app-process';
import { PYTHON, pythonReady } from '../../harness/python';
import { ok, packClients, run } from './package-scratch';

/** What the suites of the released Python client share (python-package, python-wsgi-app). */

export const SOURCE = join(REPO_ROOT, 'clients', 'python');

/** The version pyproject.toml says, which the artifacts' names carry. */
export const PYTHON_VERSION = /^version = "([^"]+)"$/m.exec(
  readFileSync(join(SOURCE, 'pyproject.toml'), 'utf8'),
)?.[1];

// check_wheel.py compares the backend's TOML reading with tomllib's (3.11): pip and 3.11 or later.
export const PIP_READY =
  pythonReady() &&
  spawnSync(PYTHON, ['-c', 'import tomllib, pip'], { stdio: 'ignore' }).status === 0;

/** In CI (CI=true) a missing pip fails the suite; elsewhere it is listed as left out. */
export function leftOutWithoutPip(): boolean {
  if (PIP_READY) return false;
  const why = 'python3 (3.11 or later) with pip is missing: apt-get install python3 python3-pip';
  if (process.env.CI === 'true') it(`runs in CI: ${why}`, () => expect(PIP_READY).toBe(true));
  else it.todo(`left out of this run, since ${why}`);
  return true;
}

// pip as a user runs it, on its own: no warning about root, no look for a newer pip, no bytecode
// left in clients/python by the build it runs there.
export const PIP_ENV = {
  PIP_ROOT_USER_ACTION: 'ignore',
  PIP_DISABLE_PIP_VERSION_CHECK: '1',
  PYTHONDONTWRITEBYTECODE: '1',
};

/** The release's sdist and wheel, written to `out` by `npm run pack:clients`. */
export async function packPython(out: string): Promise<{ wheel: string; sdist: string }> {
  await packClients(['--only', 'python', '--out', out], { PYTHON });
  return {
    wheel: join(out, `latchkey-${PYTHON_VERSION}-py3-none-any.whl`),
    sdist: join(out, `latchkey-${PYTHON_VERSION}.tar.gz`),
  };
}

/** `pip install --no-index --target <a new folder in work> <what>`, from `cwd`; answers the folder. */
export async function pipInstall(work: string, what: string, cwd = work): Promise<string> {
  const target = mkdtempSync(join(work, 'site-'));
  const args = ['-m', 'pip', 'install', '--no-index', '--target', target, what];
  ok(await run(PYTHON, args, cwd, PIP_ENV, 120_000), `pip install ${what}`);
  return target;
}

/** What the latchkey importable from `target` says of itself: its file, __version__, metadata's version. */
export async function imported(target: string): Promise<[string, string, string]> {
  const probe =
    'import json, latchkey, importlib.metadata as m; ' +
    'print(json.dumps([latchkey.__file__, latchkey.__version__, m.version("latchkey")]))';
  // -s: no user site-packages; cwd / : no folder of the repository's on the path.
  const ran = ok(
    await run(PYTHON, ['-B', '-s', '-c', probe], '/', { PYTHONPATH: target }),
    'import latchkey',
  );
  return JSON.parse(ran.stdout) as [string, string, string];
}
