import { exportJWK, generateKeyPair, SignJWT, decodeJwt } from 'jose';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Provider } from 'oidc-provider';
import { closeServer, listenOnLoopback } from '../harness/loopback';

/** A person the provider knows, and what it says of them. */
export interface IdpAccount {
  email: string;
  email_verified: boolean;
  groups: string[];
}

export const CLIENT_ID = 'latchkey-console';
export const CLIENT_SECRET = 'test-client-secret-with-enough-length-0123456789';

/**
 * A real OpenID Connect provider (`oidc-provider`) on a loopback port, for the sign-in tests.
 * Its login and consent screens are replaced by one step that signs in `nextLogin` at once, so a
 * test (or Chromium) follows redirects alone. `forgeIdTokens` re-signs each ID token the token
 * endpoint answers with the provider's own key after changing its claims: a provider that sends
 * another issuer's token, which the relying party must refuse.
 */
export class TestIdp {
  readonly accounts = new Map<string, IdpAccount>();
  /** The account the next authorization signs in. */
  nextLogin: string | null = null;
  forgeIdTokens: ((claims: Record<string, unknown>) => Record<string, unknown>) | null = null;

  private constructor(
    readonly issuer: string,
    private readonly server: Server,
  ) {}

  static async start(redirectUri: string): Promise<TestIdp> {
    const server = createServer();
    const port = await listenOnLoopback(server);
    const issuer = `http://127.0.0.1:${port}`;
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'test-idp', alg: 'RS256', use: 'sig' };
    const idp = new TestIdp(issuer, server);
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      jwks: { keys: [jwk] },
      pkce: { methods: ['S256'], required: () => true },
      scopes: ['openid', 'email', 'groups'],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
      features: { devInteractions: { enabled: false } },
      interactions: {
        url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
      },
      findAccount: (_ctx: unknown, sub: string) => {
        const account = idp.accounts.get(sub);
        if (!account) return undefined;
        return { accountId: sub, claims: () => ({ sub, ...account }) };
      },
      cookies: { keys: ['test-idp-cookie-key'] },
      // Set, rather than left to defaults the provider warns about on every start.
      adapter: MemoryAdapter,
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        IdToken: 600,
        Interaction: 600,
        Session: 600,
        Grant: 600,
      },
    });
    provider.proxy = false;
    const koa = provider.callback();
    const handle = (req: IncomingMessage, res: ServerResponse) => void koa(req, res);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.startsWith('/interaction/')) {
        void idp.interact(provider, req, res);
      } else if (req.url === '/token' && req.method === 'POST' && idp.forgeIdTokens) {
        idp.forged(handle, req, res, privateKey);
      } else {
        handle(req, res);
      }
    });
    return idp;
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  /** Login and consent without screens: the `nextLogin` account, granted what was asked. */
  private async interact(provider: Provider, req: IncomingMessage, res: ServerResponse) {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        if (!this.nextLogin) throw new Error('TestIdp: no nextLogin set');
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: this.nextLogin } },
          {
            mergeWithLastSubmission: false,
          },
        );
        return;
      }
      const grant = new provider.Grant({
        accountId: details.session?.accountId,
        clientId: details.params.client_id as string,
      });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        {
          mergeWithLastSubmission: true,
        },
      );
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e));
    }
  }

  /** The token endpoint's answer, with its ID token's claims changed and signed again. */
  private forged(
    handle: (req: IncomingMessage, res: ServerResponse) => void,
    req: IncomingMessage,
    res: ServerResponse,
    key: Parameters<SignJWT['sign']>[0],
  ) {
    const chunks: Buffer[] = [];
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    res.write = ((chunk: Buffer | string) => {
      chunks.push(Buffer.from(chunk));
      return true;
    }) as typeof res.write;
    res.end = ((chunk?: Buffer | string) => {
      if (chunk) chunks.push(Buffer.from(chunk));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      void (async () => {
        if (typeof body.id_token === 'string' && this.forgeIdTokens) {
          const claims = this.forgeIdTokens(decodeJwt(body.id_token));
          body.id_token = await new SignJWT(claims)
            .setProtectedHeader({ alg: 'RS256', kid: 'test-idp' })
            .sign(key);
        }
        const text = JSON.stringify(body);
        res.removeHeader('content-length');
        res.setHeader('content-length', Buffer.byteLength(text));
        write(text);
        end();
      })();
      return res;
    }) as typeof res.end;
    handle(req, res);
  }
}

/** The provider's storage, in this process's memory: a test's provider lives as long as the test. */
class MemoryAdapter {
  private static readonly store = new Map<string, Record<string, unknown>>();
  constructor(private readonly model: string) {}
  private key(id: string) {
    return `${this.model}:${id}`;
  }
  upsert(id: string, payload: Record<string, unknown>) {
    MemoryAdapter.store.set(this.key(id), payload);
    return Promise.resolve();
  }
  find(id: string) {
    return Promise.resolve(MemoryAdapter.store.get(this.key(id)));
  }
  findByUid(uid: string) {
    const found = [...MemoryAdapter.store].find(
      ([k, v]) => k.startsWith(`${this.model}:`) && v.uid === uid,
    );
    return Promise.resolve(found?.[1]);
  }
  findByUserCode() {
    return Promise.resolve(undefined);
  }
  consume(id: string) {
    const payload = MemoryAdapter.store.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    return Promise.resolve();
  }
  destroy(id: string) {
    MemoryAdapter.store.delete(this.key(id));
    return Promise.resolve();
  }
  revokeByGrantId(grantId: string) {
    for (const [k, v] of MemoryAdapter.store)
      if (v.grantId === grantId) MemoryAdapter.store.delete(k);
    return Promise.resolve();
  }
}

/**
 * A browser's round trip through the provider, by redirects alone: from the authorization URL
 * to the redirect back to the relying party, with the provider's cookies kept between hops.
 * Answers that last URL (the callback, with its code and state).
 */
export async function throughProvider(
  authorizationUrl: string,
  redirectUri: string,
): Promise<string> {
  const jar = new Map<string, string>();
  let url = authorizationUrl;
  for (let hop = 0; hop < 12; hop++) {
    if (url.startsWith(redirectUri)) return url;
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    for (const set of res.headers.getSetCookie()) {
      const [pair] = set.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const location = res.headers.get('location');
    if (!location) throw new Error(`TestIdp: ${res.status} at ${url}: ${await res.text()}`);
    url = new URL(location, url).toString();
  }
  throw new Error('TestIdp: too many redirects');
}
