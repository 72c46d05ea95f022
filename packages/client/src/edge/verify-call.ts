import type { LatchkeyHttp } from './http';
import { discard } from './http';
import type { EdgeSetupCheck, EdgeVerifyOptions } from './results';
import { claimsOf, errorCodeOf, retryAfterOf, type VerifiedClaims } from './verify-answer';

/** What one `GET /auth/verify` answered, read and bounded; what it means is the verifier's. */
export type VerifyAnswer =
  | { kind: 'claims'; status: number; claims: VerifiedClaims }
  | { kind: 'refused'; status: number; code: string | null }
  /** RATE_LIMITED, or USES_EXHAUSTED: a uses limit spent, which waits for its refill. */
  | { kind: 'limited'; status: number; code: string | null; retryAfter: number | undefined }
  /**
   * Latchkey refused this service rather than the token (403 GATEWAY_NOT_TRUSTED, or a 422 of
   * its requirements), or nothing at the base URL serves the route (404).
   */
  | { kind: 'misconfigured'; status: number; code: string | null }
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
    /** The resource every check is made at (canonical), or null for none. */
    private readonly resource: string | null,
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
    if (options.businessId !== undefined) headers['x-latchkey-business'] = options.businessId;
    // This call's own caller (checked to be an address literal), as a gateway's X-Forwarded-For.
    if (options.clientAddress !== undefined) headers['x-forwarded-for'] = options.clientAddress;
    if (scopes !== '') headers['x-latchkey-require-scope'] = scopes;
    if (options.limit !== undefined) headers['x-latchkey-limit'] = options.limit;
    if (this.resource !== null) headers['x-latchkey-resource'] = this.resource;
    return this.send(headers);
  }

  /**
   * A check with no token, which Latchkey judges as far as this service goes: the gateway's
   * secret is weighed before the token, so a 401 means Latchkey takes this service's checks.
   */
  probe(): Promise<VerifyAnswer> {
    return this.send({});
  }

  private async send(headers: Record<string, string>): Promise<VerifyAnswer> {
    if (this.gatewaySecret !== null) headers['x-latchkey-gateway-secret'] = this.gatewaySecret;
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
      const code = await errorCodeOf(response);
      if (code === 'GATEWAY_NOT_TRUSTED') return { kind: 'misconfigured', status, code };
      return { kind: 'refused', status, code };
    }
    if (status === 404 || status === 422) {
      return { kind: 'misconfigured', status, code: await errorCodeOf(response) };
    }
    if (status === 429) {
      const code = await errorCodeOf(response);
      return { kind: 'limited', status, code, retryAfter: retryAfterOf(response) };
    }
    await discard(response);
    return { kind: 'unreadable', status };
  }
}

/** What a probe's answer says of this service's setup (a refusal of its token is a pass). */
export function setupCheckOf(answer: VerifyAnswer): EdgeSetupCheck {
  switch (answer.kind) {
    case 'claims':
    case 'refused':
      return { ok: true };
    case 'misconfigured': {
      const found: EdgeSetupCheck = { ok: false, reason: 'misconfigured', status: answer.status };
      return answer.code === null ? found : { ...found, code: answer.code };
    }
    case 'limited':
    case 'unreadable': {
      const found: EdgeSetupCheck = { ok: false, reason: 'unreachable' };
      return answer.status === undefined ? found : { ...found, status: answer.status };
    }
  }
}
