import {
  Context,
  createContextKey,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanContext,
  TextMapGetter,
  TextMapPropagator,
  TextMapSetter,
  trace,
} from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import type { tracing } from '@opentelemetry/sdk-node';

/**
 * Which callers choose their own trace. Taken from anyone, a `traceparent` would let a caller
 * pick its trace id (to blend into another's trace, or collide with one) and turn sampling off
 * for its own requests. So the incoming context is honoured only from a trusted peer (a
 * TRUST_PROXY proxy, or anyone with OTEL_TRUST_INCOMING_CONTEXT=true); any other request starts a
 * trace of its own, linked to the caller's span context so the two can still be joined by hand.
 *
 * How: `startIncomingSpanHook` marks a trusted peer's headers; the propagator extracts from
 * marked headers as usual, and from others only the caller's span context, under a key of its
 * own, which the span processor turns into a link. Required by `tracing.ts` only once tracing
 * starts, so nothing here loads while it is off.
 */

/** The caller's span context, from a request whose context was not honoured. */
const UNTRUSTED_CALLER = createContextKey('latchkey.untrusted_caller');

/** The headers of requests from trusted peers: held weakly, gone with their request. */
const trustedHeaders = new WeakSet<object>();

/** The HTTP instrumentation's `startIncomingSpanHook`: marks a trusted peer's headers. */
export function markTrustedRequest(
  request: IncomingMessage,
  trusts: (request: IncomingMessage) => boolean,
): Record<string, never> {
  if (trusts(request)) trustedHeaders.add(request.headers);
  return {}; // no attributes
}

/** The SDK's propagator, honoured for marked carriers only. */
export class TrustedContextPropagator implements TextMapPropagator {
  constructor(private readonly inner: TextMapPropagator) {}

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    this.inner.inject(context, carrier, setter);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    if (typeof carrier === 'object' && carrier !== null && trustedHeaders.has(carrier)) {
      return this.inner.extract(context, carrier, getter);
    }
    const caller = trace.getSpanContext(this.inner.extract(ROOT_CONTEXT, carrier, getter));
    if (!caller || !isSpanContextValid(caller)) return context;
    // Its ids only: not its sampled flag, not its tracestate, not its baggage.
    const { traceId, spanId } = caller;
    return context.setValue(UNTRUSTED_CALLER, { traceId, spanId, traceFlags: 0, isRemote: true });
  }

  fields(): string[] {
    return this.inner.fields();
  }
}

/** Links a root span started for an untrusted caller to the caller's own span. */
export class UntrustedCallerLinker implements tracing.SpanProcessor {
  onStart(span: tracing.Span, parentContext: Context): void {
    // A span with a parent is inside the request's own trace: the root alone holds the link.
    if (trace.getSpan(parentContext)) return;
    const caller = parentContext.getValue(UNTRUSTED_CALLER) as SpanContext | undefined;
    if (caller) span.addLink({ context: caller });
  }

  onEnd(): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
