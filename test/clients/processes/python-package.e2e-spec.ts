import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../harness/app-process';
import { PYTHON } from '../../harness/python';
import { docsCommands, ok, run } from './package-scratch';
import {
  imported,
  leftOutWithoutPip,
  packPython,
  PIP_ENV,
  pipInstall,
  PYTHON_VERSION as version,
  SOURCE,
} from './python-scratch';

/**
 * The Python client's release artifacts as pip and their users get them: the sdist and wheel
 * `npm run pack:clients` writes, checked as pip reads a wheel (check_wheel.py); installed with
 * `pip install --no-index` (the wheel, the sdist, and clients/python from the repository, each
 * the same package, nothing fetched); built again by pip into the same bytes; and the docs'
 * install commands run as written. python-wsgi-app.e2e-spec.ts runs the installed middleware.
 */

const CHECK_WHEEL = join(REPO_ROOT, 'test', 'clients', 'processes', 'check_wheel.py');
const SETUP_TIMEOUT_MS = 180_000;
const TIMEOUT_MS = 180_000;
const INSTALL_HOLDS = 'pip install ../latchkey/dist/packages/latchkey-';
const INSTALL_BLOCKS = ['docs/clients.md', 'clients/python/README.md'];

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Every file under `dir`, relative to it, but Python's bytecode caches. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .filter((e) => e.name !== '__pycache__')
    .flatMap((e) =>
      e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : [join(prefix, e.name)],
    )
    .sort();
}

