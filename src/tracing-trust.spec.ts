import {
  Context,
  defaultTextMapGetter,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import { core } from '@opentelemetry/sdk-node';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  markTrustedRequest,
  TrustedContextPropagator,
  UntrustedCallerLinker,
} from './tracing-trust';

// The pieces tracing.ts wires into the SDK, run on the real SDK (no HTTP instrumentation, which
// patches modules as they load: test/operations/processes/tracing.e2e-spec.ts runs them in a server process).

/** As the SDK builds it from OTEL_PROPAGATORS' default: W3C trace context and baggage. */
const sut = new TrustedContextPropagator(
  new core.CompositePropagator({
    propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()],
  }),
);

function caller(flags: '00' | '01') {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  const headers: Record<string, string> = {
    traceparent: `00-${traceId}-${spanId}-${flags}`,
    tracestate: 'vendor=chosen-by-caller',
    baggage: 'tenant=someone-else',
  };
  return { traceId, spanId, headers };
}

/** A request as the HTTP instrumentation hands it to its hook, with these headers. */
const requestWith = (headers: Record<string, string>) =>
  ({ headers }) as unknown as IncomingMessage;

/** The server span the HTTP instrumentation would start from a request, as it starts it. */
function serverSpan(
  headers: Record<string, string>,
  trusted: boolean,
  sampler = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(1) }),
) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    sampler,
    spanProcessors: [new UntrustedCallerLinker(), new SimpleSpanProcessor(exporter)],
  });
  markTrustedRequest(requestWith(headers), () => trusted);
  const ctx: Context = sut.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  const tracer = provider.getTracer('test');
  const span = tracer.startSpan('GET', { kind: SpanKind.SERVER }, ctx);
  // A span inside the request: a child of the server span, never linked itself.
  tracer.startSpan('handler', {}, trace.setSpan(ctx, span)).end();
  span.end();
  const [child, server] = exporter.getFinishedSpans();
  return { server, child, baggage: propagation.getBaggage(ctx) };
}

describe(TrustedContextPropagator.name, () => {
  it.each(['01', '00'] as const)(
    "from an untrusted caller (flag %s): a trace of its own, recorded, linked to the caller's span",
    (flags) => {
      const { traceId, spanId, headers } = caller(flags);
      const { server, child, baggage } = serverSpan(headers, false);
      expect(server).toBeDefined(); // sampled and exported, flag 00 or not
      expect(server.spanContext().traceId).not.toBe(traceId);
      expect(server.parentSpanContext).toBeUndefined();
      expect(server.links.map((l) => l.context)).toEqual([
        { traceId, spanId, traceFlags: 0, isRemote: true },
      ]);
      // Its tracestate and baggage are not taken either.
      expect(server.spanContext().traceState).toBeUndefined();
      expect(baggage).toBeUndefined();
      expect(child.spanContext().traceId).toBe(server.spanContext().traceId);
      expect(child.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
      expect(child.links).toEqual([]);
    },
  );

  it('from a trusted caller: its trace, its parent span, its tracestate and baggage', () => {
    const { traceId, spanId, headers } = caller('01');
    const { server, baggage } = serverSpan(headers, true);
    expect(server.spanContext().traceId).toBe(traceId);
    expect(server.parentSpanContext?.spanId).toBe(spanId);
    expect(server.links).toEqual([]);
    expect(server.spanContext().traceState?.get('vendor')).toBe('chosen-by-caller');
    expect(baggage?.getEntry('tenant')?.value).toBe('someone-else');
  });

  it("from a trusted caller with flag 00: the caller's choice not to record stands", () => {
    const { headers } = caller('00');
    expect(serverSpan(headers, true).server).toBeUndefined();
  });

  it("samples an untrusted caller's request as a new trace: a sampler that keeps none keeps none", () => {
    const { headers } = caller('01');
    const none = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0) });
    expect(serverSpan(headers, false, none).server).toBeUndefined();
  });

  it.each([
    ['no traceparent', {}],
    ['a malformed one', { traceparent: '00-zz-yy-01' }],
    ['the all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01` }],
  ])('with %s: a trace of its own and no link', (_what, headers: Record<string, string>) => {
    const { server } = serverSpan(headers, false);
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.links).toEqual([]);
  });

  it('honours only the headers it was told of, not an equal copy of them', () => {
    const { traceId, headers } = caller('01');
    markTrustedRequest(requestWith(headers), () => true);
    const copy = sut.extract(ROOT_CONTEXT, { ...headers }, defaultTextMapGetter);
    expect(trace.getSpanContext(copy)).toBeUndefined();
    expect(
      trace.getSpanContext(sut.extract(ROOT_CONTEXT, headers, defaultTextMapGetter))?.traceId,
    ).toBe(traceId);
  });
});
