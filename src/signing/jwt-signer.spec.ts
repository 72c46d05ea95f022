import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  importJWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { loadConfig } from '../config/load-config';
import { formatJwtKeySet, JwtSigningKey, newJwtSigningKey } from './jwt-key-set';
import { JwtSigner } from './jwt-signer';

const T = Date.parse('2030-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const TYP = 'statuslist+jwt';

/** A signer over `keys` (from JWT_SIGNING_KEYS), its clock at `now`. */
function signerOf(keys: JwtSigningKey[], now: number, env: Record<string, string> = {}) {
  const sut = new JwtSigner(loadConfig({ JWT_SIGNING_KEYS: formatJwtKeySet(keys), ...env }));
  sut.clock = () => now;
  return sut;
}

/** Verifies `jwt` against `jwks` as a relying party would: ES256, the typ it expects. */
function verify(jwt: string, jwks: { keys: object[] }) {
  return jwtVerify(jwt, createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]), {
    algorithms: ['ES256'],
    typ: TYP,
  });
}

const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid;

describe(JwtSigner.name, () => {
  const [old, current, next] = [
    newJwtSigningKey(T - 2 * HOUR),
    newJwtSigningKey(T - HOUR),
    newJwtSigningKey(T + HOUR),
  ];

  it('signs a compact ES256 JWS that verifies against its own JWKS', async () => {
    const sut = signerOf([current], T);
    await sut.onModuleInit();
    const payload = { sub: 'https://latchkey.example.com/statuslists/1', iat: 1, status_list: {} };
    const jwt = await sut.sign({ typ: TYP }, payload);
    expect(jwt.split('.')).toHaveLength(3);
    const { payload: verified, protectedHeader } = await verify(jwt, sut.jwks());
    expect(protectedHeader).toEqual({ typ: TYP, alg: 'ES256', kid: current.kid });
    expect(verified).toEqual(payload);
  });

  it('keeps its own alg and kid whatever the header asks for, and keeps the rest', async () => {
    const sut = signerOf([current], T);
    const jwt = await sut.sign({ typ: TYP, alg: 'none', kid: 'other', cty: 'x' }, {});
    expect(decodeProtectedHeader(jwt)).toEqual({
      typ: TYP,
      alg: 'ES256',
      kid: current.kid,
      cty: 'x',
    });
  });

  it('signs with the latest key whose active_from has come', async () => {
    const sut = signerOf([next, old, current], T);
    expect(kidOf(await sut.sign({ typ: TYP }, {}))).toBe(current.kid);
    sut.clock = () => T + HOUR;
    expect(kidOf(await sut.sign({ typ: TYP }, {}))).toBe(next.kid);
    sut.clock = () => T - 2 * HOUR + 1;
    expect(kidOf(await sut.sign({ typ: TYP }, {}))).toBe(old.kid);
  });

  it('lists a key before it signs, so a JWKS fetched then verifies what it signs', async () => {
    const sut = signerOf([current, next], T);
    const fetchedEarly = sut.jwks();
    expect(fetchedEarly.keys.map((k) => k.kid)).toEqual([current.kid, next.kid]);
    sut.clock = () => T + HOUR;
    const jwt = await sut.sign({ typ: TYP }, {});
    expect(kidOf(jwt)).toBe(next.kid);
    await expect(verify(jwt, fetchedEarly)).resolves.toBeDefined();
  });

  it('lists a replaced key for JWT_SIGNING_KEY_RETIRED_LISTED_HOURS, then drops it', async () => {
    const sut = signerOf([current, next], T, { JWT_SIGNING_KEY_RETIRED_LISTED_HOURS: '2' });
    const signedByOld = await sut.sign({ typ: TYP }, {});
    sut.clock = () => T + 3 * HOUR - 1;
    await expect(verify(signedByOld, sut.jwks())).resolves.toBeDefined();
    sut.clock = () => T + 3 * HOUR;
    expect(sut.jwks().keys.map((k) => k.kid)).toEqual([next.kid]);
    await expect(verify(signedByOld, sut.jwks())).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
  });

  it('refuses a JWT signed with a key its JWKS does not hold', async () => {
    const sut = signerOf([current], T);
    const stranger = signerOf([newJwtSigningKey(T - HOUR)], T);
    const jwt = await stranger.sign({ typ: TYP }, {});
    await expect(verify(jwt, sut.jwks())).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
  });

  it('refuses a JWT that names its kid but was signed with another key', async () => {
    const sut = signerOf([current], T);
    const other = newJwtSigningKey(T);
    const { kty, crv, x, y, d } = other;
    const forged = await new SignJWT({})
      .setProtectedHeader({ typ: TYP, alg: 'ES256', kid: current.kid })
      .sign(await importJWK({ kty, crv, x, y, d }, 'ES256'));
    await expect(verify(forged, sut.jwks())).rejects.toBeInstanceOf(
      errors.JWSSignatureVerificationFailed,
    );
  });

  it('never publishes a private part', () => {
    const keys = [old, current, next];
    const sut = signerOf(keys, T);
    const published = JSON.stringify(sut.jwks());
    for (const key of sut.jwks().keys) expect(key).not.toHaveProperty('d');
    for (const key of keys) expect(published).not.toContain(key.d);
    expect(sut.jwks().keys[0]).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: old.x,
      y: old.y,
      kid: old.kid,
      alg: 'ES256',
      use: 'sig',
    });
  });

  it('signs nothing without keys (a CLI run on PostgreSQL with none), and lists none', async () => {
    const sut = new JwtSigner(loadConfig({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }));
    expect(sut.jwks()).toEqual({ keys: [] });
    await expect(sut.sign({ typ: TYP }, {})).rejects.toThrow('no JWT signing keys');
  });
});
