import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PATIENCE_MS } from '../harness/patience';

/**
 * An MCP client's side of the flow, as a desktop agent built on @modelcontextprotocol/sdk has it:
 * a loopback redirect URI (RFC 8252 §7.3) that hears the authorization response, an
 * OAuthClientProvider that keeps what the SDK gives it in memory and opens the person's browser,
 * and a record of every HTTP request the SDK makes, as it made it.
 */

/** The agent's loopback redirect URI, on a port the OS gave: each response's query, in order. */
export class LoopbackCallback {
  private readonly server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/callback') {
      const waiter = this.waiting.shift();
      if (waiter) waiter(url.searchParams);
      else this.received.push(url.searchParams);
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('Back to the agent.');
  });
  private readonly received: URLSearchParams[] = [];
  private readonly waiting: ((query: URLSearchParams) => void)[] = [];
  private port = 0;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get redirectUri(): string {
    return `http://127.0.0.1:${this.port}/callback`;
  }

  /** The next authorization response the browser brings; rejects after PATIENCE_MS. */
  next(): Promise<URLSearchParams> {
    const first = this.received.shift();
    if (first) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(take), 1);
        reject(new Error(`no authorization response at ${this.redirectUri}`));
      }, PATIENCE_MS);
      const take = (query: URLSearchParams) => {
        clearTimeout(timer);
        resolve(query);
      };
      this.waiting.push(take);
    });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * What an agent keeps for one MCP server, in memory, and the browser it opens for the person.
 * Records each authorization it started and each credential the SDK told it to forget.
 */
export class AgentProvider implements OAuthClientProvider {
  /** Every authorization URL the SDK sent the person's browser to, in order. */
  readonly authorizations: URL[] = [];
  /** Every `invalidateCredentials` the SDK called, in order. */
  readonly invalidated: string[] = [];
  /** Every token response the SDK saved, in order. */
  readonly saved: OAuthTokens[] = [];
  private client: OAuthClientInformationMixed | undefined;
  private stored: OAuthTokens | undefined;
  private verifier = '';
  /** The state of the last authorization, which its response must carry back. */
  lastState = '';

  constructor(
    readonly redirectUrl: string,
    private readonly openBrowser: (url: URL) => Promise<void>,
  ) {}

  /**
   * No `scope`: the SDK asks for the scopes the server's 401 challenge names, then its metadata's
   * scopes_supported, and this only when neither names any.
   */
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Notes Agent (MCP SDK)',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state(): string {
    this.lastState = randomBytes(16).toString('base64url');
    return this.lastState;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.client;
  }

  saveClientInformation(information: OAuthClientInformationMixed): void {
    this.client = information;
  }

  tokens(): OAuthTokens | undefined {
    return this.stored;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.stored = tokens;
    this.saved.push(tokens);
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    this.authorizations.push(url);
    await this.openBrowser(url);
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    this.invalidated.push(scope);
    if (scope === 'all' || scope === 'client') this.client = undefined;
    if (scope === 'all' || scope === 'tokens') this.stored = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifier = '';
  }
}

/** One HTTP request the SDK made, and the answer it had. */
export interface TracedRequest {
  method: string;
  url: URL;
  /** The form's grant_type, or the JSON-RPC method and tool, when there is one. */
  detail: string;
  status: number;
  wwwAuthenticate: string | null;
}

/** What the SDK's requests say of a form or JSON-RPC body, in a word or two. */
function detailOf(body: unknown): string {
  if (body instanceof URLSearchParams) return body.get('grant_type') ?? '';
  if (typeof body !== 'string' || !body.startsWith('{')) return '';
  const message = JSON.parse(body) as { method?: string; params?: { name?: string } };
  return [message.method, message.params?.name].filter(Boolean).join(' ');
}

/** A fetch that records each request it makes, for the SDK's `fetch` option. */
export class HttpTrace {
  readonly requests: TracedRequest[] = [];

  /**
   * `origins` names each server (`mcp`, `latchkey`); `ids` names the values a path holds (the
   * business id), so the lines read the same whatever ids a run makes.
   */
  constructor(
    private readonly origins: Record<string, string>,
    private readonly ids: Record<string, string>,
  ) {}

  readonly fetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const response = await fetch(input, init);
    this.requests.push({
      method: init?.method ?? 'GET',
      url: new URL(input),
      detail: detailOf(init?.body),
      status: response.status,
      wwwAuthenticate: response.headers.get('www-authenticate'),
    });
    return response;
  };

  /** The requests from `from` on, one line each: `<who> <method> <path> <detail> → <status>`. */
  lines(from = 0): string[] {
    return this.requests.slice(from).map(({ method, url, detail, status }) => {
      let path = url.pathname;
      for (const [value, name] of Object.entries(this.ids)) path = path.split(value).join(name);
      const who = this.origins[url.origin] ?? url.origin;
      return [who, method, path, detail, '→', status].filter((w) => w !== '').join(' ');
    });
  }
}
