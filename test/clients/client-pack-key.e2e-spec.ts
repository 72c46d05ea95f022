import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/app-process';

// Plain JavaScript, as scripts/pack-clients.js requires it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { packKey } = require('../../scripts/client-pack-key') as {
  packKey: (packageDir: string, repository?: string) => string;
};

/**
 * A pack reuses an earlier tarball only for the same sources (scripts/client-pack-key.js): any
 * change to what the build reads must give another key, or a suite would install a stale package.
 */
describe('the key a packed @latchkey/client is reused by', () => {
  const work = mkdtempSync(join(tmpdir(), 'latchkey-pack-key-'));
  const copy = join(work, 'client');
  beforeAll(() => {
    cpSync(join(REPO_ROOT, 'packages', 'client'), copy, {
      recursive: true,
      filter: (from) => !/[/\\](node_modules|dist)([/\\]|$)/.test(from),
    });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is the same for the same sources, and changes with a source, the README, the manifest or a new file', () => {
    const before = packKey(copy);
    expect(packKey(copy)).toBe(before);
    const changes: [string, string][] = [
      ['src/index.ts', '\n// changed\n'],
      ['README.md', '\nchanged\n'],
      ['package.json', '\n'],
      ['src/added.ts', 'export const added = 1;\n'],
    ];
    const keys = new Set([before]);
    for (const [file, extra] of changes) {
      writeFileSync(join(copy, file), extra, { flag: 'a' });
      keys.add(packKey(copy));
    }
    expect(keys.size).toBe(changes.length + 1);
  });

  it('ignores a build left in dist/ and an install in node_modules/, and changes with the repository named', () => {
    const before = packKey(copy);
    mkdirSync(join(copy, 'dist'), { recursive: true });
    writeFileSync(join(copy, 'dist', 'index.js'), 'stale');
    mkdirSync(join(copy, 'node_modules', 'x'), { recursive: true });
    writeFileSync(join(copy, 'node_modules', 'x', 'index.js'), 'x');
    expect(packKey(copy)).toBe(before);
    expect(packKey(copy, 'https://github.com/example/latchkey')).not.toBe(before);
  });
});
