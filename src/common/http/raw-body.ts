import { SetMetadata } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import type { FastifyInstance, FastifyRequest, preParsingHookHandler } from 'fastify';
import { pipeline, Transform } from 'node:stream';

export const KEEP_RAW_BODY = 'latchkey:keep-raw-body';

/**
 * The handler needs the body's exact bytes beside the parsed body (a signature over them). Only
 * routes marked so keep a copy: every other route parses its body as before, with no second
 * buffer.
 */
export const KeepRawBody = () => SetMetadata(KEEP_RAW_BODY, true);

const RAW_CHUNKS = Symbol('latchkey.rawBodyChunks');

type WithRawChunks = FastifyRequest & { [RAW_CHUNKS]?: Buffer[] };

/**
 * Passes the payload on to the body parsers unchanged, keeping each chunk. The parsers read it as
 * they read any body, so the body limit (413) and the Content-Length check still hold: they count
 * `receivedEncodedLength`, which is the bytes that came in, not their decoded length.
 */
const keepChunks: preParsingHookHandler = (request, _reply, payload, done) => {
  const chunks: Buffer[] = [];
  let received = 0;
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, next) {
      received += chunk.length;
      chunks.push(chunk);
      next(null, chunk);
    },
  });
  Object.defineProperty(tee, 'receivedEncodedLength', { get: () => received });
  (request as WithRawChunks)[RAW_CHUNKS] = chunks;
  // An error of the incoming stream (a client that went away) reaches the parser through the tee.
  done(
    null,
    pipeline(payload, tee, () => undefined),
  );
};

/**
 * Gives each route marked `@KeepRawBody()` a route-level preParsing hook that keeps the body's
 * bytes as they arrive. Registered before `app.init()`, which registers the routes: the hook
 * reads each route's handler metadata once, as `registerEnvelope` does.
 */
export function registerRawBodyCapture(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    const handler = route.handler as object;
    if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) return;
    if (Reflect.getMetadata(KEEP_RAW_BODY, handler) !== true) return;
    const existing = route.preParsing;
    route.preParsing = [
      ...(Array.isArray(existing) ? existing : existing ? [existing] : []),
      keepChunks,
    ];
  });
}

/**
 * The exact bytes of the request's body, on a route marked `@KeepRawBody()`; an empty buffer
 * when the request had none, and undefined on any other route.
 */
export function rawBodyOf(request: FastifyRequest): Buffer | undefined {
  const chunks = (request as WithRawChunks)[RAW_CHUNKS];
  if (chunks === undefined) return undefined;
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}
