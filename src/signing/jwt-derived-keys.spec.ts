import { loadConfig } from '../config/load-config';
import { formatJwtKeySet, newJwtSigningKey } from './jwt-key-set';
import { JwtDerivedKeys } from './jwt-derived-keys';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const HOUR = 3_600_000;

describe(JwtDerivedKeys.name, () => {
  const first = newJwtSigningKey(T0);
  const second = newJwtSigningKey(T0 + HOUR);
  const withKeys = (...keys: ReturnType<typeof newJwtSigningKey>[]) =>
    new JwtDerivedKeys(loadConfig({ JWT_SIGNING_KEYS: formatJwtKeySet(keys) }));

  it('derives the same 32 bytes on every instance with the same key set', () => {
    const sut = withKeys(first, second);
    const key = sut.derive('latchkey test v1', T0 + 1);
    expect(key).toHaveLength(32);
    expect(withKeys(first, second).derive('latchkey test v1', T0 + 1)).toEqual(key);
  });

  it('derives one key per purpose, none of them the signing key itself', () => {
    const sut = withKeys(first);
    const a = sut.derive('latchkey a v1', T0);
    expect(sut.derive('latchkey b v1', T0)).not.toEqual(a);
    expect(a).not.toEqual(Buffer.from(first.d, 'base64url'));
  });

  it('follows the key that signs at the instant asked about, across a rotation', () => {
    const sut = withKeys(first, second);
    const before = sut.derive('p', T0 + HOUR - 1);
    expect(before).toEqual(withKeys(first).derive('p', T0 + HOUR - 1));
    expect(sut.derive('p', T0 + HOUR)).toEqual(withKeys(second).derive('p', T0 + HOUR));
    expect(sut.derive('p', T0 + HOUR)).not.toEqual(before);
  });

  it('refuses to derive without keys (a CLI run, which needs none)', () => {
    const sut = new JwtDerivedKeys(loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/none' }));
    expect(() => sut.derive('p', T0)).toThrow('no JWT signing keys');
  });
});
