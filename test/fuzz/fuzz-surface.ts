import fc from 'fast-check';
import type { Response } from 'supertest';
import { asMember } from '../factories/tenancy.factory';
import { problemWith } from './fuzz-oracle';
import { build, Sent, World } from './fuzz-request';
import { FuzzWorlds } from './fuzz-fixtures';
import {
  allFieldNames,
  Caller,
  CALLERS,
  OpenApiSpec,
  Operation,
  operationsOf,
  RAW_BODIES,
  rawBody,
  RawMode,
  Repeated,
  RequestCase,
  requestCase,
  validRequest,
  Value,
} from './openapi-fuzz';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { sample, sampledCount } from '../harness/sampling';
import type { Driver } from '../setup/servers';

/**
 * Hostile input at the boundary: every operation of the OpenAPI spec, with requests built from
 * its schemas and then broken (wrong types, missing and extra fields, bounds, ill-formed
 * Unicode, NUL, huge numbers, tampered cursors, deep nesting, each field in every place, raw
 * bodies), sent as an owner, an admin, a member and a platform admin. Whatever comes in, the
 * answer is never a 5xx, every 4xx has the error shape (RFC 6749's on /oauth2/*), and every
 * audit chain still verifies afterwards.
 *
 * Bounded and reproducible: a fixed seed (FUZZ_SEED overrides it) and FUZZ_RUNS runs. A failure
 * names the seed and the exact request, without any secret.
 */

const intFromEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be an integer, not ${raw}`);
  return n;
};

const SEED = intFromEnv('FUZZ_SEED', 424242);
/** fast-check's `path` of a reported counterexample, to replay that one case. */
const REPLAY_PATH = process.env.FUZZ_PATH || undefined;
/**
 * Runs of the property; each sends one request as all four callers: 400 in `npm run test:full`,
 * 100 in `npm test` (test/harness/sampling.ts), FUZZ_RUNS when set.
 */
const RUNS = process.env.FUZZ_RUNS
  ? intFromEnv('FUZZ_RUNS', 400)
  : sampledCount('property runs (FUZZ_SEED fixed)', 100, 400);
const REQUEST_TIMEOUT_MS = 15_000;
/**
 * Guards against a hang, not measures of speed: the suite runs beside the other lanes' suites
 * (test/setup/lanes-runner.js). The sweep takes about a minute here alone, and passed five minutes
 * on a machine kept busy by other work (2026-11-29).
 */
const SWEEP_TIMEOUT_MS = 900_000;
const PROPERTY_TIMEOUT_MS = SWEEP_TIMEOUT_MS + RUNS * 250;
/**
 * The share of 2xx answers below which the run says too little: a broken setup (a suspended
 * business, a revoked token) answers 4xx alone. The share of a healthy run moves with the
 * operations its seed draws: 0.18 to 0.25 between seeds over 141 operations (2026-11-29).
 */
const MIN_SUCCESS_SHARE = 0.1;

/** Every raw body of the helper, each sent to every operation that reads one. */
const RAW_MODES = Object.keys(RAW_BODIES) as RawMode[];

/** Anything shaped as a token secret (DESIGN, "Token secret"). */
const SECRET_TEXT = /lk_[0-9A-Za-z]{36}/g;

/**
 * The operations after which the world is as it was: reads, creates, resumes. Not a token's
 * PATCH: it may narrow the callers' own tokens (scopes, networks, uses), which FuzzWorlds'
 * `stillWhole` looks for.
 */
const KEEPS_WORLD = new Set([
  'POST /api/v1/tokens',
  'POST /api/v1/members',
  'POST /api/v1/members/{identity_id}/token',
  'POST /api/v1/machine-identities',
  'POST /platform/v1/businesses',
  'POST /platform/v1/businesses/{business_id}/resume',
  'POST /platform/v1/admins',
  'POST /oauth2/introspect',
]);

/** An answer that breaks an invariant: what, on which operation and caller, and the replay. */
interface Finding {
  problem: string;
  op: string;
  caller: Caller;
  /** The request and its answer, to replay by hand. */
  replay: string;
}

/** What one phase sent and got: the sweep of fixed cases, or the property's runs. */
interface Tally {
  requests: number;
  ok: number;
  clientErrors: number;
}

const newTally = (): Tally => ({ requests: 0, ok: 0, clientErrors: 0 });

const percent = (n: number, of: number) => `${((100 * n) / Math.max(of, 1)).toFixed(1)}%`;

/**
 * The operations the sweep sends every raw body to: a third of them in `npm test`, chosen by the
 * run's seed (test/harness/sampling.ts), every one in `npm run test:full`. The property's runs
 * still draw from every operation.
 */
const SWEPT_SHARE = 1 / 3;

/** Operations a reader looks for first, swept whatever the seed. */
const ALWAYS_SWEPT = new Set([
  'POST /api/v1/tokens',
  'POST /api/v1/tokens/{token_id}/rotate',
  'GET /platform/v1/tokens',
  'POST /oauth2/revoke',
  'GET /api/v1/audit-events/verify',
]);

/**
 * The suite on one driver, one file each (fuzz.e2e-spec.ts, fuzz-postgres.e2e-spec.ts), so that
 * the two run side by side.
 */
export function fuzzTheSurface(driver: Driver): void {
  let t: TestApp;
  let ops: Operation[];
  let fieldNames: string[];
  let world: World;
  let worlds: FuzzWorlds;
  const tallies = { sweep: newTally(), property: newTally() };
  let tally = tallies.sweep;
  /** The operations that got at least one request. */
  const reached = new Set<string>();
  /** Chains the final check read with their owner's token; the platform admin read the rest. */
  let verifiedByOwner = 0;

  beforeAll(async () => {
    t = await bootTestApp(driver, {
      TOKEN_CACHE_TTL_MS: '0',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
      RATE_LIMIT_OAUTH_PER_MINUTE: '0',
      RATE_LIMIT_CLIENT_REGISTRATIONS_PER_HOUR: '0',
      MAX_ACTIVE_TOKENS_PER_IDENTITY: '0',
    });
    const res = await t.http().get('/docs-json').expect(200);
    ops = operationsOf(res.body as OpenApiSpec);
    fieldNames = allFieldNames(ops);
    worlds = new FuzzWorlds(t);
    world = await worlds.build();
  });
  afterAll(async () => {
    const { sweep, property } = tallies;
    process.stdout.write(
      `fuzz on ${driver}: seed ${SEED}, ${RUNS} runs; property ${property.requests} requests ` +
        `(2xx ${percent(property.ok, property.requests)}, ` +
        `4xx ${percent(property.clientErrors, property.requests)}); ` +
        `sweep ${sweep.requests} requests; ${worlds.count} worlds; ` +
        `${worlds.chains.length} business chains (${verifiedByOwner} verified as their owner)\n`,
    );
    await t?.close();
  });

  const platform = () => ({ authorization: `Bearer ${t.platformToken}` });

  /** Every secret the run knows, named, so that none is ever printed. */
  function knownSecrets(w: World): Map<string, string> {
    const secrets = new Map<string, string>();
    for (const [name, token] of Object.entries(w.tokens))
      secrets.set(token.secret, `${name} token`);
    secrets.set(w.auditor, 'auditor token');
    secrets.set(t.platformToken, 'bootstrap platform token');
    return secrets;
  }

  async function send(sent: Sent): Promise<Response> {
    let req = t.http()[sent.method](sent.url).timeout(REQUEST_TIMEOUT_MS);
    for (const [name, value] of Object.entries(sent.headers)) req = req.set(name, value);
    const res = await (sent.body === null ? req : req.send(sent.body));
    tally.requests++;
    if (res.status >= 200 && res.status < 300) tally.ok++;
    if (res.status >= 400 && res.status < 500) tally.clientErrors++;
    reached.add(sent.op.key);
    return res;
  }

  /** The request and answer, to replay by hand: no Authorization value, no secret. */
  function replay(sent: Sent, res: Response, w: World): string {
    const redact = (text: string) => {
      let out = text;
      for (const [secret, name] of knownSecrets(w)) out = out.split(secret).join(`<${name}>`);
      // Secrets made by the request itself (a create, a rotation) are no less secret.
      return out.replace(SECRET_TEXT, '<a new secret>');
    };
    const clip = (text: string) =>
      text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text;
    const headers = { ...sent.headers };
    if (headers.authorization !== undefined) {
      headers.authorization = `<${sent.auth}: ${sent.caller}'s token>`;
    }
    return [
      `  driver: ${driver}; replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}, or FUZZ_PATH=<path> for this case alone`,
      `  caller: ${sent.caller}; auth: ${sent.auth}${sent.auth === 'in-query' ? ' (access_token=<token> in the query)' : ''}`,
      `  request: ${sent.method.toUpperCase()} ${clip(redact(sent.url))}`,
      `  headers: ${JSON.stringify(headers)}`,
      `  body (exact text, as a JSON string): ${sent.body === null ? '(none)' : clip(redact(JSON.stringify(sent.body)))}`,
      `  answer: ${res.status} ${clip(redact(res.text ?? ''))}`,
    ].join('\n');
  }

  /**
   * Sends `c` as each of its callers, in a world that still holds, and returns what is wrong
   * with the answers (each a printable report).
   */
  async function exchange(c: RequestCase, firstOnly: boolean): Promise<Finding[]> {
    const op = ops.find((o) => o.key === c.op)!;
    if (world.dirty && !(await worlds.stillWhole(world))) world = await worlds.build();
    world.dirty = false;
    const w = world;
    const findings: Finding[] = [];
    for (const caller of c.callers) {
      const sent = build(op, c, caller, w);
      const res = await send(sent);
      const problem = problemWith(sent, res, knownSecrets(w));
      if (problem) {
        findings.push({ problem, op: op.key, caller, replay: replay(sent, res, w) });
        if (firstOnly) break;
      }
      if (res.status < 300 && !(op.method === 'get' || KEEPS_WORLD.has(op.key))) w.dirty = true;
    }
    return findings;
  }

  it('reads every operation of the spec, and can build requests for each', () => {
    expect(ops.length).toBeGreaterThanOrEqual(30);
    for (const op of ops) {
      expect(fc.sample(requestCase(op, fieldNames), { seed: SEED, numRuns: 3 })).toHaveLength(3);
    }
    expect(ops.map((o) => o.key)).toEqual(expect.arrayContaining([...ALWAYS_SWEPT]));
  });

  it(
    'answers a valid request on every operation, and raw bodies before the token: 415 for ' +
      'forms (outside /oauth2) and text, 400 for malformed or deep JSON, 413 past 1 MiB',
    async () => {
      tally = tallies.sweep;
      /** Findings by problem and case, so that one cause reads as one entry. */
      const findings = new Map<string, Finding[]>();
      const sweep = async (label: string, c: RequestCase) => {
        for (const finding of await exchange(c, false)) {
          const key = `${finding.problem} (${label})`;
          findings.set(key, [...(findings.get(key) ?? []), finding]);
        }
      };
      const swept = sample('operations swept', ops, Math.ceil(ops.length * SWEPT_SHARE), {
        always: (op) => ALWAYS_SWEPT.has(op.key),
        testsPerRow: 0,
        unit: 'operations',
      });
      for (const [i, op] of swept.entries()) {
        const [valid] = fc.sample(validRequest(op), { seed: SEED, numRuns: 1 });
        await sweep('a valid request', valid);
        // A request line past Node's 16 KiB header limit, refused before any route is chosen,
        // so one caller is enough (and each such answer costs a connection).
        const pad: [string, Value] = ['pad', new Repeated('a', 20_000)];
        await sweep('a URL past 16 KiB', {
          ...valid,
          query: [...valid.query, pad],
          callers: [CALLERS[i % CALLERS.length]],
        });
        // Fastify does not read a GET's body, so the order of checks says nothing there.
        if (op.method === 'get') continue;
        for (const mode of RAW_MODES) {
          // Past the body limit, Fastify answers before routing too: one caller, for 1 MiB each.
          const callers = mode === 'huge' ? [CALLERS[i % CALLERS.length]] : valid.callers;
          await sweep(`a ${mode} body`, { ...valid, body: rawBody(mode), callers });
        }
      }
      expect(reached).toEqual(new Set(swept.map((o) => o.key)));
      // Every finding at once, each with one request in full: one must not hide the others.
      const text = [...findings].map(([key, all]) => {
        const opKeys = [...new Set(all.map((f) => f.op))];
        const callers = [...new Set(all.map((f) => f.caller))];
        return `${key}\n  on ${opKeys.join(', ')}\n  as ${callers.join(', ')}; the first:\n${all[0].replay}`;
      });
      if (text.length > 0) throw new Error(`${text.length} findings:\n\n${text.join('\n\n')}`);
    },
    SWEEP_TIMEOUT_MS,
  );

  it(
    'answers valid and broken requests on every operation, as every caller, without a 5xx ' +
      'and in the error shape',
    async () => {
      tally = tallies.property;
      const cases = fc.constantFrom(...ops).chain((op) => requestCase(op, fieldNames));
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          const [finding] = await exchange(c, true);
          if (finding) throw new Error(`${finding.problem}\n${finding.replay}`);
        }),
        { seed: SEED, numRuns: RUNS, path: REPLAY_PATH },
      );
      if (REPLAY_PATH) return; // one case replayed: no share to speak of
      const { requests, ok } = tallies.property;
      expect(requests).toBeGreaterThanOrEqual(RUNS * CALLERS.length);
      // A run whose setup broke early (a suspended business, a revoked token) answers only 4xx.
      expect(ok / requests).toBeGreaterThanOrEqual(MIN_SUCCESS_SHARE);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'leaves every audit chain valid',
    async () => {
      const verify = (headers: Record<string, string>) =>
        t.http().get('/api/v1/audit-events/verify').set(headers).timeout(REQUEST_TIMEOUT_MS);
      for (const chain of worlds.chains) {
        let res = await verify(asMember(chain.ownerToken, chain.id));
        if (res.status === 403 && res.body.code === 'BUSINESS_SUSPENDED') {
          await t
            .http()
            .post(`/platform/v1/businesses/${chain.id}/resume`)
            .set(platform())
            .expect(200);
          res = await verify(asMember(chain.ownerToken, chain.id));
        }
        if (res.status === 200) {
          verifiedByOwner++;
        } else {
          // The fuzzer revoked the owner's token, removed the owner or demoted them: a platform
          // admin reads any business's chain.
          res = await verify({ ...platform(), 'x-business-id': chain.id });
        }
        expect({ business: chain.id, status: res.status, code: res.body.code }).toEqual({
          business: chain.id,
          status: 200,
          code: null,
        });
        expect(res.body.data).toMatchObject({ valid: true, first_invalid_seq: null });
      }
      const res = await t
        .http()
        .get('/platform/v1/audit-events/verify')
        .set(platform())
        .expect(200);
      expect(res.body.data).toMatchObject({ valid: true, first_invalid_seq: null });
    },
    60_000 + RUNS * 25,
  );
}
