import { toErrorResponse } from '../common/errors/error-response';
import { RateLimitedError } from './rate-limited.error';

describe(RateLimitedError.name, () => {
  it('answers 429, RATE_LIMITED and a plain integer Retry-After, rounded up', () => {
    const sut = toErrorResponse(new RateLimitedError(12.2), 'r');
    expect(sut.status).toBe(429);
    expect(sut.headers).toEqual({ 'retry-after': '13' });
    expect(sut.body).toMatchObject({ success: false, code: 'RATE_LIMITED', request_id: 'r' });
  });

  it('never invites a retry at once', () => {
    expect(toErrorResponse(new RateLimitedError(0), 'r').headers).toEqual({ 'retry-after': '1' });
  });
});
