import { StatusList } from '@sd-jwt/jwt-status-list';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import ipaddr from 'ipaddr.js';
import { exportJWK, generateKeyPair, type JWK, type KeyLike, SignJWT } from 'jose';

/** A token as the fake Latchkey holds it. */
export interface FakeToken {
  id: string;
  businessId: string | null;
  identityId: string;
  identityType: 'user' | 'machine';
  /** Null: unrestricted within the role; `roleDenies` then says what the role may not hold. */
  scopes: string[] | null;
  roleDenies: string[];
  expiresAt: Date | null;
  usesRemaining: number | null;
  /** Its `allowed_cidrs`, matched against the client address (the peer, 127.0.0.1, unless `trustProxy`). */
  allowedCidrs: string[] | null;
  /** Its `rate_limit_per_minute`, counted per minute of the fake's clock. */
  rateLimitPerMinute: number | null;
  listId: string;
  idx: number;
  /** 0 valid, 1 revoked, 2 suspended: what its list says, and what /auth/verify answers. */
  status: 0 | 1 | 2;
  /**
   * Its `meta`, sent as X-Latchkey-Meta (base64url of its compact JSON, as Latchkey sends it);
   * none (absent or null): no such header, as from a Latchkey older than it.
   */
  meta?: Record<string, unknown> | null;
}

export interface SigningKey {
  kid: string;
  privateKey: KeyLike;
  publicJwk: JWK;
}

export interface ListClaims {
  sub?: string;
  iat?: number;
  exp?: number | null;
  ttl?: number;
  bits?: number;
  statuses?: number[];
  /** The `status_list` claim as given, however malformed. */
  rawStatusList?: unknown;
}

const CAPACITY = 64;

export async function signingKey(kid: string = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return {
    kid,
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
  };
}

/**
 * Latchkey as a relying party sees it, on 127.0.0.1: `/auth/verify`, the JWKS and the status
 * lists, signed with keys it makes, on the test's clock. It counts what it is asked, and the test
 * can change what it answers (a forged list, a redirect, no answer at all).
 */
export class FakeLatchkey {
  readonly tokens = new Map<string, FakeToken>();
  readonly calls = { verify: 0, list: 0, jwks: 0 };
  /** The headers of the last /auth/verify and list requests. */
  lastVerify: IncomingMessage['headers'] = {};
  /** The X-Forwarded-For of each /auth/verify, in the order they came (undefined: none sent). */
  readonly forwardedFor: (string | undefined)[] = [];
  /**
   * TRUST_PROXY as a list of the proxies' addresses and CIDRs: when the peer is in it, the client
   * is the right-most X-Forwarded-For entry not itself trusted, as Fastify's `trustProxy` reads it.
   * Null (TRUST_PROXY=false): the client is the peer, whatever X-Forwarded-For says.
   */
  trustProxy: string[] | null = null;
  lastList: IncomingMessage['headers'] = {};
  keys: SigningKey[] = [];
  ttl = 60;
  /** `down`: 503 to everything; `hang`: never answers; `limited`: 429 on /auth/verify. */
  mode: 'up' | 'down' | 'hang' | 'limited' = 'up';
  /** When set, a list request is answered with this (a forged body, a redirect …). */
  listAnswer: ((listId: string, res: ServerResponse) => Promise<void> | void) | null = null;
  /** VERIFY_GATEWAY_SECRET and VERIFY_TOKEN_HEADER, as an installation may set them. */
  gatewaySecret: string | null = null;
  tokenHeader: string | null = null;
  /** When set, the x-latchkey-status-list header of every 204. */
  statusListHeader: string | null = null;
  /**
   * The x-latchkey-check-online header of every 204: undefined, what the token's constraints
   * say; null, none at all (a Latchkey older than the header); a string, that.
   */
  checkOnlineHeader: string | null | undefined = undefined;
  /** When set, the x-latchkey-meta header of every 204, whatever the token's meta (a malformed one …). */
  metaHeader: string | null = null;
  /** Each rate-limited token's verifies in the current minute: `<id> <minute>` → count. */
  private readonly spent = new Map<string, number>();
  readonly listId: string = randomUUID();
  private server!: Server;
  private nextIdx = 0;
  origin = '';

  constructor(private readonly now: () => number) {}

