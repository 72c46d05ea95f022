import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scannerPattern } from '../common/secrets/secret-shape';
import {
  hashSecret,
  isImportedKeyShape,
  isWellFormedSecret,
  mintSecret,
  newJti,
  previewOf,
} from './token-secret';

const ROOT = join(__dirname, '..', '..');

/**
 * Every token pattern the README and docs/ print for secret scanners: each one-line code block
 * that matches a token's 36 characters.
 */
function documentedScannerPatterns(): { file: string; pattern: string }[] {
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => join('docs', f))];
  return files
    .filter((file) => file.endsWith('.md'))
    .flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^```[a-z]*\n(.+)\n```$/gm)]
        .map((block) => block[1])
        .filter((line) => line.includes('{36}'))
        .map((pattern) => ({ file, pattern })),
    );
}

describe('token secret codec', () => {
  it('mints prefix, 30 random base62 characters and a 6-character checksum', () => {
    const sut = mintSecret('lk');
    expect(sut.secret).toMatch(/^lk_[0-9A-Za-z]{36}$/);
    expect(isWellFormedSecret(sut.secret)).toBe(true);
  });

  it('uses the configured prefix', () => {
    expect(mintSecret('acme').secret.startsWith('acme_')).toBe(true);
  });

  it('stores the SHA-256 of the whole secret, never the secret', () => {
    const sut = mintSecret('lk');
    expect(sut.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(sut.hash).toBe(hashSecret(sut.secret));
    expect(sut.hash).not.toContain(sut.secret.slice(3));
  });

  it('previews the prefix, four characters and the last four', () => {
    const secret = 'lk_ab12cdefghijklmnopqrstuvwxyz0123wxyz';
    expect(previewOf(secret)).toBe('lk_ab12…wxyz');
  });

  it('mints distinct secrets', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => mintSecret('lk').secret));
    expect(seen.size).toBe(1000);
  });

  it('rejects a secret with one character changed, by its checksum', () => {
    const { secret } = mintSecret('lk');
    const i = 10;
    const flipped = secret.slice(0, i) + (secret[i] === 'a' ? 'b' : 'a') + secret.slice(i + 1);
    expect(isWellFormedSecret(flipped)).toBe(false);
  });

  it.each([
    '',
    'lk_',
    'not a token',
    'lk_short',
    'LK_' + 'a'.repeat(36),
    'lk-' + 'a'.repeat(36),
    'lk_' + 'a'.repeat(37),
    'lk_' + '!'.repeat(36),
  ])('rejects the malformed string %j', (candidate) => {
    expect(isWellFormedSecret(candidate)).toBe(false);
  });

  it('makes 32-hex jtis', () => {
    expect(newJti()).toMatch(/^[0-9a-f]{32}$/);
  });

  it('is given to scanners as one pattern, the same in the README, docs/ and the code', () => {
    const printed = documentedScannerPatterns();
    expect(printed.map((p) => p.file)).toEqual(
      expect.arrayContaining(['README.md', 'docs/api.md']),
    );
    for (const p of printed) expect(p).toEqual({ file: p.file, pattern: scannerPattern('lk') });
  });

  it('is found by the scanner pattern wherever it is pasted, and nothing else is', () => {
    const sut = new RegExp(scannerPattern('lk'));
    for (let i = 0; i < 50; i++) {
      const { secret } = mintSecret('lk');
      for (const text of [
        secret,
        `LATCHKEY_TOKEN=${secret}\n`,
        `LATCHKEY_TOKEN_${secret}`,
        `"Authorization": "Bearer ${secret}"`,
        `token: '${secret}';`,
      ]) {
        expect(sut.exec(text)?.[1]).toBe(secret);
      }
      expect(sut.exec(`${secret}x`)).toBeNull();
      expect(sut.exec(`x${secret}`)).toBeNull();
      expect(sut.exec(secret.slice(0, -1))).toBeNull();
    }
  });

  it('gives the scanners of another TOKEN_PREFIX its own pattern', () => {
    const { secret } = mintSecret('acme');
    expect(new RegExp(scannerPattern('acme')).exec(`TOKEN_${secret}`)?.[1]).toBe(secret);
    expect(new RegExp(scannerPattern('lk')).exec(secret)).toBeNull();
  });
});

describe(isImportedKeyShape.name, () => {
  const { secret } = mintSecret('lk');
  const badChecksum = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;

  it.each([
    ["another service's key", true, 'sk_live_51H8xYzAbCdEf'],
    ['a uuid', true, '6f1d2c3b-4a59-4e8f-9d7c-1b2a3c4d5e6f'],
    ['256 printable characters', true, 'k'.repeat(256)],
    ['257 characters', false, 'k'.repeat(257)],
    ['a space', false, 'sk live'],
    ['a control character', false, 'sk\u0001live'],
    ['non-ASCII', false, 'sk_live_é'],
    ['empty', false, ''],
    // An imported key may look like Latchkey's own; `ImportedKeys` refuses one where none was imported.
    ['a Latchkey token with a bad checksum', true, badChecksum],
    ["GitHub's classic shape", true, `ghp_${'aB3'.repeat(12)}`],
  ])('%s: looked up %s', (_case, taken, candidate) => {
    expect(isImportedKeyShape(candidate)).toBe(taken);
  });
});
