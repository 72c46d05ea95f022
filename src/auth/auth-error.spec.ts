import { toErrorResponse } from '../common/error-response';
import { AuthError } from './auth-error';

describe(AuthError.name, () => {
  it('carries the RFC 6750 bearer challenge on a 401', () => {
    const sut = toErrorResponse(AuthError.bearer('TOKEN_REVOKED', 'revoked'), null);
    expect(sut.status).toBe(401);
    expect(sut.body.code).toBe('TOKEN_REVOKED');
    expect(sut.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });
});
