import { createHash } from 'node:crypto';
import { loggableError, redactSecrets, redactUrl } from './safe-error';

describe(redactSecrets.name, () => {
  it('masks token secrets and SHA-256 hashes', () => {
    // A token's shape (prefix, 36 base62) and its SHA-256, without importing tokens.
    const secret = `lk_${'aB3'.repeat(12)}`;
    const hash = createHash('sha256').update(secret).digest('hex');
    const sut = redactSecrets(`token ${secret} hash ${hash} ok`);
    expect(sut).toBe('token [REDACTED] hash [REDACTED] ok');
  });

  it('keeps ordinary text, uuids and jtis', () => {
    const text = 'token 0d9f7a52-7c1e-4f0b-9f7e-2b1f6a3c9d10 jti 4f9c2a7d1e0b4c6a8f3e2d1c0b9a8f7e';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe(loggableError.name, () => {
  it('keeps only name, code, message and stack: never query parameters', () => {
    const err = Object.assign(new Error('boom'), { code: 'X1', parameters: ['a'.repeat(64)] });
    const sut = loggableError(err);
    expect(Object.keys(sut).sort()).toEqual(['code', 'message', 'stack', 'type']);
    expect(JSON.stringify(sut)).not.toContain('a'.repeat(64));
  });
});

describe(redactUrl.name, () => {
  const secret = `lk_${'A1b2C3d4E5'.repeat(3)}abcdef`;

  it.each([
    [`/x?access_token=${secret}&a=1`, '/x?access_token=[REDACTED]&a=1'],
    [`/x?token=short&b=2`, '/x?token=[REDACTED]&b=2'],
    [`/x?Access%5Ftoken=opaque`, '/x?Access%5Ftoken=[REDACTED]'],
    [`/x?q=${secret}`, '/x?q=[REDACTED]'],
    [`/tokens/${secret}`, '/tokens/[REDACTED]'],
    [`http://h:1/x?password=p#frag`, 'http://h:1/x?password=[REDACTED]#frag'],
    ['/auth/sso/callback?code=Xy9&state=s', '/auth/sso/callback?code=[REDACTED]&state=s'],
    ['/plain?limit=5', '/plain?limit=5'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});
