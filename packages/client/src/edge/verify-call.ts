import type { LatchkeyHttp } from './http';
import { discard } from './http';
import type { EdgeVerifyOptions } from './results';
import { claimsOf, errorCodeOf, retryAfterOf, type VerifiedClaims } from './verify-answer';

/** What one `GET /auth/verify` answered, read and bounded; what it means is the verifier's. */
export type VerifyAnswer =
  | { kind: 'claims'; status: number; claims: VerifiedClaims }
  | { kind: 'refused'; status: number; code: string | null }
  /** RATE_LIMITED, or USES_EXHAUSTED: a uses limit spent, which waits for its refill. */
  | { kind: 'limited'; status: number; code: string | null; retryAfter: number | undefined }
  /** No answer at all (status undefined), or none we can read: never a pass. */
  | { kind: 'unreadable'; status: number | undefined };

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Asks Latchkey about one token, as a gateway does, and reads what it said. */
export class VerifyCall {
  /** The header the token goes in (VERIFY_TOKEN_HEADER), or null for `Authorization: Bearer`. */
  private readonly tokenHeader: string | null;
  private readonly gatewaySecret: string | null;

  constructor(
    private readonly http: LatchkeyHttp,
    private readonly verifyUrl: string,
    tokenHeader: string | undefined,
    gatewaySecret: string | undefined,
  ) {
    if (tokenHeader !== undefined && !HEADER_NAME.test(tokenHeader)) {
      throw new TypeError('tokenHeader must be a header name');
    }
    const header = tokenHeader?.toLowerCase();
    this.tokenHeader = header === undefined || header === 'authorization' ? null : header;
    this.gatewaySecret = gatewaySecret ?? null;
  }

  async ask(token: string, options: EdgeVerifyOptions, scopes: string): Promise<VerifyAnswer> {
    const headers: Record<string, string> =
      this.tokenHeader === null
        ? { authorization: `Bearer ${token}` }
        : { [this.tokenHeader]: token };
    if (this.gatewaySecret !== null) headers['x-latchkey-gateway-secret'] = this.gatewaySecret;
    if (options.businessId !== undefined) headers['x-latchkey-business'] = options.businessId;
    // This call's own caller (checked to be an address literal), as a gateway's X-Forwarded-For.
    if (options.clientAddress !== undefined) headers['x-forwarded-for'] = options.clientAddress;
    if (scopes !== '') headers['x-latchkey-require-scope'] = scopes;
    if (options.limit !== undefined) headers['x-latchkey-limit'] = options.limit;
    let response: Response;
    try {
      response = await this.http.get(this.verifyUrl, headers);
    } catch {
      return { kind: 'unreadable', status: undefined };
    }
    const { status } = response;
    if (status === 204) {
      await discard(response);
      const claims = claimsOf(response.headers);
      return claims === null ? { kind: 'unreadable', status } : { kind: 'claims', status, claims };
    }
    if (status === 401 || status === 403) {
      return { kind: 'refused', status, code: await errorCodeOf(response) };
    }
    if (status === 429) {
      const code = await errorCodeOf(response);
      return { kind: 'limited', status, code, retryAfter: retryAfterOf(response) };
    }
    await discard(response);
    return { kind: 'unreadable', status };
  }
}
