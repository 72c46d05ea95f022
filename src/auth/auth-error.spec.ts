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
