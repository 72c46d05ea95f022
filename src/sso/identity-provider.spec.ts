import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError } from '../config/load-config';
import { readClientSecret, vouched } from './identity-provider';
import { SsoError } from './sso-error';

describe(vouched.name, () => {
  it('reads the email lowercased, the verified flag only when it is true, and the groups bounded', () => {
    const groups = [...Array.from({ length: 250 }, (_, i) => `g${i}`), 'x'.repeat(257), 7];
    const sut = vouched({ email: 'Dev@Acme.TEST', email_verified: 'true', teams: groups }, 'teams');
    expect(sut.email).toBe('dev@acme.test');
    expect(sut.emailVerified).toBe(false);
    expect(sut.groups).toHaveLength(200);
    expect(vouched({ email: 'a@b', email_verified: true, groups: 'one' }, 'groups')).toEqual({
      email: 'a@b',
      emailVerified: true,
      groups: ['one'],
    });
  });

  it.each([undefined, 42, 'no-at-sign', 'a b@c', 'a\r\n@b', `${'a'.repeat(250)}@b.test`])(
    'refuses the email %p',
    (email) => {
      expect(() => vouched({ email, email_verified: true }, 'groups')).toThrow(SsoError);
    },
  );
});

describe(readClientSecret.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-secret-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file trimmed, and is null without one', () => {
    writeFileSync(join(dir, 'ok'), '  s3cret\n');
    expect(readClientSecret({ OIDC_CLIENT_SECRET_FILE: join(dir, 'ok') })).toBe('s3cret');
    expect(readClientSecret({})).toBeNull();
  });

  it('fails as a bad variable does for a missing or empty file, naming the variable', () => {
    writeFileSync(join(dir, 'empty'), '\n');
    for (const file of [join(dir, 'missing'), join(dir, 'empty')]) {
      expect(() => readClientSecret({ OIDC_CLIENT_SECRET_FILE: file })).toThrow(
        ConfigValidationError,
      );
      try {
        readClientSecret({ OIDC_CLIENT_SECRET_FILE: file });
      } catch (e) {
        expect((e as ConfigValidationError).problems[0]).toMatch(/^OIDC_CLIENT_SECRET_FILE: /);
      }
    }
  });
});
