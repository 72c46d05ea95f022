/**
 * A feature's cost on a warm /api/v1/me, as `npm run bench` measures it: with and without,
 * runs alternated, every round starting with the other side, so drift in the machine hits both
 * alike. Either on one instance with two tokens, or on two like instances started for it.
 */
import type { AppProcess } from '../../test/harness/app-process';
import {
  LatchkeyClient,
  scoped,
  type BusinessSetup,
  type IssuedToken,
} from '../../test/harness/latchkey-client';
import { mean, round } from '../../test/harness/stats';
import { log } from './figures';
import { load, type LoadRun } from './load';
import { QUICK, WARMUP_S } from './run-settings';

export type StartApp = (name: string, env: Record<string, string>) => Promise<AppProcess>;

/** Three 200s then a 429 from `token`, or the bench stops: a check that counts nothing is not cheap. */
export async function expectRefusedAfter3(
  client: LatchkeyClient,
  owner: BusinessSetup,
  token: IssuedToken,
  what: string,
): Promise<void> {
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++)
    statuses.push((await client.me(token.token, owner.businessId)).status);
  if (statuses.join() !== '200,200,200,429') throw new Error(`${what} answered ${statuses.join()}`);
}

/** Runs the runs (a pair, or more) in order on even rounds and reversed on odd ones. */
export async function alternate(rounds: number, ...runs: (() => Promise<unknown>)[]) {
  for (let round = 0; round < rounds; round++) {
    for (const run of round % 2 === 0 ? runs : [...runs].reverse()) await run();
  }
}

/**
 * /api/v1/me (warm) on one instance with `other` (of `otherBusiness`, else of the owner's)
 * against a plain token of the owner's, three rounds alternated (two by `--quick`), each starting
 * with the other token: the ratio other ÷ plain.
 */
export async function meAgainstPlain(
  app: AppProcess,
  owner: BusinessSetup,
  other: IssuedToken,
  name: string,
  otherBusiness: BusinessSetup = owner,
): Promise<{ runs: { plain: LoadRun[]; other: LoadRun[] }; ratio: number; label: string }> {
  const plain = await new LatchkeyClient(app.url).createToken(owner, `${name}-plain`);
  const headersOf = (token: IssuedToken) =>
    scoped(token.token, (token === other ? otherBusiness : owner).businessId);
  log(`${name}: warm-up`);
  for (const token of [plain, other])
    await load(name, app.url, '/api/v1/me', headersOf(token), WARMUP_S);
  const runs = { plain: [] as LoadRun[], other: [] as LoadRun[] };
  await alternate(
    QUICK ? 2 : 3,
    async () => runs.plain.push(await load('plain token', app.url, '/api/v1/me', headersOf(plain))),
    async () =>
      runs.other.push(await load(`${name} token`, app.url, '/api/v1/me', headersOf(other))),
  );
  const plainRps = mean(runs.plain.map((r) => r.rps));
  const otherRps = mean(runs.other.map((r) => r.rps));
  const ratio = otherRps / plainRps;
  return {
    runs,
    ratio,
    label: `${round(ratio, 3)} (${round(otherRps, 0)} vs ${round(plainRps, 0)} req/s)`,
  };
}

/** What two like instances served of /api/v1/me, without and with a feature. */
export interface OffAndOn {
  runs: { off: LoadRun[]; on: LoadRun[] };
  offRps: number;
  onRps: number;
}

/**
 * A feature's cost on /api/v1/me (warm): two like instances started for it, `off` without the
 * feature and `on` with it, each probed and warmed up, then `rounds` runs each, alternated.
 * `beforeStop` looks at the instances while they still run; both are stopped (`off` first)
 * before it returns.
 */
export async function meOffAndOn(
  feature: string,
  start: StartApp,
  envs: { off: Record<string, string>; on: Record<string, string> },
  owner: BusinessSetup,
  rounds: number,
  beforeStop?: (on: AppProcess) => Promise<void>,
): Promise<OffAndOn> {
  const off = await start(`${feature}-off`, envs.off);
  const on = await start(`${feature}-on`, envs.on);
  const headers = {
    authorization: `Bearer ${owner.ownerToken}`,
    'x-business-id': owner.businessId,
  };
  log(`${feature}: warm-up`);
  for (const app of [off, on]) {
    const probe = await new LatchkeyClient(app.url).me(owner.ownerToken, owner.businessId);
    if (probe.status !== 200) throw new Error(`${feature}: /api/v1/me answered ${probe.status}`);
    await load(app.name, app.url, '/api/v1/me', headers, WARMUP_S);
  }
  const runs = { off: [] as LoadRun[], on: [] as LoadRun[] };
  await alternate(
    rounds,
    async () => runs.off.push(await load(`${feature} off`, off.url, '/api/v1/me', headers)),
    async () => runs.on.push(await load(`${feature} on`, on.url, '/api/v1/me', headers)),
  );
  await beforeStop?.(on);
  await off.stop();
  await on.stop();
  const rps = (list: LoadRun[]) => mean(list.map((r) => r.rps));
  return { runs, offRps: rps(runs.off), onRps: rps(runs.on) };
}

/** `on` ÷ `off` with both rates and the cost in percent. */
export function costText({ offRps, onRps }: OffAndOn): string {
  const ratio = onRps / offRps;
  return `${round(ratio)} (${round(onRps, 0)} vs ${round(offRps, 0)} req/s; cost ${round((1 - ratio) * 100, 1)}%)`;
}
