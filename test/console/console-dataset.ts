import { randomBytes } from 'node:crypto';
import { dpopKey } from '../harness/app/dpop';
import { BusinessSetup, LatchkeyClient, scoped } from '../harness/latchkey-client';
import { eventually } from '../harness/patience';

interface Envelope<T> {
  data: T;
}

/** The owner's own token's requests to the API, beside one of the console's. */
const API_CALLS = 30;

/** A row of Usage's busiest tokens (`GET /api/v1/tokens/usage`), as far as the dataset reads it. */
interface UsageRow {
  token: { id: string };
  requests: number;
  console_requests: number;
}

/** What a realistic business holds, as the layout checks need to name it. */
export interface Dataset {
  owner: BusinessSetup;
  ownerEmail: string;
  businessName: string;
  /** A member's first token: a member signs in with it. */
  memberToken: string;
  memberEmail: string;
  /**
   * A token of the owner's with every action on its row (Revoke, Rotate), and traffic: 30 of
   * the API's requests and 1 of the console's.
   */
  ownTokenId: string;
  ownTokenName: string;
  /** A pending request with a long justification, for the approver. */
  requestName: string;
}

/** Long on purpose: what real directories hold, and what a layout must fit at 1280 px. */
const LONG_EMAIL =
  'alexandra.konstantinopoulou-whitfield@payments-platform.example-corporation.test';
const OWN_TOKEN = 'payments-service-production-deploy-pipeline-release-2026';
const MACHINES = [
  'ci-runner-for-the-payments-service-release-pipeline',
  'terraform-cloud-workspace-production-eu-west-1',
];

/**
 * A business as teams fill it, not as a test names it: an owner and members with long emails,
 * machine identities with long names holding tokens, tokens bound to a key, tokens narrowed to
 * several scopes with an expiry, a paused one, a revoked one, tokens with traffic (some of it the
 * console's), and pending token requests with their justification. Deploy scopes need approval,
 * within a policy of 90 days at most.
 */
export async function seedDataset(client: LatchkeyClient, platformToken: string): Promise<Dataset> {
  const suffix = randomBytes(3).toString('hex');
  const ownerEmail = `maximilian.oberhauser-lindqvist.${suffix}@headquarters.example-corporation.test`;
  const businessName = `Acme Payments International Holdings ${suffix}`;
  const made = await client.request<
    Envelope<{ business: { id: string }; first_token: { token: string } }>
  >('POST', '/platform/v1/businesses', {
    headers: { authorization: `Bearer ${platformToken}` },
    body: { name: businessName, owner_email: ownerEmail },
  });
  if (made.status !== 201) throw new Error(`create business: ${made.status}`);
  const owner = {
    businessId: made.body.data.business.id,
    ownerToken: made.body.data.first_token.token,
  };
  const call = async <T>(method: string, path: string, body?: object, token = owner.ownerToken) => {
    const res = await client.request<Envelope<T>>(method, path, {
      headers: scoped(token, owner.businessId),
      ...(body ? { body } : {}),
    });
    if (res.status >= 300) {
      throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    return res.body.data;
  };

  const member = await call<{ first_token: { token: string } }>('POST', '/api/v1/members', {
    email: LONG_EMAIL,
    role: 'member',
  });
  await call('POST', '/api/v1/members', {
    email: `operations.engineering.oncall.rotation@infrastructure.example-corporation.test`,
    role: 'admin',
  });
  const machines: string[] = [];
  for (const name of MACHINES) {
    machines.push(
      (await call<{ id: string }>('POST', '/api/v1/machine-identities', { name, role: 'member' }))
        .id,
    );
  }

  const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();
  const scopes = [
    'tokens:admin',
    'audit:read',
    'payments.refunds:write',
    'orders.fulfilment:read',
    'webhooks.endpoints:manage',
  ];
  const key = await dpopKey();
  const own = await call<{ id: string; token: string }>('POST', '/api/v1/tokens', {
    name: OWN_TOKEN,
    scopes,
    expires_at: days(6),
  });
  await call('POST', '/api/v1/tokens', {
    name: 'federation repo:acme-corporation/payments-service-api:ref:refs/heads/release/2026-11-hotfix',
    scopes: scopes.slice(0, 3),
    dpop_jkt: key.jkt,
    expires_at: days(5),
  });
  for (const [i, id] of machines.entries()) {
    await call('POST', '/api/v1/tokens', {
      name: `${MACHINES[i]}-token`,
      identity_id: id,
      scopes: ['deploy:write', 'orders.fulfilment:read', 'payments.settlements:read'],
      ...(i === 0 ? { dpop_jkt: key.jkt } : {}),
      expires_at: days(3 + i),
    });
  }
  const paused = await call<{ id: string }>('POST', '/api/v1/tokens', {
    name: 'reporting-warehouse-nightly-export',
    identity_id: machines[1],
    scopes: ['orders:read'],
  });
  await call('POST', `/api/v1/tokens/${paused.id}/disable`, {
    reason: 'Paused while the warehouse moves',
  });
  const gone = await call<{ id: string }>('POST', '/api/v1/tokens', { name: 'laptop-of-a-leaver' });
  await call('POST', `/api/v1/tokens/${gone.id}/revoke`, { reason: 'left the company' });
  // Its own member's token, which the owner may revoke but not rotate.
  await call(
    'POST',
    '/api/v1/tokens',
    { name: 'analytics-notebook', scopes: ['orders:read'] },
    member.first_token.token,
  );

  // Traffic: the API's, and some of the console's (which says so in x-latchkey-client).
  for (let i = 0; i < API_CALLS; i++) await client.me(own.token, owner.businessId);
  await client.request('GET', '/api/v1/me', {
    headers: { ...scoped(own.token, owner.businessId), 'x-latchkey-client': 'console' },
  });
  // Usage is written in batches every few seconds: the dataset is whole once Usage counts all of
  // it. The platform admin asks, whose token no usage counts (each poll with the owner's would).
  await eventually(
    async () => {
      const usage = await client.request<Envelope<{ items: UsageRow[] }>>(
        'GET',
        '/api/v1/tokens/usage?window=24h',
        { headers: scoped(platformToken, owner.businessId) },
      );
      const row = usage.body.data.items.find((r) => r.token.id === own.id);
      return row !== undefined && row.requests >= API_CALLS + 1 && row.console_requests >= 1;
    },
    undefined,
    100,
  );

  const policy = await call<Record<string, unknown>>('GET', '/api/v1/token-policy');
  const rest = { ...policy };
  delete rest.updated_at;
  delete rest.updated_by;
  await call('PUT', '/api/v1/token-policy', {
    ...rest,
    max_lifetime_days: 90,
    approval_required: { machine_tokens: false, scopes: ['deploy:*'] },
  });
  const requestName = 'payments-release-deploy-to-production-eu';
  await call(
    'POST',
    '/api/v1/token-requests',
    {
      name: requestName,
      scopes: ['deploy:prod', 'orders:read'],
      expires_in_days: 5,
      justification:
        'Deploys the payments service to production from the release pipeline during the ' +
        'November change window; the shared deploy machine is being rebuilt this week.',
    },
    member.first_token.token,
  );
  return {
    owner,
    ownerEmail,
    businessName,
    memberToken: member.first_token.token,
    memberEmail: LONG_EMAIL,
    ownTokenId: own.id,
    ownTokenName: OWN_TOKEN,
    requestName,
  };
}
