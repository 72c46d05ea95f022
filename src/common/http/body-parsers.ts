import type { FastifyInstance, FastifyRequest } from 'fastify';

/** JSON nested deeper than this is refused with 400 (DESIGN, order of checks, step 0). */
export const MAX_JSON_DEPTH = 32;

/** Routes that speak RFC 7009 and RFC 7662, which take form-encoded bodies too. */
const FORM_ROUTES = '/oauth2/';

const clientError = (statusCode: number, message: string) =>
  Object.assign(new Error(message), { statusCode });

/**
 * The deepest nesting of arrays and objects in JSON text, counted with a loop over the
 * characters (strings and their escapes skipped), stopping as soon as it passes `limit`. So a
 * body of a million `[` costs one scan and no recursion, before any parser or validator sees it.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

/**
 * A form body's parameters. One given more than once becomes the list of its values, which no
 * route takes where it wants text, so it is refused (RFC 6749 §3.2: parameters "MUST NOT be
 * included more than once"), never read as its last value. Built through a Map, so a parameter
 * named `__proto__` is a parameter like any other.
 */
export function formParams(text: string): Record<string, string | string[]> {
  const values = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(text)) {
    const seen = values.get(name);
    if (seen) seen.push(value);
    else values.set(name, [value]);
  }
  return Object.fromEntries(
    [...values].map(([name, [one, ...more]]) => [name, more.length ? [one, ...more] : one]),
  );
}

/**
 * Body parsing, which runs before authentication: 400 for malformed JSON or JSON deeper than
 * 32 levels, 413 past the body limit (Fastify's), 415 for any other content type. An empty
 * body with a JSON content type is no body: a route whose body is optional takes it as such,
 * and one whose body is required reports its fields missing (422). Form bodies are accepted
 * on `/oauth2/*` only, where the RFCs want them (`formParams`).
 */
export function registerBodyParsers(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      return done(clientError(400, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    }
    void parseJson(request, text, done);
  });
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (request: FastifyRequest, body, done) => {
      if (!request.url.startsWith(FORM_ROUTES)) {
        return done(clientError(415, 'Unsupported Media Type: send application/json'), undefined);
      }
      done(null, formParams(body as string));
    },
  );
}
