/**
 * The built server (dist/src/main.js) as tracing tests need it, run as a child process with an
 * IPC channel (`node -r ts-node/register test/operations/traced-server.ts`).
 *
 * With TRACED_SERVER_SPANS=memory, tracing starts first with an in-memory exporter (main.ts's own
 * start then does nothing); otherwise main.ts alone decides, from the environment, as in
 * production. Over IPC it answers `'modules'` (the @opentelemetry modules in require.cache, who
 * first required each, and what the API's global holds) and `'spans'` (memory mode only). It
 * requires nothing before main.js but what tracing needs: require.cache is what the server loaded.
 */
import type { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { join } from 'node:path';

const DIST = join(__dirname, '..', '..', 'dist', 'src');

export interface SpanSummary {
  name: string;
  kind: number;
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  scope: string;
  attributes: Record<string, unknown>;
  /** The spans it links to (an untrusted caller's, for a request's root span). */
  links: { trace_id: string; span_id: string }[];
}

export interface LoadedModules {
  modules: { path: string; by: string | null }[];
  registered: string[];
}

export type TracedServerRequest = 'modules' | 'spans';

let exporter: InMemorySpanExporter | undefined;
if (process.env.TRACED_SERVER_SPANS === 'memory') {
  /* eslint-disable @typescript-eslint/no-require-imports -- only in memory mode, so that the
     other mode's require.cache shows what the server alone loaded */
  const base =
    require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const tracing = require(join(DIST, 'tracing.js')) as typeof import('../../src/tracing');
  /* eslint-enable @typescript-eslint/no-require-imports */
  exporter = new base.InMemorySpanExporter();
  tracing.startTracing(process.env, { spanProcessors: [new base.SimpleSpanProcessor(exporter)] });
}

function spans(): SpanSummary[] {
  return (exporter?.getFinishedSpans() ?? []).map((span) => ({
    name: span.name,
    kind: span.kind,
    trace_id: span.spanContext().traceId,
    span_id: span.spanContext().spanId,
    parent_span_id: span.parentSpanContext?.spanId ?? null,
    scope: span.instrumentationScope.name,
    attributes: { ...span.attributes },
    links: span.links.map((l) => ({ trace_id: l.context.traceId, span_id: l.context.spanId })),
  }));
}

function modules(): LoadedModules {
  const global = (globalThis as Record<symbol, object | undefined>)[
    Symbol.for('opentelemetry.js.api.1')
  ];
  return {
    modules: Object.entries(require.cache)
      .filter(([path]) => path.includes('/@opentelemetry/'))
      .map(([path, m]) => ({ path, by: m?.parent?.filename ?? null })),
    registered: Object.keys(global ?? {}).filter((k) => k !== 'version'),
  };
}

process.on('message', (request: TracedServerRequest) => {
  process.send!(request === 'modules' ? modules() : spans());
});

// eslint-disable-next-line @typescript-eslint/no-require-imports -- after tracing, by design
require(join(DIST, 'main.js'));
