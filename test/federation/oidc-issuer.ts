import { createHmac, KeyObject, randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';

/** A signing key of the test's own issuer, made in the test. */
export interface IssuerKey {
  kid: string;
  alg: 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
  privateKey: KeyLike;
  publicJwk: JWK;
  /** The public key as PEM: what an algorithm-confusion attacker "signs" HS256 with. */
  publicPem: string;
}

export async function makeKey(
  alg: IssuerKey['alg'] = 'RS256',
  kid = `k-${randomUUID().slice(0, 8)}`,
): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const publicPem = (publicKey as KeyObject).export({ type: 'spki', format: 'pem' }).toString();
  return { kid, alg, privateKey, publicJwk, publicPem };
}

export const jwksOf = (...keys: IssuerKey[]) => ({ keys: keys.map((k) => k.publicJwk) });

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const GITLAB_ISSUER = 'https://gitlab.example.test';

const now = () => Math.floor(Date.now() / 1000);

/** The claims of a GitHub Actions OIDC token for a push to `branch` of `repo`. */
export function githubClaims(
  repo = 'acme/api',
  branch = 'main',
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const [owner] = repo.split('/');
  const t = now();
  return {
    iss: GITHUB_ISSUER,
    aud: `https://github.com/${owner}`,
    sub: `repo:${repo}:ref:refs/heads/${branch}`,
    ref: `refs/heads/${branch}`,
    repository: repo,
    repository_owner: owner,
    repository_id: '690123456',
    repository_owner_id: '12345',
    run_id: '8000000001',
    workflow: 'deploy',
    job_workflow_ref: `${repo}/.github/workflows/deploy.yml@refs/heads/${branch}`,
    event_name: 'push',
    runner_environment: 'github-hosted',
    jti: randomUUID(),
    nbf: t - 5,
    iat: t - 5,
    exp: t + 300,
    ...extra,
  };
}

/** The claims of a GitLab CI `id_tokens` JWT for a job on `branch` of `project`. */
export function gitlabClaims(
  project = 'acme/api',
  branch = 'main',
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const [namespace] = project.split('/');
  const t = now();
  return {
    iss: GITLAB_ISSUER,
    aud: 'https://latchkey.example.test',
    sub: `project_path:${project}:ref_type:branch:ref:${branch}`,
    namespace_id: '72',
    namespace_path: namespace,
    project_id: '20',
    project_path: project,
    pipeline_source: 'push',
    ref: branch,
    ref_type: 'branch',
    ref_protected: 'true',
    jti: randomUUID(),
    nbf: t - 5,
    iat: t - 5,
    exp: t + 300,
    ...extra,
  };
}

/** A JWT signed with `key`, with `header` over the usual `{alg, kid, typ}`. */
export function sign(
  key: IssuerKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned JWT (`alg: none`), written by hand: no library makes one. */
export function unsignedJwt(claims: Record<string, unknown>, kid?: string): string {
  return `${b64({ alg: 'none', typ: 'JWT', kid })}.${b64(claims)}.`;
}

/**
 * Algorithm confusion: an HS256 "signature" keyed with the issuer's public key, which a verifier
 * that lets the token pick the algorithm would check with the same public key, and accept.
 */
export function hs256WithPublicKey(key: IssuerKey, claims: Record<string, unknown>): string {
  const signingInput = `${b64({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${b64(claims)}`;
  const mac = createHmac('sha256', key.publicPem).update(signingInput).digest('base64url');
  return `${signingInput}.${mac}`;
}

/** A JWKS endpoint on 127.0.0.1 whose keys the test sets, counting every fetch. */
export class JwksServer {
  keys: JWK[] = [];
  fetches = 0;
  private server: Server | null = null;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  serve(...keys: IssuerKey[]): this {
    this.keys = keys.map((k) => k.publicJwk);
    return this;
  }

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}/.well-known/jwks`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

/** The form of a token exchange for `jwt`, with `extra` parameters over the required ones. */
export function exchangeForm(jwt: string, extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    grant_type: TOKEN_EXCHANGE,
    subject_token: jwt,
    subject_token_type: JWT_TYPE,
    ...extra,
  }).toString();
}
