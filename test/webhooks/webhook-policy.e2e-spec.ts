import { scopesAllow } from '../../src/auth/scopes';
import {
  scopesNeeded,
  WEBHOOK_POLICY,
  WebhookAction,
} from '../../src/webhooks/endpoints/webhook-policy';
import { BusinessFixture, createBusiness } from '../factories/tenancy.factory';
import { Caller } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import {
  callerWith,
  Chain,
  PLATFORM_CHAIN,
  PlacedEndpoint,
  placeEndpoint,
  scopesLabel,
  WEBHOOKS_PATH,
} from './webhook-fixtures';
import { DRIVERS } from '../setup/servers';

/**
 * Every cell of WEBHOOK_POLICY, run on a live app: each chain × calling token's scopes × route
 * (PATCH once per field it changes) × whether the endpoint receives audit events, with the table
 * as the oracle. An endpoint that does is spelt `["audit.event"]` or `["*"]`, in turn, so each
 * route and each scope set meets both. A refused call leaves the endpoint and its messages as
 * they were. The attacks, told as stories: webhook-audit-data.e2e-spec.ts.
 */

/** The calling token's scopes: each combination of the two that decide, and wildcards. */
const SCOPE_SETS: readonly (string[] | null)[] = [
  null,
  ['webhooks:write'],
  ['webhooks:write', 'audit:read'],
  ['webhooks:read'],
  ['webhooks:read', 'audit:read'],
  ['audit:read'],
  ['webhooks:*', 'audit:*'],
];

/** What the endpoint receives: no audit events, every one by name, or every type. */
type Kind = 'none' | 'audit.event' | '*';
const NONE: Kind = 'none';
const SPELLINGS: readonly Kind[] = ['audit.event', '*'];

const typesOf = (kind: Kind) => (kind === 'none' ? ['token.revoked'] : [kind]);

type Endpoint = PlacedEndpoint;

/** One route of an action: the request, from the endpoint it acts on and what that receives. */
interface Variant {
  action: WebhookAction;
  label: string;
  ok: number;
  /** The endpoint is made disabled (to enable it). */
  disabled?: boolean;
  method: 'get' | 'post' | 'patch' | 'delete';
  path: (e: Endpoint) => string;
  body?: (kind: Kind) => object;
}

const URL = 'http://127.0.0.1:9/policy';

const VARIANTS: readonly Variant[] = [
  { action: 'list', label: 'list', ok: 200, method: 'get', path: () => '' },
  { action: 'get', label: 'get', ok: 200, method: 'get', path: (e) => `/${e.id}` },
  {
    action: 'deliveries',
    label: 'deliveries',
    ok: 200,
    method: 'get',
    path: (e) => `/${e.id}/deliveries`,
  },
  {
    action: 'message',
    label: 'message',
    ok: 200,
    method: 'get',
    path: (e) => `/${e.id}/deliveries/${e.message}`,
  },
  {
    action: 'create',
    label: 'create',
    ok: 201,
    method: 'post',
    path: () => '',
    body: (kind) => ({ url: URL, event_types: typesOf(kind) }),
  },
  ...(
    [
      ['url', () => ({ url: `${URL}/moved` })],
      // Away from what it receives: an audit endpoint stops receiving audit events.
      ['event_types away', () => ({ event_types: ['token.created'] })],
      ['description', () => ({ description: 'changed' })],
      ['enabled: false', () => ({ enabled: false })],
    ] as const
  ).map(([label, body]): Variant => ({
    action: 'update',
    label: `update ${label}`,
    ok: 200,
    method: 'patch',
    path: (e) => `/${e.id}`,
    body,
  })),
  {
    action: 'update',
    label: 'update enabled: true',
    ok: 200,
    disabled: true,
    method: 'patch',
    path: (e) => `/${e.id}`,
    body: () => ({ enabled: true }),
  },
  { action: 'delete', label: 'delete', ok: 200, method: 'delete', path: (e) => `/${e.id}` },
  {
    action: 'rotate_secret',
    label: 'rotate_secret',
    ok: 201,
    method: 'post',
    path: (e) => `/${e.id}/rotate-secret`,
  },
  {
    action: 'redeliver',
    label: 'redeliver',
    ok: 201,
    method: 'post',
    path: (e) => `/${e.id}/deliveries/${e.message}/redeliver`,
  },
  {
    action: 'recover',
    label: 'recover',
    ok: 201,
    method: 'post',
    path: (e) => `/${e.id}/recover?since=2000-01-01T00:00:00Z`,
  },
  { action: 'test', label: 'test', ok: 201, method: 'post', path: (e) => `/${e.id}/test` },
];

