import fc from 'fast-check';
import { base62, checksumOf, containsSecret, previewOf, redactTokens } from './secret-shape';
import { redactSecrets } from '../errors/safe-error';
import {
  b64,
  FORMS_NOT_LOOKED_FOR,
  percent,
  SECRET_ENCODINGS as ENCODINGS,
} from '../../../test/harness/app/secret-encodings';

/** A well-formed token (its checksum holds), without importing tokens. */
function token(prefix = 'lk', seed = 7): string {
  let random = '';
  for (let i = 0; i < 30; i++) random += base62((seed * 31 + i * 17) % 62, 1);
  return `${prefix}_${random}${checksumOf(random)}`;
}

describe(containsSecret.name, () => {
  it.each(ENCODINGS)('finds a live token %s, alone and inside text', (_how, encode) => {
    const secret = token();
    expect(containsSecret(encode(secret))).toBe(true);
    expect(containsSecret(`see ${encode(secret)} here`)).toBe(true);
  });

  it.each(ENCODINGS)('takes a look-alike %s (its checksum is wrong)', (_how, encode) => {
    const secret = token();
    const lookAlike = secret.slice(0, -1) + (secret.endsWith('0') ? '1' : '0');
    expect(containsSecret(encode(lookAlike))).toBe(false);
  });

  // Out of scope, and so documented (docs/security.md).
  it.each(FORMS_NOT_LOOKED_FOR)('does not look for a token %s', (_how, encode) => {
    expect(containsSecret(encode(token()))).toBe(false);
  });

  it('finds nothing in text that holds no token (fast-check, fixed seed)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => !containsSecret(text)),
      { seed: 4242, numRuns: 2000 },
    );
  });

  it('finds a token wherever an encoding of it stands in other text (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ENCODINGS),
        fc.string({ maxLength: 80 }),
        fc.string({ maxLength: 80 }),
        ([, encode], before, after) =>
          containsSecret(`${before} ${encode(token('lk', before.length))} ${after}`),
      ),
      { seed: 4242, numRuns: 1000 },
    );
  });

  // Linear, so well within a second of CPU; a quadratic scan of 64 KiB would take minutes. CPU
  // time, not the wall clock, which other work on the machine would stretch.
  it('stays linear on hostile text: 64 KiB of base64 and escapes within a second', () => {
    const texts = [
      'aB3+/'.repeat(13_000),
      '%41'.repeat(22_000),
      b64('%41'.repeat(16_000)),
      `${'\\'.repeat(65_000)}u0041`,
      '%'.repeat(65_000),
    ];
    for (const text of texts) {
      const started = process.cpuUsage();
      expect(containsSecret(text)).toBe(false);
      const spent = process.cpuUsage(started);
      expect((spent.user + spent.system) / 1000).toBeLessThan(1000);
    }
  });
});

describe(redactTokens.name, () => {
  it.each(ENCODINGS)(
    'masks a live token %s where it stands, and keeps the rest',
    (_how, encode) => {
      const secret = token();
      const sut = redactTokens(`before ${encode(secret)} after`);
      expect(containsSecret(sut)).toBe(false);
      expect(sut).not.toContain(secret.slice(3, 33));
      expect(sut.startsWith('before ')).toBe(true);
      expect(sut.endsWith(' after')).toBe(true);
    },
  );

  it('shows a token written as is by its preview, and an encoded one as [REDACTED]', () => {
    const secret = token();
    expect(redactTokens(`a ${secret} b`)).toBe(`a ${previewOf(secret)} b`);
    expect(redactTokens(`a ${b64(secret)} b`)).toBe('a [REDACTED] b');
  });

  it('keeps look-alikes, unless told to mask shapes as logs do', () => {
    const lookAlike = `lk_${'A'.repeat(36)}`;
    expect(redactTokens(`x ${lookAlike}`)).toBe(`x ${lookAlike}`);
    expect(redactTokens(`x ${b64(lookAlike)}`, { shapes: true })).toBe('x [REDACTED]');
  });

  it.each([
    ['as written', (s: string) => s],
    ['in base64', b64],
    ['percent-encoded', percent],
  ])('masks a token cut short %s at the end of a clipped text', (_how, encode) => {
    const secret = token();
    const encoded = encode(secret);
    for (const kept of [0.9, 0.75, 0.6]) {
      const cut = `{"error":"${encoded.slice(0, Math.floor(encoded.length * kept))}`;
      const sut = redactTokens(cut, { clipped: true });
      expect(sut).toMatch(/\[REDACTED\]$/);
      expect(sut).not.toContain(secret.slice(3, 15));
    }
  });

  it('leaves the end of a text that was not cut as it is', () => {
    const text = `id run_${'x'.repeat(20)}`;
    expect(redactTokens(text)).toBe(text);
  });
});

describe(redactSecrets.name, () => {
  it.each(ENCODINGS)('masks a token-shaped text %s, checksum or not', (_how, encode) => {
    const shaped = `lk_${'Ab9'.repeat(12)}`;
    expect(redactSecrets(`ua ${encode(shaped)} x`)).not.toContain(encode(shaped));
    expect(redactSecrets(`ua ${encode(shaped)} x`)).toContain('[REDACTED]');
  });
});