describe('the Python client as users get it (the release wheel and sdist, installed by pip)', () => {
  if (leftOutWithoutPip()) return;

  // The reader's layout: a clone of Latchkey (its dist/packages/ this run's, its clients/ the
  // repository's) beside their app.
  const work = mkdtempSync(join(tmpdir(), 'latchkey-python-package-'));
  const clone = join(work, 'latchkey');
  const packages = join(clone, 'dist', 'packages');
  const app = join(work, 'app');
  let wheel: string;
  let sdist: string;

  beforeAll(async () => {
    mkdirSync(packages, { recursive: true });
    mkdirSync(app);
    symlinkSync(join(REPO_ROOT, 'clients'), join(clone, 'clients'), 'dir');
    ({ wheel, sdist } = await packPython(packages));
  }, SETUP_TIMEOUT_MS);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('writes the sdist and the wheel, named as PyPI wants them, and nothing else', () => {
    expect(readdirSync(packages).sort()).toEqual([
      `latchkey-${version}-py3-none-any.whl`,
      `latchkey-${version}.tar.gz`,
    ]);
  });

  describe('as pip reads them (check_wheel.py)', () => {
    let checked: {
      wheel: {
        names: string[];
        corrupt: string | null;
        dist_info: string[];
        record: Record<string, unknown>;
        wheel: Record<string, string[]>;
        metadata: Record<string, string[]>;
        description: string;
        modes: number[];
      };
      sdist: { names: string[]; kinds: string[] };
      project: { name: string; version: string; description: string; classifiers: string[] };
      readme: string;
      subset_parser_agrees: boolean;
      pkg_info_is_metadata: boolean;
    };

    beforeAll(async () => {
      const ran = ok(
        await run(PYTHON, ['-B', CHECK_WHEEL, wheel, sdist, SOURCE], work),
        CHECK_WHEEL,
      );
      checked = JSON.parse(ran.stdout) as typeof checked;
    });

    it('the wheel: the package and its .dist-info alone; RECORD lists every file once, with its sha256 and size', () => {
      const { wheel: w } = checked;
      const modules = filesUnder(join(SOURCE, 'latchkey')).map((f) => `latchkey/${f}`);
      const info = `latchkey-${version}.dist-info`;
      expect(w.names).toEqual(
        [...modules, `${info}/METADATA`, `${info}/RECORD`, `${info}/WHEEL`].sort(),
      );
      expect(modules).toEqual(expect.arrayContaining(['latchkey/wsgi.py', 'latchkey/py.typed']));
      expect({ corrupt: w.corrupt, dist_info: w.dist_info, modes: w.modes }).toEqual({
        corrupt: null,
        dist_info: [info],
        modes: [0o644],
      });
      expect(w.record).toEqual({
        unlisted: [],
        listed_twice: [],
        not_in_wheel: [],
        wrong_hash_or_size: [],
        own_row: [[`${info}/RECORD`, '', '']],
      });
    });

    it('WHEEL and METADATA say what pyproject.toml says; the description is the README; the sdist has the same PKG-INFO', () => {
      const { wheel: w, project } = checked;
      expect(w.wheel).toMatchObject({
        'Wheel-Version': ['1.0'],
        'Root-Is-Purelib': ['true'],
        Tag: ['py3-none-any'],
      });
      expect(w.metadata).toEqual({
        'Metadata-Version': ['2.1'],
        Name: [project.name],
        Version: [project.version],
        Summary: [project.description],
        'Requires-Python': ['>=3.9'],
        Classifier: project.classifiers,
        'Description-Content-Type': ['text/markdown'],
      });
      expect(w.description).toBe(checked.readme);
      expect(checked.pkg_info_is_metadata).toBe(true);
    });

    it('the sdist: what builds the wheel again (pyproject.toml, build_backend.py, README, CHANGELOG, the package), and no tests', () => {
      const base = `latchkey-${version}`;
      const expected = [
        'CHANGELOG.md',
        'PKG-INFO',
        'README.md',
        'build_backend.py',
        'pyproject.toml',
        ...filesUnder(join(SOURCE, 'latchkey')).map((f) => `latchkey/${f}`),
      ].map((f) => `${base}/${f}`);
      expect(checked.sdist.names).toEqual(expected.sort());
      expect(checked.sdist.kinds).toEqual(['file']);
    });

    it("the backend's own TOML reading (Python before 3.11) reads pyproject.toml as tomllib does", () => {
      expect(checked.subset_parser_agrees).toBe(true);
    });
  });

  it(
    'pip install --no-index installs the wheel, the sdist, and clients/python alike: the same files, the version it says',
    async () => {
      const entriesBefore = readdirSync(SOURCE).sort();
      const targets = [
        await pipInstall(work, wheel),
        await pipInstall(work, sdist),
        await pipInstall(work, './clients/python', REPO_ROOT),
      ];
      const sources = filesUnder(join(SOURCE, 'latchkey'));
      for (const target of targets) {
        expect(filesUnder(join(target, 'latchkey'))).toEqual(sources);
        for (const file of sources) {
          expect({ file, sha: sha256(join(target, 'latchkey', file)) }).toEqual({
            file,
            sha: sha256(join(SOURCE, 'latchkey', file)),
          });
        }
        const [file, attribute, metadata] = await imported(target);
        expect(file).toBe(join(target, 'latchkey', '__init__.py'));
        expect([attribute, metadata]).toEqual([version, version]);
      }
      // A build in the repository leaves nothing behind there (no build/, egg-info or cache).
      expect(readdirSync(SOURCE).sort()).toEqual(entriesBefore);
    },
    TIMEOUT_MS,
  );

  it(
    'pip wheel builds clients/python into the very bytes of the release wheel',
    async () => {
      const out = mkdtempSync(join(work, 'wheel-'));
      const args = ['-m', 'pip', 'wheel', '--no-index', '--no-deps', '-w', out, './clients/python'];
      ok(await run(PYTHON, args, REPO_ROOT, PIP_ENV, 120_000), 'pip wheel');
      expect(readdirSync(out)).toEqual([`latchkey-${version}-py3-none-any.whl`]);
      expect(sha256(join(out, readdirSync(out)[0]))).toBe(sha256(wheel));
    },
    TIMEOUT_MS,
  );

  it(
    'the docs install commands run as written, from an app beside the clone, with nothing fetched',
    async () => {
      const [commands, readme] = INSTALL_BLOCKS.map((file) => docsCommands(file, INSTALL_HOLDS));
      expect(readme).toEqual(commands);
      expect(commands).toEqual([
        `pip install ../latchkey/dist/packages/latchkey-${version}-py3-none-any.whl`,
        'pip install ../latchkey/clients/python',
      ]);
      // The reader's `pip` is this Python's; where it installs, and that it fetches nothing, is
      // pip's own configuration (PIP_TARGET, PIP_NO_INDEX), so each command runs as written.
      const bin = join(work, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'pip'), `#!/bin/sh\nexec ${PYTHON} -m pip "$@"\n`);
      chmodSync(join(bin, 'pip'), 0o755);
      for (const command of commands) {
        const target = mkdtempSync(join(work, 'site-'));
        const env = { ...PIP_ENV, PATH: `${bin}:${process.env.PATH}`, PIP_TARGET: target };
        ok(await run('bash', ['-c', command], app, { ...env, PIP_NO_INDEX: '1' }), command);
        const [file, attribute] = await imported(target);
        expect({ command, file, attribute }).toEqual({
          command,
          file: join(target, 'latchkey', '__init__.py'),
          attribute: version,
        });
      }
    },
    TIMEOUT_MS,
  );
});