  async start(): Promise<this> {
    this.keys = [await signingKey()];
    this.server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  uri(listId = this.listId): string {
    return `${this.origin}/status-lists/${listId}`;
  }

  /** A token of the given shape, in this fake's list: its secret and its row. */
  issue(shape: Partial<FakeToken> = {}): [string, FakeToken] {
    const token: FakeToken = {
      id: randomUUID(),
      businessId: randomUUID(),
      identityId: randomUUID(),
      identityType: 'user',
      scopes: null,
      roleDenies: [],
      expiresAt: null,
      usesRemaining: null,
      allowedCidrs: null,
      rateLimitPerMinute: null,
      listId: this.listId,
      idx: this.nextIdx++,
      status: 0,
      ...shape,
    };
    const secret = `lk_${randomBytes(27).toString('base64url')}`;
    this.tokens.set(secret, token);
    return [secret, token];
  }

  /** The list as this fake signs it now: its tokens' statuses, or the claims given. */
  async signList(
    listId = this.listId,
    claims: ListClaims = {},
    key: SigningKey = this.keys[this.keys.length - 1],
    header: Record<string, unknown> = {},
  ): Promise<string> {
    const iat = claims.iat ?? Math.floor(this.now() / 1000);
    const payload: Record<string, unknown> = {
      sub: claims.sub ?? this.uri(listId),
      iat,
      ttl: claims.ttl ?? this.ttl,
      status_list: claims.rawStatusList ?? this.statusList(listId, claims),
    };
    if (claims.exp !== null) payload.exp = claims.exp ?? iat + 2 * this.ttl;
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', typ: 'statuslist+jwt', kid: key.kid, ...header })
      .sign(key.privateKey);
  }

  statusList(listId: string, { bits = 2, statuses }: ListClaims = {}) {
    const values = statuses ?? new Array<number>(CAPACITY).fill(0);
    if (!statuses) {
      for (const t of this.tokens.values()) if (t.listId === listId) values[t.idx] = t.status;
    }
    return { bits, lst: new StatusList(values, bits as 1 | 2 | 4 | 8).compressStatusList() };
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.mode === 'hang') return;
    if (this.mode === 'down') {
      res.writeHead(503, { 'retry-after': '1' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', this.origin);
    if (url.pathname === '/auth/verify') return this.verify(req, res);
    if (url.pathname === '/.well-known/jwks.json') {
      this.calls.jwks++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) }));
      return;
    }
    const list = /^\/status-lists\/([0-9a-f-]{36})$/.exec(url.pathname);
    if (list) {
      this.calls.list++;
      this.lastList = req.headers;
      if (this.listAnswer) return this.listAnswer(list[1], res);
      // The ETag of what the list says and who signs it: while neither changes, it gets 304.
      const { lst } = this.statusList(list[1]);
      const kid = this.keys[this.keys.length - 1].kid;
      const etag = `"${createHash('sha256').update(`${kid}.${lst}`).digest('base64url')}"`;
      const headers = { etag, 'cache-control': `public, max-age=${this.ttl}` };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers).end();
        return;
      }
      this.lastEtag = etag;
      const jwt = await this.signList(list[1]);
      res.writeHead(200, { ...headers, 'content-type': 'application/statuslist+jwt' }).end(jwt);
      return;
    }
    res.writeHead(404).end();
  }

  /** The ETag of the last list served: unchanged statuses answer 304 to it. */
  lastEtag: string | null = null;

  private verify(req: IncomingMessage, res: ServerResponse): void {
    this.calls.verify++;
    this.lastVerify = req.headers;
    this.forwardedFor.push(forwardedFor(req));
    const refuse = (status: number, code: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ success: false, code, message: code, detail: null }));
    };
    if (this.mode === 'limited') return refuse(429, 'RATE_LIMITED', { 'retry-after': '7' });
    if (
      this.gatewaySecret !== null &&
      req.headers['x-latchkey-gateway-secret'] !== this.gatewaySecret
    ) {
      return refuse(403, 'GATEWAY_NOT_TRUSTED');
    }
    const secret =
      this.tokenHeader === null
        ? (/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '')
        : String(req.headers[this.tokenHeader] ?? '');
    const token = this.tokens.get(secret);
    if (!token) return refuse(401, 'INVALID_TOKEN');
    if (token.status === 1) return refuse(401, 'TOKEN_REVOKED');
    if (token.expiresAt && token.expiresAt.getTime() <= this.now()) {
      return refuse(401, 'TOKEN_EXPIRED');
    }
    if (token.status === 2) return refuse(401, 'TOKEN_DISABLED');
    const business = req.headers['x-latchkey-business'];
    if (business !== undefined && business !== token.businessId) {
      return refuse(403, 'BUSINESS_MISMATCH');
    }
    const required = String(req.headers['x-latchkey-require-scope'] ?? '')
      .split(/[ ,]+/)
      .filter((s) => s !== '');
    if (required.some((scope) => !holds(token, scope))) return refuse(403, 'INSUFFICIENT_SCOPE');
    const from = this.clientOf(req);
    if (token.allowedCidrs !== null && !inNetworks(from, token.allowedCidrs)) {
      return refuse(403, 'IP_NOT_ALLOWED');
    }
    if (token.rateLimitPerMinute !== null) {
      const window = `${token.id} ${Math.floor(this.now() / 60_000)}`;
      const spent = (this.spent.get(window) ?? 0) + 1;
      this.spent.set(window, spent);
      if (spent > token.rateLimitPerMinute) {
        return refuse(429, 'RATE_LIMITED', { 'retry-after': '60' });
      }
    }
    if (token.usesRemaining !== null) {
      if (token.usesRemaining === 0) return refuse(429, 'USES_EXHAUSTED', { 'retry-after': '30' });
      token.usesRemaining--;
    }
    const headers: Record<string, string> = {
      'cache-control': 'no-store',
      'x-latchkey-token-id': token.id,
      'x-latchkey-business-id': token.businessId ?? '',
      'x-latchkey-identity-id': token.identityId,
      'x-latchkey-identity-type': token.identityType,
      'x-latchkey-scopes': token.scopes === null ? '*' : token.scopes.join(' '),
      'x-latchkey-expires-at': token.expiresAt?.toISOString() ?? '',
      'x-latchkey-uses-remaining': token.usesRemaining === null ? '' : String(token.usesRemaining),
      'x-latchkey-status-list':
        this.statusListHeader ?? `idx=${token.idx}, uri="${this.uri(token.listId)}"`,
    };
    const checkOnline =
      this.checkOnlineHeader === undefined ? checkOnlineOf(token) : this.checkOnlineHeader;
    if (checkOnline !== null) headers['x-latchkey-check-online'] = checkOnline;
    const meta = this.metaHeader ?? (token.meta ? metaHeaderOf(token.meta) : null);
    if (meta !== null) headers['x-latchkey-meta'] = meta;
    res.writeHead(204, headers);
    res.end();
  }

  /** The client's address as Latchkey names it under `trustProxy` (proxy-addr's walk). */
  private clientOf(req: IncomingMessage): string {
    const hops = [req.socket.remoteAddress ?? ''];
    const forwarded = forwardedFor(req);
    if (this.trustProxy === null || forwarded === undefined) return hops[0];
    hops.push(
      ...forwarded
        .split(',')
        .map((hop) => hop.trim())
        .reverse(),
    );
    const trusted = this.trustProxy;
    let at = 0;
    while (at < hops.length - 1 && inNetworks(hops[at], trusted)) at++;
    return hops[at];
  }
}

