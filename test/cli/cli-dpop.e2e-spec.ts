import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  importJWK,
  type JWK,
  type KeyLike,
  jwtVerify,
  SignJWT,
} from 'jose';
import { createBusiness } from '../factories/tenancy.factory';
import { asBearer, asOwner, listTokens, me } from '../harness/app/api';
import { cliInProcess, CliResult, ok } from '../harness/app/cli';
import { asDpop, DPOP_BASE, dpopProof } from '../harness/app/dpop';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * `dpop keygen`, a client's key pair for tokens bound to a key (RFC 9449), and the flow it starts:
 * its jkt given to `tokens create --dpop-jkt` makes a token that only a proof of the written key
 * can use. Every case runs the CLI in-process (the exit code is runCli's answer, as main.ts exits
 * with it); keygen opens no database, so its cases run with none there to open.
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

describe.each(DRIVERS)('cli dpop keygen, then tokens create --dpop-jkt, on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => (t = await bootTestApp(driver, { PUBLIC_BASE_URL: DPOP_BASE })));
  afterAll(() => t.close());

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
});
