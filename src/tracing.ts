import type { NodeSDK, NodeSDKConfiguration, tracing } from '@opentelemetry/sdk-node';
import type { IncomingMessage } from 'node:http';
import { redactUrl } from './common/errors/safe-error';

type SpanProcessor = tracing.SpanProcessor;
type Span = tracing.Span;
type ReadableSpan = tracing.ReadableSpan;

/**
 * OpenTelemetry tracing over OTLP, on only when an OTLP endpoint is set and OTEL_SDK_DISABLED is
 * not `true`; off, no `@opentelemetry` module loads (each is required inside `startTracing`).
 * The instrumentations patch `http`, `pg`, `ioredis` and `@nestjs/core` as they are required, so
 * `tracing-preload.ts`, main.ts's first import, starts the SDK before any of them loads; for the
 * same reason this module reads `process.env` itself, before the config is loaded.
 *
 * Spans carry no header and no body (so never the Authorization header), URLs masked as the
 * request log masks them, and SQL without its parameters, where token hashes travel. A caller's
 * trace context is honoured only from a trusted peer (tracing-trust.ts).
 */

export interface TraceIds {
  trace_id: string;
  span_id: string;
}

export interface TracingOptions {
  /** Replaces the exporter the `OTEL_*` variables describe (tests use an in-memory one). */
  spanProcessors?: NodeSDKConfiguration['spanProcessors'];
}

let sdk: NodeSDK | undefined;
let activeSpanIds: (() => TraceIds | undefined) | undefined;
/** Whose incoming trace context is honoured; none until the config says (tracing-trust.ts). */
let trustsIncoming: (request: IncomingMessage) => boolean = () => false;

/**
 * Sets which requests' `traceparent`, `tracestate` and `baggage` are honoured (a trusted
 * proxy's, from TRUST_PROXY and OTEL_TRUST_INCOMING_CONTEXT); any other request starts a trace
 * of its own, linked to the caller's. The start calls it once the config is read; before, no
 * request is trusted.
 */
export function trustIncomingContext(trusts: (request: IncomingMessage) => boolean): void {
  trustsIncoming = trusts;
}

/** Whether the environment asks for traces. */
export function tracingEnabled(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the SDK when `env` asks for traces or `options` brings its own span processors. Once
 * started, a later call does nothing, so a test may start it before `main.ts` does.
 */
export function startTracing(env: NodeJS.ProcessEnv, options: TracingOptions = {}): boolean {
  if (sdk) return true;
  if (!options.spanProcessors && !tracingEnabled(env)) return false;
  /* eslint-disable @typescript-eslint/no-require-imports -- required here, not imported, so
     that nothing of OpenTelemetry loads while tracing is off */
  const otel = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } =
    require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } =
    require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } =
    require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  const { NestInstrumentation } =
    require('@opentelemetry/instrumentation-nestjs-core') as typeof import('@opentelemetry/instrumentation-nestjs-core');
  // What NodeSDK builds from the OTEL_* variables when given no processors: it has no way to
  // add one to those, and the URL redactor must run before every exporter.
  const { getSpanProcessorsFromEnv, getPropagatorFromEnv } =
    require('@opentelemetry/sdk-node/build/src/utils') as typeof import('@opentelemetry/sdk-node/build/src/utils');
  const { markTrustedRequest, TrustedContextPropagator, UntrustedCallerLinker } =
    require('./tracing-trust') as typeof import('./tracing-trust');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { resources, api, core } = otel;
  // The propagator OTEL_PROPAGATORS names (the SDK's default when unset: W3C trace context and
  // baggage), honoured for trusted callers only; `none` leaves nothing to honour.
  const fromEnv = getPropagatorFromEnv();
  const propagator =
    fromEnv === null
      ? null
      : new TrustedContextPropagator(
          fromEnv ??
            new core.CompositePropagator({
              propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()],
            }),
        );
  sdk = new otel.NodeSDK({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, read by the SDK, override this name.
    resource: resources
      .defaultResource()
      .merge(resources.resourceFromAttributes({ 'service.name': 'latchkey' })),
    // The redactor first, so every exporter after it sees the URL attributes masked. Without
    // processors of its own, the SDK would build them from the OTEL_* variables: so do we.
    spanProcessors: [
      new UrlRedactor(),
      new UntrustedCallerLinker(),
      ...(options.spanProcessors ?? getSpanProcessorsFromEnv(undefined)),
    ],
    textMapPropagator: propagator,
    // Traces only: metrics are Prometheus's (/metrics), and logs go to stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => req.url?.startsWith('/health') ?? false,
        // Called before the context is extracted from the request's headers: see tracing-trust.ts.
        startIncomingSpanHook: (req) => markTrustedRequest(req, trustsIncoming),
      }),
      new NestInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  activeSpanIds = () => {
    const span = api.trace.getSpan(api.context.active());
    if (!span) return undefined;
    const { traceId, spanId } = span.spanContext();
    return { trace_id: traceId, span_id: spanId };
  };
  return true;
}

/**
 * The reader of the active span's ids for log lines, or undefined while tracing is off, so that
 * a caller with nothing to read calls nothing.
 */
export function spanIdsReader(): (() => TraceIds | undefined) | undefined {
  return activeSpanIds;
}

/** Exports the spans still buffered and stops the SDK; nothing when tracing is off. */
export async function stopTracing(): Promise<void> {
  const stopping = sdk;
  sdk = undefined;
  activeSpanIds = undefined;
  await stopping?.shutdown();
}

/** The span attributes that hold a request's URL or part of it, in old and stable semconv. */
const URL_ATTRIBUTES = ['url.full', 'url.query', 'url.path', 'http.target', 'http.url'];

/**
 * Masks credentials in every span's URL attributes as the request log masks its URL
 * (`redactUrl`): `?access_token=…` and anything token-shaped. At start, where the HTTP and Nest
 * instrumentations set them, and again at the end, for one set later.
 */
class UrlRedactor implements SpanProcessor {
  onStart(span: Span): void {
    const attributes = (span as unknown as ReadableSpan).attributes;
    for (const key of URL_ATTRIBUTES) {
      const value = attributes[key];
      if (typeof value === 'string') span.setAttribute(key, redactUrl(value));
    }
  }

  onEnd(span: ReadableSpan): void {
    const attributes = span.attributes as Record<string, unknown>;
    for (const key of URL_ATTRIBUTES) {
      const value = attributes[key];
      if (typeof value === 'string') attributes[key] = redactUrl(value);
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
