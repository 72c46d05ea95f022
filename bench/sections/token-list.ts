/**
 * A real read: a page of 20 tokens on instance A (PostgreSQL), against /health/live and against
 * its floor, bare Fastify and node-postgres doing the same read and nothing else
 * (bench/fastify-list.ts), runs alternated.
 */
import { join } from 'node:path';
import { REPO_ROOT, type AppProcess } from '../../test/harness/app-process';
import { Child } from '../../test/harness/child';
import type { BusinessSetup, LatchkeyClient } from '../../test/harness/latchkey-client';
import { freePort } from '../../test/harness/ports';
import { mean, round } from '../../test/harness/stats';
import { alternate } from '../lib/alternated';
import { figure, raw } from '../lib/figures';
import { load, type LoadRun } from '../lib/load';

/** The list's floor on `databaseUrl`, for `businessId`, once it answers a page of 20. */
async function startListFloor(
  databaseUrl: string,
  businessId: string,
  track: (child: Child) => void,
): Promise<{ child: Child; url: string }> {
  const floorPort = await freePort();
  const floor = Child.spawn(
    'fastify-list',
    process.execPath,
    [join(REPO_ROOT, 'dist', 'bench', 'fastify-list.js')],
    {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(floorPort),
        DATABASE_URL: databaseUrl,
        BUSINESS_ID: businessId,
      },
    },
  );
  track(floor);
  await floor.waitFor(/listening/, 10_000);
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  const floorProbe = await fetch(`${floorUrl}/api/v1/tokens`);
  const floorItems = ((await floorProbe.json()) as { data: { items: unknown[] } }).data.items;
  if (floorItems.length !== 20)
    throw new Error(`the list floor answered ${floorItems.length} items`);
  return { child: floor, url: floorUrl };
}

/** `live` is A's /health/live runs from the hot path, the ratio's denominator. */
export async function tokenList(
  a: AppProcess,
  clientA: LatchkeyClient,
  owner: BusinessSetup,
  databaseUrl: string,
  live: LoadRun[],
  track: (child: Child) => void,
): Promise<void> {
  await clientA.createTokens(owner, 25, 8, 'list');
  const listHeaders = {
    authorization: `Bearer ${owner.ownerToken}`,
    'x-business-id': owner.businessId,
  };
  const floor = await startListFloor(databaseUrl, owner.businessId, track);
  const lists: LoadRun[] = [];
  const floors: LoadRun[] = [];
  await alternate(
    2,
    async () => lists.push(await load('postgres', a.url, '/api/v1/tokens?limit=20', listHeaders)),
    async () => floors.push(await load('fastify-list', floor.url, '/api/v1/tokens', {})),
  );
  await floor.child.stop();
  const listRps = mean(lists.map((r) => r.rps));
  const liveRps = mean(live.map((r) => r.rps));
  const floorRps = mean(floors.map((r) => r.rps));
  figure(
    'framework overhead: /api/v1/tokens?limit=20 ÷ /health/live, postgres',
    `${round(listRps / liveRps)} (${round(listRps, 0)} vs ${round(liveRps, 0)} req/s)`,
    '≥ 0.40',
    listRps / liveRps >= 0.4,
    // Not gated: about 0.06 to 0.10, because the read itself costs that much (the next figure).
  );
  figure(
    'framework overhead: /api/v1/tokens?limit=20 ÷ bare Fastify + pg doing the same read, postgres',
    `${round(listRps / floorRps)} (${round(listRps, 0)} vs ${round(floorRps, 0)} req/s; the floor ÷ /health/live ${round(floorRps / liveRps)})`,
    '(information)',
    null,
  );
  raw.postgres_list = { lists, floors };
}
