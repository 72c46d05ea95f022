import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSecret, isWellFormedSecret, mintSecret, newJti, previewOf } from './token-secret';

/** The pattern the README gives secret scanners: the code block after "scanners (gitleaks". */
function readmeScannerPattern(): RegExp {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const after = readme.slice(readme.indexOf('scanners (gitleaks'));
  const block = /```\n(.+)\n```/.exec(after);
  if (!block) throw new Error('README: no pattern after "scanners (gitleaks"');
  return new RegExp(block[1]);
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

  it('is found by the README’s scanner pattern wherever it is pasted, and nothing else is', () => {
    const sut = readmeScannerPattern();
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
      expect(sut.exec(secret.slice(0, -1))).toBeNull();
    }
  });
});
