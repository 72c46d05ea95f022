/**
 * What per-token constraints cost (goal ≥ 0.95): /api/v1/me (warm) on one instance, with a token
 * of the owner's that has allowed_cidrs and a rate_limit_per_minute of its own (matched from the
 * cached snapshot, and counted in Redis on every request) against a plain one, runs alternated.
 * A token limited to 3 a minute is checked to get its 429 first, so a limit that silently let
 * everything through (Redis unreachable) cannot pass for a cheap one.
 */
import type { AppProcess } from '../../test/harness/app-process';
import { LatchkeyClient, type BusinessSetup } from '../../test/harness/latchkey-client';
import { expectRefusedAfter3, meAgainstPlain } from '../lib/alternated';
import { figure, raw } from '../lib/figures';

export async function constraintsCost(app: AppProcess, owner: BusinessSetup): Promise<void> {
  const client = new LatchkeyClient(app.url);
  const bound = await client.createToken(owner, 'bound', {
    allowed_cidrs: ['10.0.0.0/8', '192.168.0.0/16', '127.0.0.0/8', '::1/128'],
    rate_limit_per_minute: 1_000_000,
  });
  const tight = await client.createToken(owner, 'tight', { rate_limit_per_minute: 3 });
  await expectRefusedAfter3(client, owner, tight, 'a token limited to 3 a minute');
  const { runs, ratio, label } = await meAgainstPlain(app, owner, bound, 'constraints');
  figure(
    `token constraints: /api/v1/me with allowed_cidrs and rate_limit_per_minute ÷ without, postgres and Redis`,
    label,
    '≥ 0.95',
    ratio >= 0.95,
    { ratio, goal: 0.95 },
  );
  raw.constraints = runs;
}
