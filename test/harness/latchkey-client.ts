import { randomBytes } from 'node:crypto';
import { httpRequest, HttpResponse, RequestOptions } from './http';

interface Envelope<T> {
  success: boolean;
  code: string | null;
  message: string | null;
  data: T;
}

export interface BusinessSetup {
  businessId: string;
  ownerToken: string;
}

export interface IssuedToken {
  id: string;
  token: string;
  businessId: string;
}

function expectStatus(res: HttpResponse, status: number, what: string): void {
  if (res.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  }
}

/** The few API calls benchmarks and process-level tests need, against one running instance. */
export class LatchkeyClient {
  constructor(readonly baseUrl: string) {}

  request<T = unknown>(method: string, path: string, options?: RequestOptions) {
    return httpRequest<T>(this.baseUrl, method, path, options);
  }

  /** A new business with its owner; answers the owner's first (unrestricted) token. */
  async createBusiness(platformToken: string, label = 'bench'): Promise<BusinessSetup> {
    const suffix = randomBytes(4).toString('hex');
    const res = await this.request<
      Envelope<{ business: { id: string }; first_token: { token: string } }>
    >('POST', '/platform/v1/businesses', {
      headers: { authorization: `Bearer ${platformToken}` },
      body: { name: `${label}-${suffix}`, owner_email: `owner-${suffix}@${label}.test` },
    });
    expectStatus(res, 201, 'create business');
    return { businessId: res.body.data.business.id, ownerToken: res.body.data.first_token.token };
  }

  /** A token of the owner's; `extra` adds create fields (scopes, constraints). */
  async createToken(owner: BusinessSetup, name: string, extra: object = {}): Promise<IssuedToken> {
    const res = await this.request<Envelope<{ id: string; token: string }>>(
      'POST',
      '/api/v1/tokens',
      { headers: scoped(owner.ownerToken, owner.businessId), body: { name, ...extra } },
    );
    expectStatus(res, 201, 'create token');
    return { id: res.body.data.id, token: res.body.data.token, businessId: owner.businessId };
  }

  /** Creates `count` tokens with up to `concurrency` requests in flight. */
  async createTokens(
    owner: BusinessSetup,
    count: number,
    concurrency = 8,
    label = 'bench',
  ): Promise<IssuedToken[]> {
    const tokens: IssuedToken[] = new Array<IssuedToken>(count);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        tokens[i] = await this.createToken(owner, `${label}-${i}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return tokens;
  }

  /** `POST /api/v1/tokens/{id}/revoke` as the owner; answers the raw response (201 expected). */
  revokeToken(owner: BusinessSetup, tokenId: string, reason = 'bench') {
    return this.request('POST', `/api/v1/tokens/${tokenId}/revoke`, {
      headers: scoped(owner.ownerToken, owner.businessId),
      body: { reason },
    });
  }

  /** `GET /api/v1/me`, the authenticated probe. */
  me(token: string, businessId: string, options: Omit<RequestOptions, 'headers'> = {}) {
    return this.request('GET', '/api/v1/me', { ...options, headers: scoped(token, businessId) });
  }
}

/** Headers of a business-scoped call. */
export function scoped(token: string, businessId: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'x-business-id': businessId };
}

/** The headers a gateway sends `/auth/verify` to check `token` for `businessId`. */
export function gatewayScoped(token: string, businessId: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'x-latchkey-business': businessId };
}
