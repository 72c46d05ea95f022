import { createPublicKey, verify } from 'node:crypto';
import { PLATFORM_CHAIN } from '../../audit/audit-entry';
import { KEY_ID_HEADER, signedHeaders } from './webhook-signature';
import { deriveSeed, kidOf, parseKid, WebhookSigningKey } from './webhook-signing-key';

/** The installation key of the vectors: the bytes 0 to 31. */
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const A = '3f0e5a0c-1f3e-4b2d-9c8a-7e6f5d4c3b2a';
const B = '0b5c9a4e-7d21-4f3a-8e6b-2c1d0f9e8a7b';
const MSG = { id: 'msg_0123456789abcdef0123456789abcdef', ts: '1767225600' };
const BODY = '{"type":"webhook.test"}';

/**
 * Published vectors: a change to the derivation (salt, info, its order or separators) changes
 * every business's key, and every receiver's pin with it, so it must fail here first. Checked
 * against an implementation of their own: Python's hmac (HKDF by hand, RFC 5869) and
 * `cryptography`'s Ed25519.
 */
const VECTORS = [
  {
    kid: `${A}.0`,
    chain: A,
    generation: 0,
    seed: '36f872930d7831f4e1240e142389a0d8ca0551d2d902a032909f3f17c430c100',
    publicKey: 'whpk_3RW2IpS97cu7ffSvkWUDwecTumIixTGDFQO/N5xdJyA=',
    signature:
      'v1a,ML6uUQNCuXvuVc9D6indf5Vd7artiL8BwgDXgAY58c5hAgfLY+w/k3jq1e9hc9jUA6p390AspViJ1lZX5Z0zCw==',
  },
  {
    kid: `${A}.1`,
    chain: A,
    generation: 1,
    seed: '78c65e89887f9a5b1ff693d1a8ca72b89405c7d0edb8176a1d02c28eaf0bc2dd',
    publicKey: 'whpk_kh5xe1oMVrxOFKPx+TRzGKSS6Vjzuo8P+vJJ3Yrqfe8=',
    signature:
      'v1a,PQ6/QCQMYQv/SPRHny7czAcomedu2jxOSIl21INp4qLDWpSa3W/WzLpIvII84xKfpHO33xIpYWkU8Q0b1gVkBA==',
  },
  {
    kid: `${B}.0`,
    chain: B,
    generation: 0,
    seed: '009484d25e710fa6042559e43fdc6f713d5f5f9a79f68e41c529e9ddbc5a3f97',
    publicKey: 'whpk_Zp0SVFtBeOHGh1+CvNE3yZeq/AfCMbTXrepLENfTv3M=',
    signature:
      'v1a,sYtj2ofOnm/Y4PRhSsaUVJzQ9b4iZdEQz8aPXXo0S62X4ulGK5AumuTXFIMy3bilt4iVfELfxuENfBbPGiufCg==',
  },
  {
    kid: `${PLATFORM_CHAIN}.0`,
    chain: PLATFORM_CHAIN,
    generation: 0,
    seed: '539adfad6112e092d1ca1bb9b73f9bba7a67de73355a290407b5fe7fead04211',
    publicKey: 'whpk_BsIHYbe6Rtb6RK/vj1XshrFwcHCeMEncN40MIrJBVb8=',
    signature:
      'v1a,cmoYj6FxUcugKS1Nx3iuxA0nXY5OeS0zVNo4XLZQWjlaKGRnDj3echFhI46BYM0Ij8wZ2CYRP0ebLk1+hupmAA==',
  },
];

/** Verifies as a receiver does: the served `whpk_` text, and node's Ed25519. */
function verifies(publicKeyText: string, signature: string, body = BODY): boolean {
  const raw = Buffer.from(publicKeyText.slice('whpk_'.length), 'base64');
  const key = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]),
    format: 'der',
    type: 'spki',
  });
  const signed = Buffer.from(`${MSG.id}.${MSG.ts}.${body}`);
  return verify(null, signed, key, Buffer.from(signature.slice('v1a,'.length), 'base64'));
}

