import { join } from 'node:path';
import { REPO_ROOT } from '../../test/harness/app-process';
import { Child } from '../../test/harness/child';
import { scoped, type BusinessSetup } from '../../test/harness/latchkey-client';
import { freePort } from '../../test/harness/ports';
import { readAnswer, type AppAnswer } from './verify-floor';

/** The list's first page, as both the app and its floor serve it. */
export const LIST_PAGE = '/api/v1/tokens?limit=20';

/** The token list's floor (bench/fastify-list.ts), running, for one business. */
export interface ListFloor {
  child: Child;
  url: string;
  /** The floor's route: the first page, whatever the query. */
  path: string;
}

/** Where the floor reads: the app's PostgreSQL database, or the SQLite file the app writes. */
export type ListFloorDatabase = { DATABASE_URL: string } | { SQLITE_PATH: string };

interface Page {
  data: { items: { uses_limit: number | null; uses_remaining: number | null }[] };
}

/**
 * The page's body with each limited token's uses left taken out: the app counts the uses its
 * process holds in a lease as left (`UsesMeter.remainingOfRow`), which no other process can see.
 */
function withoutHeldUses(body: string): string {
  const page = JSON.parse(body) as Page;
  for (const item of page.data.items) if (item.uses_limit !== null) item.uses_remaining = null;
  return JSON.stringify(page);
}

/** The same headers, and the same body byte for byte but for a limited token's uses left. */
function sameAnswer(floor: AppAnswer, app: AppAnswer): boolean {
  if (JSON.stringify(floor.headers) !== JSON.stringify(app.headers)) return false;
  return floor.body === app.body || withoutHeldUses(floor.body) === withoutHeldUses(app.body);
}

/** The list floor's settings (bench/fastify-list.ts): where it reads, and the headers it answers. */
export function listFloorEnv(
  database: ListFloorDatabase,
  owner: BusinessSetup,
  headers: Record<string, string>,
  fields?: string,
): Record<string, string> {
  return {
    BUSINESS_ID: owner.businessId,
    ANSWER_HEADERS: JSON.stringify(headers),
    ...(fields ? { FIELDS: fields } : {}),
    ...database,
  };
}

/**
 * Starts bare Fastify doing what the app's `LIST_PAGE` does (bench/fastify-list.ts) on `database`,
 * or with `fields` that sparse page, for `owner`'s business, and resolves once its page is the app's (at `appUrl`), body and
 * headers alike (`sameAnswer`): a floor that answered less would read fast. The app is read
 * before and after the floor, and the floor must match one of the two, since the owner's token,
 * which asks, is on the page and its last use may move meanwhile.
 */
export async function startListFloor(
  database: ListFloorDatabase,
  owner: BusinessSetup,
  appUrl: string,
  track: (child: Child) => void,
  fields?: string,
): Promise<ListFloor> {
  const page = fields ? `${LIST_PAGE}&fields=${fields}` : LIST_PAGE;
  const appHeaders = scoped(owner.ownerToken, owner.businessId);
  const before = await readAnswer(`${appUrl}${page}`, appHeaders, 200);
  const port = await freePort();
  const child = Child.spawn(
    'fastify-list',
    process.execPath,
    [join(REPO_ROOT, 'dist', 'bench', 'fastify-list.js')],
    {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        ...listFloorEnv(database, owner, before.headers, fields),
      },
    },
  );
  track(child);
  const floor = { child, url: `http://127.0.0.1:${port}`, path: page };
  try {
    await child.waitFor(/listening/, 10_000);
    const answer = await readAnswer(`${floor.url}${floor.path}`, {}, 200);
    const after = await readAnswer(`${appUrl}${page}`, appHeaders, 200);
    if (!sameAnswer(answer, before) && !sameAnswer(answer, after)) {
      throw new Error(`it answers unlike the app:\n${answer.body}\nthe app:\n${after.body}`);
    }
    const items = (JSON.parse(answer.body) as { data: { items: unknown[] } }).data.items;
    if (items.length !== 20) throw new Error(`it answered ${items.length} items, not 20`);
  } catch (e) {
    await child.stop();
    throw new Error(`the list floor: ${(e as Error).message}`);
  }
  return floor;
}
