import { createHash } from 'node:crypto';
import { keyPairSync } from '../fixtures/key-pair';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  type KeyLike,
  jwtVerify,
  SignJWT,
} from 'jose';
import { createBusiness, createToken } from '../factories/tenancy.factory';
import { asBearer, asOwner, listTokens, me } from '../harness/app/api';
import { SECRET_IN_ARGV } from '../../src/cli/grammar/cli-argv';
import { cliInProcess, CliResult, ok } from '../harness/app/cli';
import { asDpop, DPOP_BASE, dpopProof } from '../harness/app/dpop';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * `dpop keygen`, a client's key pair for tokens bound to a key (RFC 9449), and the flow it starts:
 * its jkt given to `tokens create --dpop-jkt` makes a token that only a proof of the written key
 * can use; `dpop proof` signs, with that key, the proof a curl user sends with it. Every case runs
 * the CLI in-process (the exit code is runCli's answer, as main.ts exits with it); neither opens
 * a database, so their cases run with none there to open.
 */
jest.setTimeout(240_000);

interface Answer {
  file: string;
  alg: string;
  jwk: JWK;
  jkt: string;
}

/** No database anywhere: `dpop` must not open one. */
const OFFLINE = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'cli-dpop-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let made = 0;
const fresh = () => join(dir, `key-${++made}.jwk`);

/** Every member name anywhere in a JSON value: the private `d` must be none of them. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]);
}

async function keygen(args: string[], env: Record<string, string> = OFFLINE) {
  const run = await cliInProcess(['dpop', 'keygen', ...args], env);
  return { run, answer: run.code === 0 ? (JSON.parse(run.stdout) as Answer) : null };
}

/** The private JWK the file holds, and that key as jose signs with it. */
async function keyIn(file: string): Promise<{ jwk: JWK; privateKey: KeyLike }> {
  const jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  return { jwk, privateKey: (await importJWK(jwk)) as KeyLike };
}

const refusal = (run: CliResult) => ({ code: run.code, stdout: run.stdout });

describe('cli dpop keygen', () => {
  it.each(['ES256', 'EdDSA'])(
    '%s: writes the private JWK alone to a 0600 file, and prints its public half and thumbprint',
    async (alg) => {
      const out = fresh();
      const { run, answer } = await keygen(['--alg', alg, '--out', out]);
      expect(run.code).toBe(0);
      expect(answer).toEqual({
        file: out,
        alg,
        jwk: expect.any(Object) as JWK,
        jkt: expect.any(String) as string,
      });
      expect(statSync(out).mode & 0o777).toBe(0o600);
      const { jwk: secret, privateKey } = await keyIn(out);
      expect(secret).toMatchObject({ ...answer!.jwk, alg, d: expect.any(String) as string });
      expect(await calculateJwkThumbprint(secret, 'sha256')).toBe(answer!.jkt);
      expect(await calculateJwkThumbprint(answer!.jwk, 'sha256')).toBe(answer!.jkt);
      // The printed key verifies what the written one signs: they are one pair.
      const signed = await new SignJWT({ probe: true })
        .setProtectedHeader({ alg })
        .sign(privateKey);
      await expect(jwtVerify(signed, await importJWK(answer!.jwk, alg))).resolves.toBeDefined();
      // Nothing printed, on stdout or stderr, holds the private key.
      expect(keysOf(answer)).not.toContain('d');
      expect(run.stdout + run.stderr).not.toContain(secret.d);
      expect(run.stderr).toContain('--dpop-jkt');
    },
  );

  it('makes ES256 when no --alg is given, and a new key each time', async () => {
    const first = await keygen(['--out', fresh()]);
    const second = await keygen(['--out', fresh()]);
    expect(first.answer).toMatchObject({ alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } });
    expect(second.answer!.jkt).not.toBe(first.answer!.jkt);
  });

  it('refuses to overwrite a file, whatever it holds: exit 2, the file named and left as it was', async () => {
    const out = fresh();
    const first = await keygen(['--out', out]);
    const before = readFileSync(out, 'utf8');
    const again = await keygen(['--alg', 'EdDSA', '--out', out]);
    expect(refusal(again.run)).toEqual({ code: 2, stdout: '' });
    expect(again.run.stderr).toBe(
      `Refusing to overwrite ${out}: it exists (a token may be bound to its key); give --out a new file\n`,
    );
    expect(readFileSync(out, 'utf8')).toBe(before);
    expect(await calculateJwkThumbprint((await keyIn(out)).jwk)).toBe(first.answer!.jkt);

    const other = join(dir, 'notes.txt');
    writeFileSync(other, 'not a key\n');
    expect(refusal((await keygen(['--out', other])).run)).toEqual({ code: 2, stdout: '' });
    expect(readFileSync(other, 'utf8')).toBe('not a key\n');
  });

  it('names a folder it cannot write to: exit 2', async () => {
    const out = join(dir, 'no-such-folder', 'key.jwk');
    const { run } = await keygen(['--out', out]);
    expect(refusal(run)).toEqual({ code: 2, stdout: '' });
    expect(run.stderr).toBe(`Cannot write --out ${out} (ENOENT)\n`);
  });

  it.each([['RS256'], ['es256'], ['none'], ['HS256'], ['']])(
    'refuses --alg %j with the algorithms it makes, exit 1, and writes nothing',
    async (alg) => {
      const out = fresh();
      const { run } = await keygen(['--alg', alg, '--out', out]);
      expect(refusal(run)).toEqual({ code: 1, stdout: '' });
      expect(run.stderr).toBe('Invalid options:\n  alg: must be ES256 or EdDSA\n');
      expect(existsSync(out)).toBe(false);
    },
  );

  it('needs --out, and takes no argument: exit 1, nothing printed', async () => {
    const missing = await keygen([]);
    expect(refusal(missing.run)).toEqual({ code: 1, stdout: '' });
    expect(missing.run.stderr).toContain("required option '--out <file>' not specified");
    const extra = await keygen(['--out', fresh(), 'ES256']);
    expect(refusal(extra.run)).toEqual({ code: 1, stdout: '' });
    expect(extra.run.stderr).toContain('Too many arguments');
  });
});