/** X-Forwarded-For as one list, however many times it was sent. */
function forwardedFor(req: IncomingMessage): string | undefined {
  const value = req.headers['x-forwarded-for'];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Whether `address` lies in one of `cidrs` (bare addresses too); an IPv4-mapped one as IPv4. */
function inNetworks(address: string, cidrs: readonly string[]): boolean {
  if (!ipaddr.isValid(address)) return false;
  const ip = ipaddr.process(address);
  return cidrs.some((cidr) => {
    const [network, bits] = cidr.includes('/')
      ? ipaddr.parseCIDR(cidr)
      : [ipaddr.parse(cidr), ipaddr.parse(cidr).kind() === 'ipv4' ? 32 : 128];
    return ip.kind() === network.kind() && ip.match(network, bits);
  });
}

/** What Latchkey names in X-Latchkey-Check-Online (src/gateway/verified-headers.ts). */
function checkOnlineOf(token: FakeToken): string {
  const words: string[] = [];
  if (token.allowedCidrs !== null) words.push('networks');
  if (token.rateLimitPerMinute !== null) words.push('rate_limit');
  if (token.usesRemaining !== null) words.push('uses');
  return words.join(' ');
}

/** A meta as Latchkey's X-Latchkey-Meta says it: base64url of its compact JSON. */
export function metaHeaderOf(meta: unknown): string {
  return Buffer.from(JSON.stringify(meta), 'utf8').toString('base64url');
}

/** Latchkey's rule, as far as these tests need it: `a:*` covers `a:…`; the role may deny some. */
function holds(token: FakeToken, scope: string): boolean {
  if (token.roleDenies.includes(scope)) return false;
  if (token.scopes === null) return true;
  return token.scopes.some(
    (g) => g === scope || (g.endsWith(':*') && scope.startsWith(g.slice(0, -1))),
  );
}
