import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthError } from '../auth/auth-error';
import { bearerTokenOf } from '../auth/guards/bearer.guard';
import { TokenVerifier } from '../tokens/verify/token-verifier';
import { originOf } from '../auth/request-context';
import { clientIp } from '../common/http/client-ip';
import { publicBaseUrl } from '../config/sections/features/status-list-config';
import { AppConfig } from '../config/app-config';
import { AuthFailureLimiter } from '../throttle/auth-failure-limiter';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Who may scrape /metrics, whose counters span every tenant: a bearer equal to METRICS_TOKEN,
 * or a platform admin's platform token; anyone only when METRICS_PUBLIC=true says so on purpose.
 * The shared secret is compared as SHA-256 digests with `timingSafeEqual`, so the time taken says
 * nothing about how much of a guess was right, nor about the secret's length. A wrong or missing
 * bearer is a failed authentication like any other: it spends the client IP's budget, and 429
 * once that is spent. A valid token that is no platform admin's is 403.
 */
@Injectable()
export class MetricsAccess {
  private readonly expected: Buffer | null;
  private readonly open: boolean;
  /** The installation's own resource: a token bound to audiences scrapes only when it is one. */
  private readonly resource: string;

  constructor(
    config: AppConfig,
    private readonly failures: AuthFailureLimiter,
    private readonly verifier: TokenVerifier,
  ) {
    this.expected = config.METRICS_TOKEN === undefined ? null : digest(config.METRICS_TOKEN);
    this.open = config.METRICS_PUBLIC;
    this.resource = publicBaseUrl(config);
  }

  /** Resolves when the request may scrape; throws the 401, 403 or 429 otherwise. */
  async check(request: FastifyRequest): Promise<void> {
    if (this.open) return;
    const ip = clientIp(request) ?? undefined;
    this.failures.refuseBlocked(ip);
    const presented = bearerTokenOf(request.headers.authorization);
    if (presented === null) throw await this.failures.answer(ip, missing());
    if (this.expected !== null && timingSafeEqual(digest(presented), this.expected)) return;
    let principal;
    try {
      principal = await this.verifier.verify(presented, originOf(request), null, this.resource);
    } catch (e) {
      throw e instanceof AuthError && e.status === 401 ? await this.failures.answer(ip, e) : e;
    }
    if (principal.token.businessId === null && principal.actor.isPlatformAdmin) return;
    throw AuthError.forbidden(
      'PLATFORM_ADMIN_REQUIRED',
      'Metrics span every tenant: scrape with METRICS_TOKEN or a platform admin token',
    );
  }
}

const missing = () =>
  AuthError.bearer(
    'INVALID_TOKEN',
    'Send METRICS_TOKEN or a platform admin token as the bearer to scrape metrics',
  );