describe(WebhookSigningKey.name, () => {
  it.each(VECTORS)('derives $kid as published', (v) => {
    const sut = new WebhookSigningKey(KEY, v.chain, v.generation);
    expect({
      kid: sut.kid,
      seed: deriveSeed(KEY, v.chain, v.generation).toString('hex'),
      publicKey: sut.publicKeyText,
      signature: sut.sign(MSG.id, MSG.ts, BODY),
    }).toEqual({
      kid: v.kid,
      seed: v.seed,
      publicKey: v.publicKey,
      signature: v.signature,
    });
  });

  it('gives every chain and generation its own key', () => {
    const keys = VECTORS.map((v) => v.publicKey);
    expect(new Set(keys).size).toBe(keys.length);
    const other = new WebhookSigningKey(Buffer.alloc(32, 9), A, 0);
    expect(keys).not.toContain(other.publicKeyText);
  });

  it.each(VECTORS.flatMap((signer) => VECTORS.map((key) => ({ signer, key }))))(
    "verifies $signer.kid's message under $key.kid's key only if they are one",
    ({ signer, key }) => {
      expect(verifies(key.publicKey, signer.signature)).toBe(signer === key);
    },
  );

  it('fails a changed body under its own key', () => {
    const [v] = VECTORS;
    expect(verifies(v.publicKey, v.signature)).toBe(true);
    expect(verifies(v.publicKey, v.signature, `${BODY} `)).toBe(false);
  });

  it.each([
    ['', 0],
    [A.toUpperCase(), 0],
    [`${A}x`, 0],
    ['platforms', 0],
    [A, -1],
    [A, 1.5],
    [A, 1_000_000_000],
  ])('refuses to derive for chain %j, generation %j', (chain, generation) => {
    expect(() => new WebhookSigningKey(KEY, chain, generation)).toThrow();
  });
});

describe(parseKid.name, () => {
  it.each([
    [`${A}.0`, { chainId: A, generation: 0 }],
    [`${A}.12`, { chainId: A, generation: 12 }],
    ['platform.0', { chainId: PLATFORM_CHAIN, generation: 0 }],
    [`${A}.999999999`, { chainId: A, generation: 999_999_999 }],
    [`${A}.01`, null],
    [`${A}.1000000000`, null],
    [`${A}.-1`, null],
    [`${A}.`, null],
    [A, null],
    [`${A.toUpperCase()}.0`, null],
    [`${A}.0 `, null],
    [` ${A}.0`, null],
    [`${A}.0\n`, null],
    [`${A}.0.0`, null],
    [`${A.replace(/-/g, '')}.0`, null],
    ['platform', null],
    ['Platform.0', null],
    ['3f0e5a0c1f3e9b2d', null],
    ['', null],
  ])('reads %j as %j', (text, named) => {
    expect(parseKid(text)).toEqual(named);
    if (named) expect(kidOf(named.chainId, named.generation)).toBe(text);
  });
});

describe(signedHeaders.name, () => {
  const at = new Date(Number(MSG.ts) * 1000);

  it('signs with each key in use and names them in webhook-key-id, in the same order', () => {
    const now = new WebhookSigningKey(KEY, A, 1);
    const before = new WebhookSigningKey(KEY, A, 0);
    const headers = signedHeaders(MSG.id, at, BODY, [now, before]);
    expect(headers).toEqual({
      'webhook-id': MSG.id,
      'webhook-timestamp': MSG.ts,
      'webhook-signature': `${VECTORS[1].signature} ${VECTORS[0].signature}`,
      [KEY_ID_HEADER]: `${A}.1 ${A}.0`,
    });
  });

  it('names no key for a v1 secret, and sends nothing unsigned', () => {
    const headers = signedHeaders(MSG.id, at, BODY, [
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw0nQ6HVqXKXk=',
    ]);
    expect(Object.keys(headers).sort()).toEqual([
      'webhook-id',
      'webhook-signature',
      'webhook-timestamp',
    ]);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(() => signedHeaders(MSG.id, at, BODY, [])).toThrow();
  });
});
