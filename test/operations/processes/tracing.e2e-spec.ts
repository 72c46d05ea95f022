import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startAppProcess } from '../../harness/app-process';
import { LatchkeyClient } from '../../harness/latchkey-client';
import { buildApp } from '../../harness/app-cluster';
import { createTestDatabase, TestDatabase } from '../../harness/app/test-app';
import type { LoadedModules, SpanSummary, TracedServerRequest } from '../traced-server';
import { DRIVERS } from '../../setup/servers';
import { lastReading } from '../../harness/patience';

const TIMEOUT_MS = 180_000;
const SERVER_SPAN = 1; // SpanKind.SERVER
const HTTP_SCOPE = '@opentelemetry/instrumentation-http';
const NEST_SCOPE = '@opentelemetry/instrumentation-nestjs-core';
const PG_SCOPE = '@opentelemetry/instrumentation-pg';

interface Traced {
  child: ChildProcess;
  url: string;
  platformToken: string;
  exit: Promise<number | null>;
  output(): string;
  ask<T>(request: TracedServerRequest): Promise<T>;
  /** The JSON log lines so far. */
  lines(): Record<string, unknown>[];
}

/**
 * The server's log line of the request that sent `requestId`, once it is written (a line reaches
 * the test through the child's stdout, after the answer): undefined if it never is.
 */
function logLine(server: Traced, requestId: string): Promise<Record<string, unknown> | undefined> {
  const line = () => server.lines().find((l) => l.client_request_id === requestId);
  return lastReading(line, (found) => found !== undefined);
}

/** Starts test/operations/traced-server.ts (the built main.js, IPC attached) and waits for listen. */
async function startTraced(env: Record<string, string>): Promise<Traced> {
  const app = await startAppProcess({
    name: 'traced',
    nodeArgs: ['-r', 'ts-node/register', join('test', 'operations', 'traced-server.ts')],
    ipc: true,
    env: {
      TS_NODE_TRANSPILE_ONLY: '1',
      LOG_LEVEL: 'info',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
      ...env,
    },
  });
  const child = app.child.proc;
  const exit = app.child.exited;
  const out = () => app.child.output();
  const platformToken = app.platformToken;
  if (!platformToken) throw new Error(`no platform token printed:\n${out()}`);
  return {
    child,
    url: app.url,
    platformToken,
    exit,
    output: out,
    ask: <T>(request: TracedServerRequest) => {
      const answer = once(child, 'message').then(([m]) => m as T);
      child.send(request);
      return answer;
    },
    lines: () =>
      out()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** The spans the server has recorded so far of the trace `traceId`. */
async function spansOf(server: Traced, traceId: string): Promise<SpanSummary[]> {
  return (await server.ask<SpanSummary[]>('spans')).filter((s) => s.trace_id === traceId);
}

/** A W3C traceparent from a caller that is itself traced: its trace id and its span's id. */
function incomingTrace(flags: '01' | '00' = '01') {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, traceparent: `00-${traceId}-${parentId}-${flags}` };
}

/** An OTLP collector stand-in: answers 200 to every POST and keeps what it was sent. */
async function otlpSink(): Promise<{
  server: Server;
  url: string;
  posts: { path: string; body: Buffer }[];
}> {
  const posts: { path: string; body: Buffer }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts };
}

