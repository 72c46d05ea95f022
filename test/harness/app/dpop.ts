import { createHash, randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  type KeyLike,
  SignJWT,
} from 'jose';
import type { Caller } from './api';

/** The address the DPoP specs' apps name themselves by (PUBLIC_BASE_URL), which proofs name. */
export const DPOP_BASE = 'https://latchkey.example.com';

/** A client's DPoP key pair (RFC 9449): its private key, public JWK and RFC 7638 thumbprint. */
export interface DpopKey {
  privateKey: KeyLike;
  jwk: JWK;
  jkt: string;
  alg: string;
}

export async function dpopKey(alg: 'ES256' | 'EdDSA' | 'RS256' = 'ES256'): Promise<DpopKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256'), alg };
}

export interface ProofOptions {
  method: string;
  /** The path, on DPOP_BASE, or a whole URL. */
  url: string;
  /** The token the proof goes with (its `ath`); null for none. */
  token: string | null;
  iat?: number;
  jti?: string;
  /** Replaces the protected header's members (an attacker's `alg`, `typ` or `jwk`). */
  header?: Record<string, unknown>;
  /** Replaces claims (`htm`, `htu`, `ath`); undefined values are left out. */
  claims?: Record<string, unknown>;
}

/** A DPoP proof signed by `key`, as a client makes one for a request (RFC 9449 §4.2). */
export async function dpopProof(key: DpopKey, options: ProofOptions): Promise<string> {
  const htu = options.url.startsWith('http') ? options.url : `${DPOP_BASE}${options.url}`;
  const claims: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.method,
    htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ...(options.token === null
      ? {}
      : { ath: createHash('sha256').update(options.token).digest('base64url') }),
    ...options.claims,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk, ...options.header })
    .sign(key.privateKey);
}

/** The headers of a call with a DPoP-bound token and its proof. */
export function asDpop(token: string, proof: string, businessId?: string): Caller {
  return {
    authorization: `DPoP ${token}`,
    dpop: proof,
    ...(businessId ? { 'x-business-id': businessId } : {}),
  };
}