/** A secret's shape (`lk_` and 36 base62), which no output may repeat. */
const SECRET = 'lk_T0kenThatMustNeverBePrinted0123456789';
const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');

async function proofCli(args: string[], input = '') {
  return cliInProcess(['dpop', 'proof', ...args], OFFLINE, input);
}

/** A file in the run's folder holding `text`. */
function fileWith(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/** A key keygen wrote: its file, and its answer ({alg, jwk, jkt}). */
async function keyFile(alg: 'ES256' | 'EdDSA' = 'ES256') {
  const { answer } = await keygen(['--alg', alg, '--out', fresh()]);
  return answer!;
}

/** A proof's header and its claims, once its signature holds under the key its header carries. */
async function opened(proof: string) {
  const header = decodeProtectedHeader(proof);
  const key = await importJWK(header.jwk!, header.alg);
  const { payload } = await jwtVerify(proof, key, { typ: 'dpop+jwt' });
  return { header, claims: payload };
}

describe('cli dpop proof', () => {
  it.each(['ES256', 'EdDSA'] as const)(
    '%s: prints one proof alone, for the method and the URL without its query, with ath and the nonce',
    async (alg) => {
      const key = await keyFile(alg);
      const token = fileWith(`token-${alg}.txt`, `${SECRET}\n`);
      const url = 'https://api.example.com/api/v1/me?expand=all#top';
      const args = ['--key', key.file, '--method', 'GET', '--url', url, '--token-file', token];
      const before = Math.floor(Date.now() / 1000);
      const first = await proofCli([...args, '--nonce', 'n-0nce_42']);
      expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
      expect(first.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      const { header, claims } = await opened(first.stdout.trim());
      // The public half alone: what keygen printed, and the thumbprint a token is bound to.
      expect(header).toEqual({ typ: 'dpop+jwt', alg, jwk: key.jwk });
      expect(keysOf(header)).not.toContain('d');
      expect(await calculateJwkThumbprint(header.jwk!)).toBe(key.jkt);
      expect(claims).toEqual({
        jti: expect.any(String) as string,
        htm: 'GET',
        htu: 'https://api.example.com/api/v1/me',
        iat: expect.any(Number) as number,
        ath: hashOf(SECRET),
        nonce: 'n-0nce_42',
      });
      expect(claims.iat).toBeGreaterThanOrEqual(before);
      expect(claims.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
      // Each run is a new proof: a server spends a jti once.
      const second = await proofCli(args);
      const again = (await opened(second.stdout.trim())).claims;
      expect(again.jti).not.toBe(claims.jti);
      expect(again).not.toHaveProperty('nonce');
      expect(first.stdout + first.stderr + second.stdout + second.stderr).not.toContain(SECRET);
    },
  );

  it('reads the token from stdin with --token-file -, and with no token gives no ath (a token request)', async () => {
    const key = await keyFile();
    const base = [
      '--key',
      key.file,
      '--method',
      'POST',
      '--url',
      'http://127.0.0.1:3000/oauth2/token',
    ];
    const piped = await proofCli([...base, '--token-file', '-'], `${SECRET}\r\n`);
    expect((await opened(piped.stdout.trim())).claims).toMatchObject({
      htm: 'POST',
      htu: 'http://127.0.0.1:3000/oauth2/token',
      ath: hashOf(SECRET),
    });
    const dashed = await proofCli([...base, '--token', '-'], `${SECRET}\n`);
    expect((await opened(dashed.stdout.trim())).claims.ath).toBe(hashOf(SECRET));
    const none = await proofCli(base, `${SECRET}\n`);
    expect(none.code).toBe(0);
    expect((await opened(none.stdout.trim())).claims).not.toHaveProperty('ath');
  });

  const NOT_A_KEY = 'is not a private EC P-256 or Ed25519 JWK, as dpop keygen writes:';
  const files: [string, () => string | Promise<string>, string][] = [
    ['the token file', () => fileWith('token-as-key.txt', `${SECRET}\n`), 'it is not JSON'],
    ['a JSON array', () => fileWith('array.jwk', '[]'), 'it is not a JSON object'],
    [
      'the public JWK keygen printed',
      async () => fileWith('public.jwk', JSON.stringify((await keyFile()).jwk)),
      'it holds no private key (d): give the file keygen wrote, not its jwk',
    ],
    [
      'an RSA key',
      () => fileWith('rsa.jwk', JSON.stringify(privateJwk('rsa', { modulusLength: 2048 }))),
      'its kty and crv are neither EC P-256 nor OKP Ed25519',
    ],
    [
      'a P-384 key',
      () => fileWith('p384.jwk', JSON.stringify(privateJwk('ec', { namedCurve: 'P-384' }))),
      'its kty and crv are neither EC P-256 nor OKP Ed25519',
    ],
    [
      'an ES256 key that says EdDSA',
      async () =>
        fileWith('lying.jwk', JSON.stringify({ ...privateOf(await keyFile()), alg: 'EdDSA' })),
      'its alg is not ES256, the algorithm of its key',
    ],
    [
      "a private key with another key's public half",
      async () => {
        const other = (await keyFile()).jwk;
        const mixed = { ...privateOf(await keyFile()), x: other.x, y: other.y };
        return fileWith('mixed.jwk', JSON.stringify(mixed));
      },
      'its public half (x, y) does not match its private key (d)',
    ],
  ];

  it.each(files)(
    'refuses %s as --key: exit 2, the file named, nothing of it repeated',
    async (_, make, why) => {
      const file = await make();
      const token = fileWith('token-for-bad-key.txt', `${SECRET}\n`);
      const request = ['--method', 'GET', '--url', 'https://a.example/'];
      const run = await proofCli(['--key', file, ...request, '--token-file', token]);
      expect(refusal(run)).toEqual({ code: 2, stdout: '' });
      expect(run.stderr).toBe(`--key ${file} ${NOT_A_KEY} ${why}\n`);
      expect(run.stderr).not.toContain(SECRET);
    },
  );

  it('names a --key it cannot read: exit 2', async () => {
    const absent = join(dir, 'absent.jwk');
    const url = ['--method', 'GET', '--url', 'https://a.example/'];
    const missing = await proofCli(['--key', absent, ...url]);
    expect(refusal(missing)).toEqual({ code: 2, stdout: '' });
    expect(missing.stderr).toBe(`Cannot read --key ${absent} (ENOENT)\n`);
    const folder = join(dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    const notFile = await proofCli(['--key', folder, ...url]);
    expect(refusal(notFile)).toEqual({ code: 2, stdout: '' });
    expect(notFile.stderr).toBe(`Cannot read --key ${folder} (not a file)\n`);
  });

  const URL_RULE = 'must be an absolute http(s) URL, such as https://api.example.com/v1/me';
  it.each([
    [
      'no --method',
      ['--url', 'https://a.example/'],
      "required option '--method <method>' not specified",
    ],
    ['no --url', ['--method', 'GET'], "required option '--url <url>' not specified"],
    ['a relative URL', ['--method', 'GET', '--url', '/api/v1/me'], `url: ${URL_RULE}`],
    [
      'a URL with no scheme',
      ['--method', 'GET', '--url', 'api.example.com/me'],
      `url: ${URL_RULE}`,
    ],
    ['another scheme', ['--method', 'GET', '--url', 'ftp://a.example/me'], `url: ${URL_RULE}`],
    [
      'a URL with credentials',
      ['--method', 'GET', '--url', 'https://me:pw@a.example/'],
      'url: must carry no user name or password',
    ],
    [
      'a method that is no HTTP token',
      ['--method', 'G T', '--url', 'https://a.example/'],
      'method: must be an HTTP method, as the request sends it (GET, POST, …)',
    ],
    [
      'a nonce with a quote',
      ['--method', 'GET', '--url', 'https://a.example/', '--nonce', 'a"b'],
      'nonce: must be the DPoP-Nonce the server gave (printable ASCII, no quotes)',
    ],
    [
      'an argument',
      ['--method', 'GET', '--url', 'https://a.example/', 'GET'],
      'Too many arguments',
    ],
  ])('refuses %s: exit 1, nothing printed', async (_, args, message) => {
    const run = await proofCli(['--key', (await keyFile()).file, ...args]);
    expect(refusal(run)).toEqual({ code: 1, stdout: '' });
    expect(run.stderr).toContain(message);
  });

  it('never takes the token from argv, and says an empty token file gives none', async () => {
    const key = ['--key', (await keyFile()).file, '--method', 'GET', '--url', 'https://a.example/'];
    for (const args of [
      ['--token', SECRET],
      [`--token=${SECRET}`],
      ['--token-file', SECRET],
      [SECRET],
    ]) {
      const run = await proofCli([...key, ...args]);
      expect(refusal(run)).toEqual({ code: 2, stdout: '' });
      expect(run.stderr).toBe(`${SECRET_IN_ARGV}\n`);
    }
    const empty = await proofCli([...key, '--token-file', fileWith('empty.txt', '')]);
    expect(refusal(empty)).toEqual({ code: 1, stdout: '' });
    expect(empty.stderr).toBe('No token given: pipe it on stdin, or give --token-file <path>\n');
  });
});

/** A private JWK of a kind keygen does not make. */
const privateJwk = (type: 'rsa' | 'ec', options: object) =>
  keyPairSync(type, options).privateKey.export({ format: 'jwk' });

/** The private JWK keygen wrote for `key`. */
const privateOf = (key: Answer) => JSON.parse(readFileSync(key.file, 'utf8')) as JWK;

describe.each(DRIVERS)('cli dpop keygen, then tokens create --dpop-jkt, on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => (t = await bootTestApp(driver, { PUBLIC_BASE_URL: DPOP_BASE })));
  afterAll(() => t?.close());

  it('binds the token to the key: its view shows the jkt, and only a proof of the written key uses it', async () => {
    const biz = await createBusiness(t);
    const { answer } = await keygen(['--alg', 'EdDSA', '--out', fresh()]);
    const { jkt, alg, file } = answer!;
    const create = ['tokens', 'create', '--business', biz.id, '--email', biz.ownerEmail];
    const secret = (
      await ok([...create, '--name', 'cli-bound', '--dpop-jkt', jkt], t.db.env)
    ).trim();
    const unbound = (await ok([...create, '--name', 'cli-bearer'], t.db.env)).trim();

    const listed = await listTokens(t, asOwner(biz), { name: 'cli-b' }).expect(200);
    const views = listed.body.data.items as { name: string; dpop_jkt: string | null }[];
    expect(Object.fromEntries(views.map((v) => [v.name, v.dpop_jkt]))).toEqual({
      'cli-bound': jkt,
      'cli-bearer': null,
    });
    const shown = JSON.parse(
      await ok(['tokens', 'list', '--business', biz.id, '--name', 'cli-bound'], t.db.env),
    ) as { items: { dpop_jkt: string | null }[] };
    expect(shown.items.map((v) => v.dpop_jkt)).toEqual([jkt]);

    // The key in the file is the one the token is bound to; the string alone is refused.
    const { privateKey } = await keyIn(file);
    const proof = await dpopProof(
      { privateKey, jwk: answer!.jwk, jkt, alg },
      { method: 'GET', url: '/api/v1/me', token: secret },
    );
    const used = await me(t, { ...asDpop(secret, proof), 'x-business-id': biz.id }).expect(200);
    expect(used.body.data.token).toMatchObject({ name: 'cli-bound', dpop_jkt: jkt });
    await me(t, { ...asBearer(secret), 'x-business-id': biz.id }).expect(401);
    await me(t, { ...asBearer(unbound), 'x-business-id': biz.id }).expect(200);
  });

  it('a proof made by dpop proof is taken with its token, once, and only for the request it names', async () => {
    const biz = await createBusiness(t);
    const key = await keyFile();
    const bound = await createToken(t, asOwner(biz), { name: 'curl', dpop_jkt: key.jkt });
    const tokenFile = fileWith(`bound-${driver}.txt`, `${bound.secret}\n`);
    const proofOf = async (method: string, url: string, token = true) => {
      const tokenArgs = token ? ['--token-file', tokenFile] : [];
      const run = await proofCli([
        '--key',
        key.file,
        '--method',
        method,
        '--url',
        url,
        ...tokenArgs,
      ]);
      expect(run.code).toBe(0);
      expect(run.stdout + run.stderr).not.toContain(bound.secret);
      return run.stdout.trim();
    };
    const call = (proof: string) => me(t, asDpop(bound.secret, proof, biz.id));

    // The query is no part of htu, so a proof of the URL with one is a proof of the request.
    const proof = await proofOf('GET', `${DPOP_BASE}/api/v1/me?probe=1`);
    const used = await call(proof).expect(200);
    expect(used.body.data.token).toMatchObject({ id: bound.id, dpop_jkt: key.jkt });
    await call(proof).expect(401);
    await call(await proofOf('POST', `${DPOP_BASE}/api/v1/me`)).expect(401);
    await call(await proofOf('GET', `${DPOP_BASE}/api/v1/tokens`)).expect(401);
    await call(await proofOf('GET', `${DPOP_BASE}/api/v1/me`, false)).expect(401);
    await call(await proofOf('GET', `${DPOP_BASE}/api/v1/me`)).expect(200);
  });
});