describe('tracing', () => {
  const servers: Traced[] = [];
  const databases: TestDatabase[] = [];
  beforeAll(() => buildApp(), TIMEOUT_MS);
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
      await s.exit;
    }
    for (const db of databases.splice(0)) await db.drop();
  });

  async function start(driver: 'sqlite' | 'postgres', env: Record<string, string> = {}) {
    const db = await createTestDatabase(driver);
    databases.push(db);
    const server = await startTraced({ ...db.env, ...env });
    servers.push(server);
    const client = new LatchkeyClient(server.url);
    const owner = await client.createBusiness(server.platformToken, 'trace');
    return { server, client, owner };
  }

  it(
    'is off without OTEL_EXPORTER_OTLP_ENDPOINT: the server loads nothing of OpenTelemetry (but the API facade prom-client needs), registers nothing, logs no trace id',
    async () => {
      const { server, client, owner } = await start('sqlite');
      const trace = incomingTrace();
      const me = await client.request('GET', '/api/v1/me', {
        headers: {
          authorization: `Bearer ${owner.ownerToken}`,
          'x-business-id': owner.businessId,
          'x-request-id': 'untraced',
          traceparent: trace.traceparent,
        },
      });
      expect(me.status).toBe(200);
      // prom-client 15 requires @opentelemetry/api (a no-op facade) for its exemplars; nothing
      // else of OpenTelemetry loads, and nothing is registered with that facade.
      const loaded = await server.ask<LoadedModules>('modules');
      expect(loaded.modules.filter((m) => !m.path.includes('/@opentelemetry/api/'))).toEqual([]);
      const api = loaded.modules.find((m) =>
        m.path.endsWith('/@opentelemetry/api/build/src/index.js'),
      );
      if (api) expect(api.by).toMatch(/\/node_modules\/prom-client\//);
      expect(loaded.registered).toEqual([]);
      const line = await logLine(server, 'untraced');
      expect(line).toEqual(expect.objectContaining({ url: '/api/v1/me', status: 200 }));
      expect(line).not.toHaveProperty('trace_id');
      expect(server.output()).not.toContain(trace.traceId);
    },
    TIMEOUT_MS,
  );

  it(
    'with OTEL_EXPORTER_OTLP_ENDPOINT set and OTEL_TRUST_INCOMING_CONTEXT=true: honours any caller’s traceparent, logs the trace id beside the request id, and exports over OTLP before it exits',
    async () => {
      const sink = await otlpSink();
      try {
        const { server, client, owner } = await start('sqlite', {
          OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
          OTEL_TRUST_INCOMING_CONTEXT: 'true',
        });
        const loaded = await server.ask<LoadedModules>('modules');
        expect(loaded.modules.map((m) => m.path)).toEqual(
          expect.arrayContaining([
            expect.stringContaining('/@opentelemetry/sdk-node/'),
            expect.stringContaining('/@opentelemetry/instrumentation-pg/'),
          ]),
        );
        expect(loaded.registered).toEqual(
          expect.arrayContaining(['trace', 'context', 'propagation']),
        );
        const trace = incomingTrace();
        const me = await client.request('GET', '/api/v1/me', {
          headers: {
            authorization: `Bearer ${owner.ownerToken}`,
            'x-business-id': owner.businessId,
            'x-request-id': 'traced',
            traceparent: trace.traceparent,
          },
        });
        expect(me.status).toBe(200);
        const line = await logLine(server, 'traced');
        expect(line).toEqual(
          expect.objectContaining({
            url: '/api/v1/me',
            trace_id: trace.traceId,
            span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
          }),
        );
        expect(line!.span_id).not.toBe(trace.parentId);

        // The batch exporter waits 5 s between exports; the shutdown flushes what it holds.
        expect(
          sink.posts.filter((p) => p.body.includes(Buffer.from(trace.traceId, 'hex'))),
        ).toEqual([]);
        server.child.kill('SIGTERM');
        expect(await server.exit).toBe(0);
        const exported = sink.posts.filter((p) =>
          p.body.includes(Buffer.from(trace.traceId, 'hex')),
        );
        expect(exported.map((p) => p.path)).toEqual(['/v1/traces']);
        expect(exported[0].body.includes(Buffer.from(owner.ownerToken))).toBe(false);
      } finally {
        await new Promise((resolve) => sink.server.close(resolve));
      }
    },
    TIMEOUT_MS,
  );

  it(
    'without a trusted proxy: a caller’s trace is never the parent of a span, flag 00 does not stop the export, and the caller’s span is a link',
    async () => {
      const { server, client, owner } = await start('sqlite', { TRACED_SERVER_SPANS: 'memory' });
      const calls = [incomingTrace('01'), incomingTrace('00')];
      for (const [i, call] of calls.entries()) {
        const me = await client.request('GET', '/api/v1/me', {
          headers: {
            authorization: `Bearer ${owner.ownerToken}`,
            'x-business-id': owner.businessId,
            'x-request-id': `untrusted-${i}`,
            traceparent: call.traceparent,
            tracestate: 'vendor=chosen-by-caller',
          },
        });
        expect(me.status).toBe(200);
      }
      const linkedTo = (all: SpanSummary[], call: { traceId: string }) =>
        all.filter((s) => s.links.some((l) => l.trace_id === call.traceId));
      const spans = await lastReading(
        () => server.ask<SpanSummary[]>('spans'),
        (all) => calls.every((c) => linkedTo(all, c).length > 0),
      );
      // Neither caller's trace id nor span id appears but in a link.
      expect(spans.filter((s) => calls.some((c) => s.trace_id === c.traceId))).toEqual([]);
      expect(spans.filter((s) => calls.some((c) => s.parent_span_id === c.parentId))).toEqual([]);
      for (const [i, call] of calls.entries()) {
        // Recorded and exported, flag 00 or not: a new trace, sampled as the SDK samples one.
        const [root] = linkedTo(spans, call);
        expect(linkedTo(spans, call)).toEqual([
          expect.objectContaining({
            scope: HTTP_SCOPE,
            kind: SERVER_SPAN,
            parent_span_id: null,
            links: [{ trace_id: call.traceId, span_id: call.parentId }],
          }),
        ]);
        const own = spans.filter((s) => s.trace_id === root.trace_id);
        expect(own.filter((s) => s.scope === NEST_SCOPE).length).toBeGreaterThan(0);
        expect(own.filter((s) => s.links.length > 0)).toEqual([root]);
        const line = await logLine(server, `untrusted-${i}`);
        expect(line).toEqual(expect.objectContaining({ trace_id: root.trace_id }));
      }
    },
    TIMEOUT_MS,
  );

  describe.each(DRIVERS)('spans, on %s', (driver) => {
    it(
      'no span attribute carries a token from the URL: access_token, token, another name, or the path',
      async () => {
        // A hop count trusts the peer as the first proxy: its traceparent groups the spans.
        const { server, client, owner } = await start(driver, {
          TRACED_SERVER_SPANS: 'memory',
          TRUST_PROXY: '1',
        });
        const secret = owner.ownerToken;
        const trace = incomingTrace();
        const paths = [
          `/api/v1/tokens?access_token=${secret}&limit=5`,
          `/api/v1/tokens?token=${encodeURIComponent(secret)}`,
          `/api/v1/tokens?q=${secret}`,
          `/api/v1/tokens/${secret}`,
        ];
        for (const path of paths) {
          await client.request('GET', path, {
            headers: {
              authorization: `Bearer ${owner.ownerToken}`,
              'x-business-id': owner.businessId,
              traceparent: trace.traceparent,
            },
          });
        }
        const spans = await lastReading(
          () => spansOf(server, trace.traceId),
          (all) => all.filter((s) => s.scope === HTTP_SCOPE).length >= paths.length,
        );
        expect(spans.filter((s) => s.scope === HTTP_SCOPE)).toHaveLength(paths.length);
        const recorded = JSON.stringify(spans);
        expect(recorded).toContain('access_token=[REDACTED]');
        expect(recorded).not.toContain(secret.slice(3));
      },
      TIMEOUT_MS,
    );

    it(
      'one authenticated request from a trusted proxy gives the HTTP, Nest and (on PostgreSQL) pg spans of one trace, under the proxy’s span',
      async () => {
        // The test's client connects from 127.0.0.1: the proxy TRUST_PROXY names.
        const { server, client, owner } = await start(driver, {
          TRACED_SERVER_SPANS: 'memory',
          TRUST_PROXY: '127.0.0.1',
        });
        const trace = incomingTrace();
        const list = await client.request('GET', '/api/v1/tokens', {
          headers: {
            authorization: `Bearer ${owner.ownerToken}`,
            'x-business-id': owner.businessId,
            traceparent: trace.traceparent,
          },
        });
        expect(list.status).toBe(200);

        const spans = await lastReading(
          () => spansOf(server, trace.traceId),
          (all) => all.some((s) => s.scope === HTTP_SCOPE),
        );
        const http = spans.filter((s) => s.scope === HTTP_SCOPE);
        expect(http).toEqual([
          expect.objectContaining({ kind: SERVER_SPAN, parent_span_id: trace.parentId }),
        ]);
        const nest = spans.filter((s) => s.scope === NEST_SCOPE);
        expect(nest.length).toBeGreaterThan(0);
        // Every span of the request hangs, through its parents, from the HTTP server span.
        const byId = new Map(spans.map((s) => [s.span_id, s]));
        const root = (s: SpanSummary): SpanSummary =>
          s.parent_span_id && byId.has(s.parent_span_id) ? root(byId.get(s.parent_span_id)!) : s;
        expect(new Set(spans.map((s) => root(s).span_id))).toEqual(new Set([http[0].span_id]));

        const pg = spans.filter((s) => s.scope === PG_SCOPE);
        if (driver === 'postgres') {
          expect(pg.length).toBeGreaterThan(0);
          // The statement's text, never its parameters.
          const recorded = JSON.stringify(pg.map((s) => s.attributes));
          expect(recorded).not.toContain(owner.ownerToken);
          expect(recorded).not.toContain(owner.businessId);
        } else {
          // better-sqlite3 has no instrumentation: SQLite queries give no span.
          expect(pg).toEqual([]);
        }
      },
      TIMEOUT_MS,
    );
  });
});
