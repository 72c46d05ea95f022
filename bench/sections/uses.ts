/**
 * What uses that run out cost (goal ≥ 0.9): /api/v1/me (warm) with a token of the owner's that
 * has a uses_limit (one Redis script per request, before it is served) against a plain one, runs
 * alternated. A token with 3 uses is checked to get its 429 first, as for the rate limit.
 */
import type { AppProcess } from '../../test/harness/app-process';
import { LatchkeyClient, type BusinessSetup } from '../../test/harness/latchkey-client';
import { expectRefusedAfter3, meAgainstPlain } from '../lib/alternated';
import { figure, raw } from '../lib/figures';

export async function usesCost(app: AppProcess, owner: BusinessSetup): Promise<void> {
  const client = new LatchkeyClient(app.url);
  const metered = await client.createToken(owner, 'metered', { uses_limit: 1_000_000_000 });
  const three = await client.createToken(owner, 'three', { uses_limit: 3 });
  await expectRefusedAfter3(client, owner, three, 'a token with 3 uses');
  const { runs, ratio, label } = await meAgainstPlain(app, owner, metered, 'uses');
  figure(
    'uses: /api/v1/me with a uses_limit ÷ without, postgres and Redis',
    label,
    '≥ 0.90',
    ratio >= 0.9,
    { ratio, goal: 0.9 },
  );
  raw.uses = runs;
}
