import { ThrottlerStorageService } from '@nestjs/throttler';
import { loadConfig } from '../config/load-config';
import { NoMetrics } from '../metrics/metrics';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { RateLimitedError } from './rate-limited.error';

describe(AuthFailureLimiter.name, () => {
  const failure = new Error('the 401');
  const limiter = (limit: string) =>
    new AuthFailureLimiter(
      loadConfig({ RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: limit }),
      new ThrottlerStorageService(),
      new NoMetrics(),
    );

  it('lets the budget of failures through, then answers 429 with Retry-After', async () => {
    const sut = limiter('3');
    for (let i = 0; i < 3; i++) expect(await sut.answer('10.0.0.1', failure)).toBe(failure);
    const error = await sut.answer('10.0.0.1', failure);
    expect(error).toBeInstanceOf(RateLimitedError);
    const limited = error as RateLimitedError;
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('keeps a budget per client IP', async () => {
    const sut = limiter('1');
    expect(await sut.answer('10.0.0.1', failure)).toBe(failure);
    expect(await sut.answer('10.0.0.1', failure)).toBeInstanceOf(RateLimitedError);
    expect(await sut.answer('10.0.0.2', failure)).toBe(failure);
  });

  it('counts nothing when the limit is 0', async () => {
    const sut = limiter('0');
    for (let i = 0; i < 50; i++) expect(await sut.answer('10.0.0.1', failure)).toBe(failure);
  });
});
