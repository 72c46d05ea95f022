import { toErrorResponse } from '../common/errors/error-response';
import { AUTH_ERRORS, AuthError, ForbiddenCode } from './auth-error';

describe(AuthError.name, () => {
  it('carries the RFC 6750 bearer challenge on a 401', () => {
    const sut = toErrorResponse(AuthError.bearer('TOKEN_REVOKED', 'revoked'), null);
    expect(sut.status).toBe(401);
    expect(sut.body.code).toBe('TOKEN_REVOKED');
    expect(sut.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('names the scopes needed in the RFC 6750 insufficient_scope challenge', () => {
    const sut = toErrorResponse(AuthError.insufficientScope(['orders:read', 'deploy:*']), null);
    expect({ status: sut.status, code: sut.body.code }).toEqual({
      status: 403,
      code: 'INSUFFICIENT_SCOPE',
    });
    expect(sut.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="orders:read deploy:*"',
    );
  });

  it('asks for a DPoP nonce with the RFC 9449 §9 challenge, and hands one on beside any DPoP refusal', () => {
    const sut = AuthError.useDpopNonce();
    const answer = toErrorResponse(sut.withDpopNonce('n0nce'), null);
    expect({ status: answer.status, code: answer.body.code }).toEqual({
      status: 401,
      code: 'USE_DPOP_NONCE',
    });
    expect(answer.headers['www-authenticate']).toMatch(
      /^DPoP error="use_dpop_nonce", error_description="[^"]+", algs="[A-Za-z0-9 ]+"$/,
    );
    expect(answer.headers['dpop-nonce']).toBe('n0nce');
    expect(toErrorResponse(sut, null).headers).not.toHaveProperty('dpop-nonce');
    const proof = AuthError.dpop('INVALID_DPOP_PROOF').withDpopNonce('n1');
    expect(toErrorResponse(proof, null).headers).toMatchObject({
      'www-authenticate': expect.stringMatching(/^DPoP error="invalid_dpop_proof"/),
      'dpop-nonce': 'n1',
    });
    expect([sut, proof, AuthError.bearer('INVALID_TOKEN')].map((e) => e.challengesDpop)).toEqual([
      true,
      true,
      false,
    ]);
  });

  const forbidden = Object.entries(AUTH_ERRORS).filter(([, entry]) => entry.status === 403);

  it.each(forbidden)('answers forbidden(%s) with 403 and no challenge', (code) => {
    const sut = toErrorResponse(AuthError.forbidden(code as ForbiddenCode, 'no'), null);
    expect({ status: sut.status, code: sut.body.code }).toEqual({ status: 403, code });
    expect(sut.headers).toEqual({});
  });

  it('accepts only the codes that answer 403 in forbidden, and only 401 codes in bearer', () => {
    // The compiler is the check (npm run typecheck covers specs): each line below must not compile.
    const wrong = [
      // @ts-expect-error a 401 code is not a refusal
      () => AuthError.forbidden('INVALID_TOKEN', 'x'),
      // @ts-expect-error a 404 code is not a refusal
      () => AuthError.forbidden('BUSINESS_NOT_FOUND', 'x'),
      // @ts-expect-error another feature's code
      () => AuthError.forbidden('LAST_OWNER', 'x'),
      // @ts-expect-error a 403 code is not a bearer failure
      () => AuthError.bearer('BUSINESS_SUSPENDED', 'x'),
    ];
    expect(wrong).toHaveLength(4);
  });
});
