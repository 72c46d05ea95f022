import { base64url, calculateJwkThumbprint, exportJWK, type KeyLike, SignJWT } from 'jose';
import type { Middleware } from 'openapi-fetch';

/**
 * The key a token is bound to (RFC 9449): its holder keeps the private half, and the public half
 * travels in each proof. `alg` is the key's: ES256 (P-256) or EdDSA (Ed25519) are good choices.
 */
export interface DpopKeyPair {
  privateKey: KeyLike;
  publicKey: KeyLike;
  alg: 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'PS256' | 'RS256';
}

/** The key's JWK SHA-256 thumbprint (RFC 7638): what `dpop_jkt` binds a new token to. */
export async function dpopThumbprint(key: DpopKeyPair): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(key.publicKey), 'sha256');
}

/**
 * An openapi-fetch middleware that sends `token` as `Authorization: DPoP` with a fresh proof of
 * `key` on every request: its method and URL (without query), the token's hash (`ath`), a new
 * `jti` and the time. `client.use(await dpopMiddleware(token, key))` on a client made by
 * `createLatchkeyClient`: its bearer header is replaced.
 */
export async function dpopMiddleware(token: string, key: DpopKeyPair): Promise<Middleware> {
  const jwk = await exportJWK(key.publicKey);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  // Web Crypto and jose's encoder: the same code runs in a browser, Deno or Node.
  const ath = base64url.encode(new Uint8Array(digest));
  return {
    async onRequest({ request }) {
      const url = new URL(request.url);
      const proof = await new SignJWT({
        jti: crypto.randomUUID(),
        htm: request.method,
        htu: `${url.origin}${url.pathname}`,
        iat: Math.floor(Date.now() / 1000),
        ath,
      })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk })
        .sign(key.privateKey);
      request.headers.set('authorization', `DPoP ${token}`);
      request.headers.set('dpop', proof);
      return request;
    },
  };
}
