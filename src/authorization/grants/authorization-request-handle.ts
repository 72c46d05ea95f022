import { Injectable } from '@nestjs/common';
import { decodeJwt, jwtVerify, SignJWT } from 'jose';
import { JwtDerivedKeys } from '../../signing/jwt-derived-keys';
import type { ValidatedAuthorizationRequest } from '../codes/dto/authorization-code.dto';

/** How long a person has, from the authorization request, to allow or deny it. */
export const REQUEST_LIFETIME_SECONDS = 600;
const TYP = 'latchkey-authorization-request+jwt';
const PURPOSE = 'oauth authorization request';

/** A checked authorization request, as the consent screen carries it back. */
export interface PendingRequest extends ValidatedAuthorizationRequest {
  businessId: string;
  expiresAt: Date;
}

/**
 * The authorization request the console's consent screen carries between the authorization
 * endpoint and the person's decision: every parameter the checks passed, in a JWT MACed with a
 * key derived for this purpose, so nothing is stored for a request nobody answers and nothing in
 * it can be changed on the way (another redirect URI, wider scopes). It holds no secret: the
 * code comes only with the decision, and only the PKCE verifier redeems it.
 */
@Injectable()
export class AuthorizationRequestHandles {
  /** The clock requests are dated by; a test moves it rather than wait ten minutes. */
  clock: () => number = Date.now;

  constructor(private readonly keys: JwtDerivedKeys) {}

  async seal(businessId: string, r: ValidatedAuthorizationRequest): Promise<string> {
    const now = Math.floor(this.clock() / 1000);
    return new SignJWT({
      bid: businessId,
      cid: r.clientId,
      ru: r.redirectUri,
      res: r.resource,
      sc: r.scopes,
      cc: r.codeChallenge,
      st: r.state,
      jkt: r.dpopJkt,
    })
      .setProtectedHeader({ alg: 'HS256', typ: TYP })
      .setIssuedAt(now)
      .setExpirationTime(now + REQUEST_LIFETIME_SECONDS)
      .sign(this.keys.derive(PURPOSE, now * 1000));
  }

  /** The request a handle holds, or null for one that was changed, is not one, or has expired. */
  async open(handle: string): Promise<PendingRequest | null> {
    if (handle.length > 8192) return null;
    try {
      const { iat } = decodeJwt(handle);
      if (typeof iat !== 'number' || !Number.isSafeInteger(iat)) return null;
      const { payload: p } = await jwtVerify(handle, this.keys.derive(PURPOSE, iat * 1000), {
        algorithms: ['HS256'],
        typ: TYP,
        currentDate: new Date(this.clock()),
        clockTolerance: 0,
      });
      return {
        businessId: p.bid as string,
        clientId: p.cid as string,
        redirectUri: p.ru as string,
        resource: p.res as string,
        scopes: p.sc as string[],
        codeChallenge: p.cc as string,
        codeChallengeMethod: 'S256',
        state: (p.st as string | null) ?? null,
        dpopJkt: (p.jkt as string | null) ?? null,
        expiresAt: new Date((p.exp as number) * 1000),
      };
    } catch {
      return null;
    }
  }
}
