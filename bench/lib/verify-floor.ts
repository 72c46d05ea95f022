import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/harness/app-process';
import { Child } from '../../test/harness/child';
import { gatewayScoped, scoped, type BusinessSetup } from '../../test/harness/latchkey-client';
import { freePort } from '../../test/harness/ports';

/** The hot path's floor (bench/fastify-verify.ts), running, for one business's owner token. */
export interface VerifyFloor {
  child: Child;
  url: string;
  /** The floor's route for `/api/v1/me`: any path but `/auth/verify` answers its body. */
  path: string;
  headers: Record<string, string>;
  /** The floor's gateway check, and the headers a gateway sends it. */
  verifyPath: string;
  verifyHeaders: Record<string, string>;
}

/** An answer of the app's, as the floor must write it: its body, and its headers. */
export interface AppAnswer {
  body: string;
  headers: Record<string, string>;
}

/** What a connection or the server adds to every answer, and the request id, which is per answer. */
const PER_ANSWER = new Set([
  'date',
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
  'x-request-id',
]);

/** The app's answer to `path` with `headers`, as the floor is to repeat it. */
export async function readAnswer(
  url: string,
  headers: Record<string, string>,
  status: number,
): Promise<AppAnswer> {
  const res = await fetch(url, { headers });
  const body = await res.text();
  if (res.status !== status) throw new Error(`${url} answered ${res.status}, not ${status}`);
  const kept: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!PER_ANSWER.has(name)) kept[name] = value;
  });
  return { body, headers: kept };
}

/** The verify floor's settings (bench/fastify-verify.ts): the token's SHA-256, never the token. */
export function verifyFloorEnv(
  owner: BusinessSetup,
  me: AppAnswer,
  verify: AppAnswer,
): Record<string, string> {
  return {
    TOKEN_HASH: createHash('sha256').update(owner.ownerToken).digest('hex'),
    BUSINESS_ID: owner.businessId,
    ANSWER: me.body,
    ANSWER_HEADERS: JSON.stringify(me.headers),
    VERIFY_HEADERS: JSON.stringify(verify.headers),
  };
}

/**
 * Starts bare Fastify doing the same cached verification as a warm `/api/v1/me` and
 * `/auth/verify` of `owner`'s token, and answering what the app answers (`me`, `verify`: read off
 * the app by the caller, headers included). The floor is given the token's SHA-256, never the
 * token. Resolves once it answers as the app does, and fails closed (401) without the token.
 */
export async function startVerifyFloor(
  owner: BusinessSetup,
  me: AppAnswer,
  verify: AppAnswer,
): Promise<VerifyFloor> {
  const port = await freePort();
  const child = Child.spawn(
    'fastify-verify',
    process.execPath,
    [join(REPO_ROOT, 'dist', 'bench', 'fastify-verify.js')],
    {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        ...verifyFloorEnv(owner, me, verify),
      },
    },
  );
  await child.waitFor(/listening/, 10_000);
  const floor = {
    child,
    url: `http://127.0.0.1:${port}`,
    path: '/api/v1/me',
    headers: scoped(owner.ownerToken, owner.businessId),
    verifyPath: '/auth/verify',
    verifyHeaders: gatewayScoped(owner.ownerToken, owner.businessId),
  };
  try {
    const [ok, checked] = await Promise.all([
      readAnswer(`${floor.url}${floor.path}`, floor.headers, 200),
      readAnswer(`${floor.url}${floor.verifyPath}`, floor.verifyHeaders, 204),
      readAnswer(`${floor.url}${floor.path}`, { 'x-business-id': owner.businessId }, 401),
    ]);
    const same = (a: AppAnswer, b: AppAnswer) => JSON.stringify(a) === JSON.stringify(b);
    if (!same(ok, me) || !same(checked, verify)) throw new Error('it answers unlike the app');
  } catch (e) {
    await child.stop();
    throw new Error(`the verify floor: ${(e as Error).message}`);
  }
  return floor;
}

/** Bare Fastify's hello world (bench/fastify-hello.ts), running: the baseline of Nest's routes. */
export async function startBareFastify(): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const child = Child.spawn(
    'fastify-hello',
    process.execPath,
    [join(REPO_ROOT, 'dist', 'bench', 'fastify-hello.js')],
    { env: { PATH: process.env.PATH ?? '', PORT: String(port) } },
  );
  try {
    await child.waitFor(/listening/, 10_000);
  } catch (e) {
    await child.stop(1000);
    throw e;
  }
  return { child, url: `http://127.0.0.1:${port}` };
}
