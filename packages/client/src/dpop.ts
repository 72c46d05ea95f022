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

/** A 401 that asks for a nonce (RFC 9449 §9): the proof was good but for its `nonce`. */
const USE_DPOP_NONCE = /error="use_dpop_nonce"/;

/**
 * An openapi-fetch middleware that sends `token` as `Authorization: DPoP` with a fresh proof of
 * `key` on every request: its method and URL (without query), the token's hash (`ath`), a new
 * `jti`, the time, and the server's latest nonce. `client.use(await dpopMiddleware(token, key))`
 * on a client made by `createLatchkeyClient`, after any middleware that changes the request (the
 * proof names the request as it is sent): its bearer header is replaced.
 *
 * Server nonces (RFC 9449 §8, `DPOP_NONCE_REQUIRED`): it keeps the latest `DPoP-Nonce` any answer
 * carried and puts it in the next proof; a 401 that asks for a nonce (`use_dpop_nonce`) is sent
 * again once, with a new proof of the nonce it gave, body and all. A client in steady use meets
 * that refusal once, and again only after a minute or two without a request.
 */
export async function dpopMiddleware(token: string, key: DpopKeyPair): Promise<Middleware> {
  const jwk = await exportJWK(key.publicKey);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  // Web Crypto and jose's encoder: the same code runs in a browser, Deno or Node.
  const ath = base64url.encode(new Uint8Array(digest));
  let latest: string | null = null;
  // Each request as it was before fetch read its body, with the nonce its proof carried: a
  // retry must send the same body, which a sent Request no longer has. Weak, so an answer that
  // never comes (a network error) holds nothing.
  const unsent = new WeakMap<Request, { copy: Request; nonce: string | null }>();

  const signed = async (request: Request, nonce: string | null): Promise<Request> => {
    const url = new URL(request.url);
    const proof = await new SignJWT({
      jti: crypto.randomUUID(),
      htm: request.method,
      htu: `${url.origin}${url.pathname}`,
      iat: Math.floor(Date.now() / 1000),
      ath,
      ...(nonce === null ? {} : { nonce }),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk })
      .sign(key.privateKey);
    request.headers.set('authorization', `DPoP ${token}`);
    request.headers.set('dpop', proof);
    return request;
  };
  /** The nonce an answer hands on, kept for the next proof; null when it gives none. */
  const remember = (response: Response): string | null => {
    const given = response.headers.get('dpop-nonce');
    if (given) latest = given;
    return given;
  };

  return {
    async onRequest({ request }) {
      const nonce = latest;
      const sent = await signed(request, nonce);
      unsent.set(sent, { copy: sent.clone(), nonce });
      return sent;
    },
    async onResponse({ request, response, options }) {
      const given = remember(response);
      const before = unsent.get(request);
      unsent.delete(request);
      const asked =
        response.status === 401 &&
        USE_DPOP_NONCE.test(response.headers.get('www-authenticate') ?? '');
      // Once, and only with a nonce other than the one refused: the retry is fetched here, past
      // this middleware, so its own answer is never retried.
      if (!before || !asked || given === null || given === before.nonce) return undefined;
      await response.body?.cancel();
      const again = await options.fetch(await signed(before.copy, given));
      remember(again);
      return again;
    },
  };
}
