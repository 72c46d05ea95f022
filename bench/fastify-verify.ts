/**
 * The floor of the hot-path benchmark: bare Fastify doing the same cached verification as a warm
 * `GET /api/v1/me` or `GET /auth/verify` (the bearer's shape and checksum, its SHA-256 in a map,
 * the token's standing and its business against the header), and writing what the route's
 * contract asks of its answer, with no framework, logging or metrics: what Latchkey keeps of
 * this rate is its own overhead. `/auth/verify` and below answer the gateway check's 204 with
 * its headers (VERIFY_HEADERS); any other path answers `/api/v1/me`'s body (ANSWER) with its
 * headers (ANSWER_HEADERS, helmet's among them); each answer gets a request id of its own.
 * bench/lib/verify-floor.ts starts its build with PORT, TOKEN_HASH (the hash, never the token),
 * BUSINESS_ID, ANSWER, ANSWER_HEADERS and VERIFY_HEADERS set, the headers read off the app's own
 * answers.
 */
import Fastify from 'fastify';
import { hash, randomUUID } from 'node:crypto';
import { isWellFormedSecret } from '../src/common/secrets/secret-shape';

interface Entry {
  businessId: string;
  businessActive: boolean;
  revokedAt: number | null;
  expiresAt: number | null;
  answer: string;
}

const entries = new Map<string, Entry>([
  [
    process.env.TOKEN_HASH ?? '',
    {
      businessId: process.env.BUSINESS_ID ?? '',
      businessActive: true,
      revokedAt: null,
      expiresAt: null,
      answer: process.env.ANSWER ?? '{}',
    },
  ],
]);

const SCHEME = /^Bearer$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JSON_TYPE = 'application/json; charset=utf-8';

const headersOf = (name: string): Record<string, string> =>
  JSON.parse(process.env[name] ?? '{}') as Record<string, string>;
const ANSWER_HEADERS = headersOf('ANSWER_HEADERS');
const VERIFY_HEADERS = headersOf('VERIFY_HEADERS');

const app = Fastify({ logger: false, genReqId: () => randomUUID() });
app.get('/*', (request, reply) => {
  const gateway = request.url.startsWith('/auth/verify');
  void reply.headers(gateway ? {} : ANSWER_HEADERS).header('x-request-id', request.id);
  const parts = (request.headers.authorization ?? '').split(' ');
  const secret = parts.length === 2 && SCHEME.test(parts[0]) ? parts[1] : '';
  const entry = isWellFormedSecret(secret) ? entries.get(hash('sha256', secret, 'hex')) : undefined;
  const now = Date.now();
  if (
    entry === undefined ||
    entry.revokedAt !== null ||
    (entry.expiresAt !== null && entry.expiresAt <= now)
  ) {
    return reply.code(401).type(JSON_TYPE).send('{"success":false,"code":"INVALID_TOKEN"}');
  }
  const business = request.headers['x-business-id'] ?? request.headers['x-latchkey-business'];
  if (typeof business !== 'string' || !UUID.test(business)) {
    return reply.code(422).type(JSON_TYPE).send('{"success":false,"code":"VALIDATION_ERROR"}');
  }
  if (business.toLowerCase() !== entry.businessId || !entry.businessActive) {
    return reply.code(403).type(JSON_TYPE).send('{"success":false,"code":"BUSINESS_MISMATCH"}');
  }
  if (gateway) return reply.code(204).headers(VERIFY_HEADERS).send();
  return reply.send(entry.answer);
});
app
  .listen({ port: Number(process.env.PORT ?? 3999), host: '127.0.0.1' })
  .then((address) => process.stdout.write(`fastify verify listening on ${address}\n`))
  .catch((e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(1);
  });
