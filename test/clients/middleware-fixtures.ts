import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type {
  LatchkeyCheck,
  LatchkeyOptions,
} from '../../packages/client/src/middleware/token-check';
import type { IssuedToken } from '../factories/tenancy.factory';
import { freePort } from '../harness/ports';

/**
 * What the middleware cases (middleware-cases.ts) are made of: the app a framework's spec starts,
 * an HTTP client that keeps each header name's case, servers on 127.0.0.1 for Latchkey's failures,
 * and the answers a caller must see.
 */

export interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
}

/** An app of one framework with the middleware under test in it. */
export interface AppUnderTest {
  /** GETs `path` with these headers, each name sent in the case given. */
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
  /** The framework's start-up check of the middleware (`check()`, as its README shows it). */
  check(): Promise<LatchkeyCheck>;
  close(): Promise<void>;
}

/**
 * Starts an app of the framework with the middleware made of `options`, and four routes, each of
 * which pushes its name onto `reached` when its handler runs and answers `{ token }`, what the
 * middleware attached (null for none):
 * - `/whoami`, behind the middleware;
 * - `/orders`, behind it, requiring `orders:read` per route (the framework's `requireScopes`);
 * - `/open`, which the app leaves open;
 * - `/open-orders`, left open but requiring `orders:read` per route: a misconfiguration, which
 *   must refuse rather than pass.
 */
export type StartApp = (options: LatchkeyOptions, reached: string[]) => Promise<AppUnderTest>;

/** Listens on 127.0.0.1: the origin, and a close that drops the connections left open. */
export async function serve(
  listener: RequestListener,
): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A GET on a connection of its own, each header name on the wire in the case given. */
export function httpGet(
  origin: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}${path}`, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const flat = Object.entries(res.headers).map(([k, v]) => [k, String(v)]);
        resolve({
          status: res.statusCode!,
          headers: Object.fromEntries(flat),
          body: text === '' ? null : JSON.parse(text),
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A row of the table every middleware answers by, in TypeScript and Python alike. */
export interface ErrorRow {
  code: string;
  status: number;
  message: string;
  when: string;
}

/** The one table of codes, statuses and messages, which docs/clients.md shows. */
export const ERROR_TABLE: readonly ErrorRow[] = JSON.parse(
  readFileSync(join(__dirname, 'middleware-errors.json'), 'utf8'),
) as ErrorRow[];

export const MESSAGES: Record<string, string> = Object.fromEntries(
  ERROR_TABLE.map((row) => [row.code, row.message]),
);

export const INVALID_CHALLENGE = 'Bearer error="invalid_token"';
export const SCOPE_CHALLENGE = 'Bearer error="insufficient_scope", scope="orders:read"';

/** A refusal as the caller must see it: Latchkey's status, body and headers. */
export function refusal(
  status: number,
  code: string,
  headers: { challenge?: string; retry?: unknown },
) {
  return {
    status,
    body: { success: false, code, message: MESSAGES[code], detail: null, request_id: null },
    challenge: headers.challenge,
    retryAfter: headers.retry,
    cacheControl: 'no-store',
  };
}
export const unauthorized = (code: string) => refusal(401, code, { challenge: INVALID_CHALLENGE });
export const UNAVAILABLE = refusal(503, 'LATCHKEY_UNAVAILABLE', { retry: '5' });
export const MISCONFIGURED = refusal(500, 'LATCHKEY_MISCONFIGURED', {});

/** What of an answer `refusal` states. */
export const seen = ({ status, body, headers }: Answer) => ({
  status,
  body,
  challenge: headers['www-authenticate'],
  retryAfter: headers['retry-after'],
  cacheControl: headers['cache-control'],
});

/** The fields of the attached token the cases compare. */
export const held = (body: unknown) => {
  const { tokenId, identityId, identityType, businessId, scopes, expiresAt, meta } = (
    body as { token: Record<string, unknown> }
  ).token;
  return { tokenId, identityId, identityType, businessId, scopes, expiresAt, meta };
};
export const heldOf = (token: IssuedToken, identityType: string, meta: unknown) => ({
  tokenId: token.id,
  identityId: token.view.identity_id,
  identityType,
  businessId: token.view.business_id,
  scopes: token.view.scopes,
  expiresAt: token.view.expires_at,
  meta,
});

export const META = { plan: 'pro', region: 'eu-west-1', limits: { rps: 5 }, tags: ['beta', 'eu'] };

/** The scopes a token holds, and whether a route requiring `orders:read` passes it. */
export const SCOPE_ROWS: [scopes: string[] | null, passes: boolean][] = [
  [['orders:read'], true],
  [['orders:*'], true],
  [['billing:read', 'orders:read'], true],
  [null, true],
  [['orders:write'], false],
  [['orders'], false],
  [['orders:read:own'], false],
  [['billing:*'], false],
  [[], false],
];

/** A token-shaped string Latchkey never issued. */
export const stranger = () => `lk_${randomBytes(27).toString('base64url')}`;

/**
 * A port nothing listens on. Not one a server let go: that is in the ephemeral range, where a
 * server another suite starts meanwhile may be given it. `freePort` takes it from this process's
 * own block below that range, which it hands out again only after the rest of the block.
 */
export async function closedPort(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}
