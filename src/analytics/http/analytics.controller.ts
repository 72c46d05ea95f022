import { applyDecorators, Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { BusinessScoped, Ctx, PlatformOnly } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors, RawResponse } from '../../common/http/envelope';
import {
  OUTCOMES_DOC,
  PlatformVerificationExportQueryDto,
  BusinessVerificationQueryDto,
  PlatformVerificationQueryDto,
  VerificationAnalyticsDto,
  VerificationExportQueryDto,
} from '../dto/analytics.dto';
import { VerificationAnalyticsService } from '../query/verification-analytics.service';

const READ_DOC =
  'Verifications counted per bucket: every request that presented a token (on any route) and ' +
  'every gateway check (GET /auth/verify). Counts are written every few seconds, rolled up to ' +
  'hours and days every minute, and kept per granularity (ANALYTICS_*_RETENTION_*). Outcomes: ' +
  OUTCOMES_DOC;
const BUSINESS_DOC =
  " Every token's for an owner or admin whose token allows tokens:admin, else the caller's own " +
  "tokens' alone. Example: `?granularity=minute&group_by=outcome,tag&from=2026-11-28T09:00:00Z`.";
const EXPORT_DOC =
  'The same counts, one line per bucket and group, streamed a slice of the window at a time. ' +
  'CSV cells that begin with =, +, -, @ are prefixed with a quote.';
const WINDOW_422 = [
  'VALIDATION_ERROR (from not before to; a window over 24 hours of minutes, 31 days of hours or 366 days of days; more than 10000 counts in an answer)',
];

/** Streams an export outside the envelope, as a file download. */
function download(lines: AsyncGenerator<string>, format: string | undefined, name: string) {
  const csv = format === 'csv';
  return new StreamableFile(Readable.from(lines, { highWaterMark: 1 }), {
    type: csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
    disposition: `attachment; filename="${name}.${csv ? 'csv' : 'ndjson'}"`,
  });
}

const ExportDocs = () =>
  applyDecorators(
    RawResponse(),
    ApiProduces('application/x-ndjson', 'text/csv'),
    ApiResponse({
      status: 200,
      description: 'The export, streamed',
      schema: { type: 'string', description: 'One count a line (NDJSON), or CSV with a header' },
    }),
    ApiErrors({ 422: WINDOW_422 }),
  );

@ApiTags('analytics')
@BusinessScoped()
@Controller('api/v1/analytics')
export class AnalyticsController {
  constructor(private readonly analytics: VerificationAnalyticsService) {}

  @Get('verifications')
  @ApiOperation({
    operationId: 'getVerificationAnalytics',
    summary: "Verifications of the business's tokens per minute, hour or day, by outcome and tag",
    description: READ_DOC + BUSINESS_DOC,
  })
  @ApiEnvelope(200, VerificationAnalyticsDto)
  @ApiErrors({ 422: WINDOW_422 })
  verifications(@Ctx() ctx: RequestContext, @Query() query: BusinessVerificationQueryDto) {
    return this.analytics.forBusiness(ctx, query);
  }

  @Get('verifications/export')
  @ApiOperation({
    operationId: 'exportVerificationAnalytics',
    summary: "Export the business's verification counts as CSV or NDJSON",
    description: EXPORT_DOC + BUSINESS_DOC,
  })
  @ExportDocs()
  export(@Ctx() ctx: RequestContext, @Query() query: VerificationExportQueryDto) {
    const format = query.format ?? 'ndjson';
    const lines = this.analytics.exportBusiness(ctx, query, format);
    return download(lines, format, `verifications-${ctx.businessId}`);
  }
}

@ApiTags('platform: analytics')
@PlatformOnly()
@Controller('platform/v1/analytics')
export class PlatformAnalyticsController {
  constructor(private readonly analytics: VerificationAnalyticsService) {}

  @Get('verifications')
  @ApiOperation({
    operationId: 'getPlatformVerificationAnalytics',
    summary: 'Verifications across businesses (or one), unknown tokens included',
    description: READ_DOC,
  })
  @ApiEnvelope(200, VerificationAnalyticsDto)
  @ApiErrors({ 422: WINDOW_422 })
  verifications(@Ctx() ctx: RequestContext, @Query() query: PlatformVerificationQueryDto) {
    return this.analytics.forPlatform(ctx, query);
  }

  @Get('verifications/export')
  @ApiOperation({
    operationId: 'exportPlatformVerificationAnalytics',
    summary: 'Export verification counts across businesses as CSV or NDJSON',
    description: EXPORT_DOC,
  })
  @ExportDocs()
  export(@Ctx() ctx: RequestContext, @Query() query: PlatformVerificationExportQueryDto) {
    const format = query.format ?? 'ndjson';
    return download(this.analytics.exportPlatform(ctx, query, format), format, 'verifications');
  }
}
