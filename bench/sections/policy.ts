/**
 * What a business token policy costs verification (goal: nothing measurable): /api/v1/me (warm)
 * with a token of a business whose policy sets every rule, against a plain token of a business
 * with none, runs alternated. A policy is read where tokens are issued, never where they are
 * verified; a token that breaks it is checked to get its 422 first, so a policy that silently did
 * nothing cannot pass for a free one.
 */
import type { AppProcess } from '../../test/harness/app-process';
import { LatchkeyClient, scoped, type BusinessSetup } from '../../test/harness/latchkey-client';
import { meAgainstPlain } from '../lib/alternated';
import { figure, raw } from '../lib/figures';

/** A business whose policy sets every rule, checked to refuse a token that breaks it. */
async function governedBusiness(client: LatchkeyClient, platformToken: string) {
  const governed = await client.createBusiness(platformToken, 'governed');
  const put = await client.request('PUT', '/api/v1/token-policy', {
    headers: scoped(governed.ownerToken, governed.businessId),
    body: {
      max_lifetime_days: 90,
      require_expiry: true,
      allowed_scopes: ['tokens:*', 'me:*'],
      required_cidrs: ['127.0.0.0/8', '::1/128'],
      inactivity_revoke_days: 180,
    },
  });
  if (put.status !== 200) throw new Error(`PUT /api/v1/token-policy answered ${put.status}`);
  const breach = await client.request('POST', '/api/v1/tokens', {
    headers: scoped(governed.ownerToken, governed.businessId),
    body: { name: 'too-long', expires_in_days: 365 },
  });
  if (breach.status !== 422) throw new Error(`a token past the policy answered ${breach.status}`);
  return governed;
}

export async function policyCost(app: AppProcess, owner: BusinessSetup): Promise<void> {
  const client = new LatchkeyClient(app.url);
  const governed = await governedBusiness(client, app.platformToken!);
  // Within its maker's life: the owner's first token expires in 7 days.
  const token = await client.createToken(governed, 'governed', { expires_in_days: 3 });
  const { runs, ratio, label } = await meAgainstPlain(app, owner, token, 'policy', governed);
  figure(
    'business token policy: /api/v1/me with a token under a policy ÷ without, postgres and Redis',
    label,
    '≥ 0.95 (nothing measurable)',
    ratio >= 0.95,
    { ratio, goal: 0.95 },
  );
  raw.policy = runs;
}
