import { METHOD_METADATA } from '@nestjs/common/constants';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  preSerializationHookHandler,
} from 'fastify';
import { envelope, RAW_RESPONSE } from './envelope';
import { settledJson } from '../settled-answer';

const asWritten = (json: string) => json;

/**
 * Wraps a success answer's payload in the envelope; an error answer already has its shape. A
 * settled answer's text was written once (`settledAnswer`) and goes out as it is.
 */
const wrap: preSerializationHookHandler<unknown> = (
  _request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (err: null, value: unknown) => void,
) => {
  if (reply.statusCode >= 400) return done(null, payload);
  const json = settledJson(payload);
  if (json === undefined) return done(null, envelope(payload));
  reply.serializer(asWritten);
  done(null, json);
};

/**
 * The success envelope as Fastify serialization, not a Nest interceptor: a Nest interceptor
 * costs every request an rxjs pipeline and an `AsyncResource` per call. As each route is
 * registered, a Nest handler that is not `@RawResponse()` gets a route-level `preSerialization`
 * hook, so other routes (Swagger's, raw ones) pay nothing. Nest copies a handler's metadata onto
 * the function it gives Fastify, which is how the route is recognised here. Fastify runs the
 * hook for object payloads (not strings, buffers, streams or null), which is every enveloped
 * handler's answer.
 */
export function registerEnvelope(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    const handler = route.handler as object;
    if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) return;
    if (Reflect.getMetadata(RAW_RESPONSE, handler) === true) return;
    const existing = route.preSerialization;
    route.preSerialization = [
      ...(Array.isArray(existing) ? existing : existing ? [existing] : []),
      wrap,
    ];
  });
}
