import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/harness/app-process';
import { Child } from '../../test/harness/child';
import type { BusinessSetup } from '../../test/harness/latchkey-client';
import { freePort } from '../../test/harness/ports';

/** The hot path's floor (bench/fastify-verify.ts), running, for one business's owner token. */
export interface VerifyFloor {
  child: Child;
  url: string;
  /** The floor's route: any path answers, this one names what it stands for. */
  path: string;
  headers: Record<string, string>;
}

/**
 * Starts bare Fastify doing the same cached verification as a warm `/api/v1/me` of `owner`'s
 * token, and answering the same body: `meBody`, the app's own answer, read by the caller. The
 * floor is given the token's SHA-256, never the token. Resolves once it answers 200 as the app
 * does, and fails closed (401) without the token.
 */
export async function startVerifyFloor(owner: BusinessSetup, meBody: string): Promise<VerifyFloor> {
  const port = await freePort();
  const child = Child.spawn(
    'fastify-verify',
    process.execPath,
    [join(REPO_ROOT, 'dist', 'bench', 'fastify-verify.js')],
    {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        TOKEN_HASH: createHash('sha256').update(owner.ownerToken).digest('hex'),
        BUSINESS_ID: owner.businessId,
        ANSWER: meBody,
      },
    },
  );
  await child.waitFor(/listening/, 10_000);
  const floor = {
    child,
    url: `http://127.0.0.1:${port}`,
    path: '/api/v1/me',
    headers: { authorization: `Bearer ${owner.ownerToken}`, 'x-business-id': owner.businessId },
  };
  const [ok, refused] = await Promise.all([
    fetch(`${floor.url}${floor.path}`, { headers: floor.headers }),
    fetch(`${floor.url}${floor.path}`, { headers: { 'x-business-id': owner.businessId } }),
  ]);
  const body = await ok.text();
  await refused.arrayBuffer();
  if (ok.status !== 200 || body !== meBody || refused.status !== 401) {
    await child.stop();
    throw new Error(`the verify floor answered ${ok.status} and ${refused.status} without a token`);
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
