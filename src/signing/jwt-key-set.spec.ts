import { createECDH, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { ConfigValidationError } from '../config/load-config';
import {
  currentKey,
  formatJwtKeySet,
  jwkThumbprint,
  JwtSigningKey,
  listedKeys,
  MAX_KEYS,
  newJwtSigningKey,
  parseJwtKeySet,
  publicJwk,
} from './jwt-key-set';

const T = Date.parse('2030-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const key = (activeFrom: number): JwtSigningKey => newJwtSigningKey(activeFrom);

/** The message of what `parse` throws, checked to hold none of `secrets`. */
function refusal(text: string, secrets: string[]): string {
  let message = '';
  try {
    parseJwtKeySet('JWT_SIGNING_KEYS', text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigValidationError);
    message = (e as Error).message;
  }
  expect(message).toContain('JWT_SIGNING_KEYS: ');
  for (const secret of secrets) {
    expect(message).not.toContain(secret);
    expect(message).not.toContain(secret.slice(0, 12));
  }
  return message;
}

describe(parseJwtKeySet.name, () => {
  it('reads back what formatJwtKeySet writes, key for key', () => {
    const keys = [key(T - HOUR), key(T)];
    const sut = parseJwtKeySet('here', formatJwtKeySet(keys));
    expect(sut).toEqual(keys);
  });

  it('takes a key with use "sig", and keeps only the members it knows', () => {
    const [one] = [key(T)];
    expect(parseJwtKeySet('here', JSON.stringify({ keys: [{ ...one, use: 'sig' }] }))).toEqual([
      one,
    ]);
  });

  it.each([
    ['malformed JSON', (k: JwtSigningKey) => `{"keys":[{"d":"${k.d}"`, /: not JSON$/],
    ['no keys member', () => JSON.stringify({ key: [] }), /not a key set/],
    ['an empty set', () => JSON.stringify({ keys: [] }), /not a key set/],
    [
      'a member besides keys',
      (k: JwtSigningKey) => JSON.stringify({ keys: [k], x: 1 }),
      /not a key set/,
    ],
    [
      `over ${MAX_KEYS} keys`,
      (k: JwtSigningKey) => JSON.stringify({ keys: Array(MAX_KEYS + 1).fill(k) }),
      /not a key set/,
    ],
    ['a key that is a string', (k: JwtSigningKey) => JSON.stringify({ keys: [k.d] }), /not a JWK/],
    [
      'the wrong curve',
      (k: JwtSigningKey) => formatJwtKeySet([{ ...k, crv: 'P-384' as 'P-256' }]),
      /not an EC P-256 key/,
    ],
    [
      'an RSA key',
      (k: JwtSigningKey) => formatJwtKeySet([{ ...k, kty: 'RSA' as 'EC' }]),
      /not an EC P-256 key/,
    ],
    [
      'the wrong alg',
      (k: JwtSigningKey) => formatJwtKeySet([{ ...k, alg: 'ES384' as 'ES256' }]),
      /alg must be "ES256"/,
    ],
    [
      'use "enc"',
      (k: JwtSigningKey) => JSON.stringify({ keys: [{ ...k, use: 'enc' }] }),
      /use must be "sig"/,
    ],
    [
      'no private part',
      (k: JwtSigningKey) => formatJwtKeySet([{ ...k, d: undefined as unknown as string }]),
      /the private part \(d\) is missing/,
    ],
    [
      'a private part of another key',
      (k: JwtSigningKey) => formatJwtKeySet([{ ...k, d: key(T).d }]),
      /d is not the private key of this x and y/,
    ],
    [
      'a point off the curve',
      (k: JwtSigningKey) => formatJwtKeySet([{ ...k, x: k.y, y: k.x }]),
      /d is not the private key/,
    ],
    [
      'a short coordinate',
      (k: JwtSigningKey) => formatJwtKeySet([{ ...k, x: k.x.slice(1) }]),
      /x must be 32 bytes/,
    ],
    ['no kid', (k: JwtSigningKey) => formatJwtKeySet([{ ...k, kid: '' }]), /kid must be 1 to 128/],
    [
      'an active_from that is no instant',
      (k: JwtSigningKey) => formatJwtKeySet([{ ...k, active_from: 'tomorrow' }]),
      /active_from must be an ISO instant/,
    ],
    [
      'an active_from with a zone offset',
      (k: JwtSigningKey) => formatJwtKeySet([{ ...k, active_from: '2030-01-01T00:00:00+01:00' }]),
      /active_from must be an ISO instant/,
    ],
    [
      'an unknown member',
      (k: JwtSigningKey) => JSON.stringify({ keys: [{ ...k, p: 'x' }] }),
      /unknown member\(s\) p/,
    ],
  ])('refuses %s, naming the variable and no key material', (_title, make, expected) => {
    const k = key(T);
    expect(refusal(make(k), [k.d])).toMatch(expected);
  });

  it('refuses a key of another curve as it comes from node', () => {
    // Made with ECDH, not generateKeyPairSync and a JWK export, which can deadlock Node 20
    // (newJwtSigningKey says how).
    const ecdh = createECDH('secp384r1');
    const point = ecdh.generateKeys();
    const scalar = ecdh.getPrivateKey();
    const jwk = {
      kty: 'EC',
      crv: 'P-384',
      x: point.subarray(1, 49).toString('base64url'),
      y: point.subarray(49).toString('base64url'),
      d: Buffer.concat([Buffer.alloc(48 - scalar.length), scalar]).toString('base64url'),
    };
    const text = JSON.stringify({
      keys: [{ ...jwk, kid: 'p384', alg: 'ES256', active_from: new Date(T).toISOString() }],
    });
    expect(refusal(text, [jwk.d])).toMatch(/keys\[0\] \(kid p384\): not an EC P-256 key/);
  });

  it('refuses two keys under one kid, and one key under two kids', () => {
    const [a, b] = [key(T - HOUR), key(T)];
    expect(refusal(formatJwtKeySet([a, { ...b, kid: a.kid }]), [a.d, b.d])).toMatch(
      `keys[1]: kid ${a.kid} is also keys[0]'s`,
    );
    expect(refusal(formatJwtKeySet([a, { ...a, kid: 'again' }]), [a.d])).toMatch(
      'keys[1] (kid again): the same key as keys[0]',
    );
  });

  it('names every bad key at once', () => {
    const [a, b] = [key(T), key(T)];
    const message = refusal(
      formatJwtKeySet([
        { ...a, alg: 'none' as 'ES256' },
        { ...b, crv: 'P-521' as 'P-256' },
      ]),
      [a.d, b.d],
    );
    expect(message).toContain(`keys[0] (kid ${a.kid}): alg`);
    expect(message).toContain(`keys[1] (kid ${b.kid}): not an EC P-256 key`);
  });
});

describe(newJwtSigningKey.name, () => {
  it('makes a P-256 key whose kid is its RFC 7638 thumbprint, as jose computes it', async () => {
    const sut = newJwtSigningKey(T);
    expect(sut).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(sut.active_from).toBe('2030-06-01T12:00:00.000Z');
    expect(sut.kid).toBe(
      await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: sut.x, y: sut.y }),
    );
    expect(jwkThumbprint(sut)).toBe(sut.kid);
  });

  it('writes d whole, 32 bytes, when the private scalar begins with a zero byte; it signs', () => {
    // One key in 256 has such a scalar; 10,000 tries miss one about once in 10^17.
    let sut: JwtSigningKey | undefined;
    for (let i = 0; i < 10_000 && !sut; i++) {
      const made = newJwtSigningKey(T);
      if (Buffer.from(made.d, 'base64url')[0] === 0) sut = made;
    }
    expect(sut).toBeDefined();
    expect(Buffer.from(sut!.d, 'base64url')).toHaveLength(32);
    expect(parseJwtKeySet('here', formatJwtKeySet([sut!]))).toEqual([sut]);
    const { kty, crv, x, y, d } = sut!;
    const signature = sign('sha256', Buffer.from('m'), {
      key: createPrivateKey({ key: { kty, crv, x, y, d }, format: 'jwk' }),
      dsaEncoding: 'ieee-p1363',
    });
    const publicKey = createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' });
    expect(
      verify('sha256', Buffer.from('m'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature),
    ).toBe(true);
  });
});

describe(currentKey.name, () => {
  const [old, now, next] = [key(T - 2 * HOUR), key(T - HOUR), key(T + HOUR)];

  it.each([
    ['before any key is active: the earliest, which every instance lists', T - 3 * HOUR, old],
    ['the instant a key becomes active: that key', T - 2 * HOUR, old],
    ['between two: the later one that has come', T, now],
    ['once the next one is active', T + HOUR, next],
  ])('%s', (_title, at, expected) => {
    // The file's order does not matter, only active_from.
    expect(currentKey([next, old, now], at)).toBe(expected);
    expect(currentKey([old, now, next], at)).toBe(expected);
  });

  it('takes the later in the file of two keys active from one instant', () => {
    const [a, b] = [key(T), key(T)];
    expect(currentKey([a, b], T)).toBe(b);
    expect(currentKey([b, a], T)).toBe(a);
  });
});

describe(listedKeys.name, () => {
  const WINDOW = 168 * HOUR;
  const [a, b, c] = [key(T - 300 * HOUR), key(T - 200 * HOUR), key(T + HOUR)];
  const kids = (keys: JwtSigningKey[]) => keys.map((k) => k.kid);

  it.each([
    ['the current key and the one not yet active; a replaced past the window is not', T, [b, c]],
    ['the one replaced within the window', T - 200 * HOUR + WINDOW - 1, [a, b, c]],
    ['not at the window’s end', T - 200 * HOUR + WINDOW, [b, c]],
    ['the replaced one, once the pending one is active', T + HOUR, [b, c]],
    ['the current alone once the window has passed', T + HOUR + WINDOW, [c]],
    ['every key when none is active yet', T - 400 * HOUR, [a, b, c]],
  ])('lists %s', (_title, at, expected) => {
    expect(kids(listedKeys([c, a, b], at, WINDOW))).toEqual(kids(expected));
  });
});

describe(publicJwk.name, () => {
  it('holds the public members alone, never d', () => {
    const k = key(T);
    const sut = publicJwk(k);
    expect(Object.keys(sut).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(JSON.stringify(sut)).not.toContain(k.d);
  });
});