/** Subscribing: an endpoint that receives no audit events is given the kind's types. */
const SUBSCRIBE: Variant = {
  action: 'update',
  label: 'update event_types to',
  ok: 200,
  method: 'patch',
  path: (e) => `/${e.id}`,
  body: (kind) => ({ event_types: kind === 'none' ? ['token.created'] : [kind] }),
};

const CHAINS: readonly Chain[] = ['business', 'platform'];

/** Every cell, grouped so that each (chain, route, kind) shares one endpoint while it can. */
const CASES = CHAINS.flatMap((chain) =>
  [...VARIANTS, SUBSCRIBE].flatMap((variant, v) =>
    [false, true].flatMap((audit) =>
      SCOPE_SETS.map((scopes, i) => ({
        chain,
        variant,
        kind: audit ? SPELLINGS[(v + i) % 2] : NONE,
        scopes,
      })),
    ),
  ),
);

describe.each(DRIVERS)('the webhook policy on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  const callers = new Map<string, Caller>();
  /** The endpoint the current group acts on, until a call changes it. */
  let current: { group: string; chain: Chain; endpoint: Endpoint } | null = null;

  beforeAll(async () => {
    // Delivery off: messages stay queued where the cases put them, and nothing is sent.
    t = await bootTestApp(driver, { WEBHOOK_DELIVERY: 'false' });
    biz = await createBusiness(t);
    for (const chain of CHAINS) {
      for (const scopes of SCOPE_SETS) {
        callers.set(`${chain} ${scopesLabel(scopes)}`, await callerWith(t, chain, biz, scopes));
      }
    }
  });
  afterAll(() => t?.close());

  const http = (chain: Chain, caller: Caller, method: Variant['method'], path: string) =>
    t.http()[method](`${WEBHOOKS_PATH[chain]}${path}`).set(caller);

  /** Drops the current endpoint: a chain keeps at most 20, and `create` must find room. */
  async function dropCurrent(): Promise<void> {
    if (!current) return;
    await t.sql('DELETE FROM webhook_endpoints WHERE id = ?', [current.endpoint.id]);
    current = null;
  }

  /** The group's endpoint, placed afresh when a call changed the last one. */
  async function endpointFor(chain: Chain, variant: Variant, kind: Kind): Promise<Endpoint> {
    const group = `${chain} ${variant.label} ${kind}`;
    if (current?.group === group) return current.endpoint;
    await dropCurrent();
    const types = variant === SUBSCRIBE ? ['token.revoked'] : typesOf(kind);
    const endpoint = await placeEndpoint(t, chain === 'business' ? biz.id : PLATFORM_CHAIN, types, {
      url: URL,
      disabled: variant.disabled,
    });
    current = { group, chain, endpoint };
    return endpoint;
  }

  /** What a refused call must leave as it was: the endpoint's row and its messages. */
  const stateOf = async (endpoint: Endpoint) => ({
    endpoint: await t.sql(
      'SELECT url, description, event_types, disabled_at, secret_sealed, updated_at ' +
        'FROM webhook_endpoints WHERE id = ?',
      [endpoint.id],
    ),
    messages: await t.sql(
      'SELECT id, status, next_attempt_at FROM webhook_messages WHERE endpoint_id = ? ORDER BY id',
      [endpoint.id],
    ),
    endpoints: (await t.sql('SELECT id FROM webhook_endpoints')).length,
  });

  it('has a route for every action of the table', () => {
    const covered = new Set(VARIANTS.map((v) => v.action));
    expect([...covered].sort()).toEqual(Object.keys(WEBHOOK_POLICY).sort());
  });

  it.each(CASES)(
    '$chain, $variant.label, endpoint receiving $kind, token $scopes',
    async ({ chain, variant, kind, scopes }) => {
      const endpoint = await endpointFor(chain, variant, kind);
      const needed = scopesNeeded(variant.action, kind !== 'none');
      const allowed = needed.every((scope) => scopesAllow(scopes, scope));
      // What a refused write must leave as it was.
      const before = allowed || variant.method === 'get' ? null : await stateOf(endpoint);

      const caller = callers.get(`${chain} ${scopesLabel(scopes)}`)!;
      let req = http(chain, caller, variant.method, variant.path(endpoint));
      if (variant.body) req = req.send(variant.body(kind));
      const res = await req;

      expect({ status: res.status, code: res.body.code }).toEqual(
        allowed ? { status: variant.ok, code: null } : { status: 403, code: 'INSUFFICIENT_SCOPE' },
      );
      if (before) expect(await stateOf(endpoint)).toEqual(before);
      if (!allowed) return;
      if (variant.action === 'create') {
        await t.sql('DELETE FROM webhook_endpoints WHERE id = ?', [res.body.data.id]);
      } else if (variant.action === 'update' || variant.action === 'delete') {
        await dropCurrent();
      }
    },
  );
});
