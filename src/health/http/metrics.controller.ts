import { applyDecorators, Controller, Get, Header, Req, Res, SetMetadata } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '../../auth/decorators';
import { ApiErrors, RawResponse } from '../../common/http/envelope';
import { Metrics } from '../../metrics/metrics';
import { MetricsAccess } from '../metrics-access';

/**
 * Outside the token guard (MetricsAccess decides), and documented as what it is: a bearer of the
 * `metrics-token` scheme (METRICS_TOKEN) or a platform admin's token; open only with
 * METRICS_PUBLIC=true. `@Public()` would document it as open only.
 */
const MetricsSecurity = () =>
  applyDecorators(
    SetMetadata(IS_PUBLIC, true),
    ApiSecurity('metrics-token'),
    ApiSecurity('bearer'),
  );

const EXAMPLE = [
  '# HELP latchkey_token_verifications_total Presented bearer tokens, by outcome',
  '# TYPE latchkey_token_verifications_total counter',
  'latchkey_token_verifications_total{outcome="ok"} 1042',
  'latchkey_token_verifications_total{outcome="revoked"} 3',
  '',
].join('\n');

@ApiTags('operations')
@RawResponse()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly access: MetricsAccess,
    private readonly metrics: Metrics,
  ) {}

  @Get()
  @MetricsSecurity()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics, in the text exposition format',
    description:
      'For a Prometheus scraper. Its counters span every tenant, so it needs ' +
      '`Authorization: Bearer <METRICS_TOKEN>` (when the deployment sets one) or a platform ' +
      "admin's platform token; it is open only when the deployment sets `METRICS_PUBLIC=true`. " +
      'Labels hold no token, id or raw URL: requests are labelled by route template.',
  })
  @ApiProduces('text/plain')
  @ApiResponse({
    status: 200,
    description: 'The exposition: default process metrics, then latchkey_* metrics',
    content: { 'text/plain': { schema: { type: 'string' }, example: EXAMPLE } },
  })
  @ApiErrors({
    401: ['INVALID_TOKEN (no bearer, or neither METRICS_TOKEN nor a valid token)'],
    403: ["PLATFORM_ADMIN_REQUIRED (a valid token that is no platform admin's)"],
    429: ['RATE_LIMITED (too many failed authentications from this address)'],
  })
  async scrape(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    await this.access.check(request);
    void reply.header('content-type', this.metrics.contentType);
    return this.metrics.exposition();
  }
}
