import { applyDecorators, Controller, Get, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import {
  BusinessScoped,
  Ctx,
  PlatformOnly,
  RequireRole,
  RequireScope,
} from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors, RawResponse } from '../../common/http/envelope';
import { AuditService } from '../query/audit.service';
import {
  AuditEventDto,
  AuditExportQueryDto,
  AuditQueryDto,
  ChainVerdictDto,
  PlatformAuditQueryDto,
} from '../dto/audit.dto';

const LIST_DOC =
  'Newest first, keyset-paged. `action` is repeatable; `from` is inclusive, `to` exclusive. ' +
  'Example: `?action=token.revoked&action=token.rejected&from=2026-11-01T00:00:00Z&limit=50`.';
const EXPORT_DOC =
  'Streams the chain in `seq` order, in constant memory, with the same filters as the list. ' +
  'NDJSON lines carry `seq`, `prev_hash` and `hash`: `hash = sha256(prev_hash || RFC 8785 JSON ' +
  'of the line without prev_hash and hash)`, from a genesis of 64 zeros. CSV cells that begin ' +
  'with =, +, -, @ are prefixed with a quote.';
const VERIFY_DOC =
  'Recomputes the whole chain against its head, and its Merkle tree against the signed ' +
  'checkpoints. Any edited, deleted or reordered event makes it invalid, and ' +
  '`first_invalid_seq` says where. `checkpoint_checked` says whether a signed checkpoint was ' +
  'held to the events at all, and `signed_through_seq` how far they are pinned by one: without ' +
  'one, the verdict rests on the chain alone, which whoever can write the database can recompute.';

/** Streams an export outside the envelope, as a file download. */
function download(lines: AsyncGenerator<string>, format: string | undefined, name: string) {
  const csv = format === 'csv';
  // One batch in flight at a time: the export holds a batch, not a queue of them.
  return new StreamableFile(Readable.from(lines, { highWaterMark: 1 }), {
    type: csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
    disposition: `attachment; filename="${name}.${csv ? 'csv' : 'ndjson'}"`,
  });
}

/**
 * Sends a page the service wrote as JSON, envelope included (`pageJson`), with the content type
 * Fastify gives the JSON it serializes. Set once the page is written: an error on the way still
 * goes out as the error shape.
 */
async function pageOf(reply: FastifyReply, json: Promise<Buffer>): Promise<Buffer> {
  const body = await json;
  void reply.header('content-type', 'application/json; charset=utf-8');
  return body;
}

const ExportDocs = () =>
  applyDecorators(
    ApiProduces('application/x-ndjson', 'text/csv'),
    ApiResponse({
      status: 200,
      description: 'The export, streamed',
      schema: { type: 'string', description: 'One event a line (NDJSON), or CSV with a header' },
    }),
  );

@ApiTags('audit')
@BusinessScoped()
@RequireRole('admin')
@RequireScope('audit:read')
@Controller('api/v1/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RawResponse()
  @ApiOperation({
    operationId: 'listAuditEvents',
    summary: "The business's audit events (owner or admin, audit:read)",
    description: LIST_DOC,
  })
  @ApiEnvelope(200, AuditEventDto, { paginated: true })
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'], 422: ['VALIDATION_ERROR'] })
  list(
    @Ctx() ctx: RequestContext,
    @Query() query: AuditQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return pageOf(reply, this.audit.list(ctx, query));
  }

  @Get('export')
  @RawResponse()
  @ApiOperation({
    operationId: 'exportAuditEvents',
    summary: "Export the business's chain as NDJSON or CSV",
    description: EXPORT_DOC,
  })
  @ExportDocs()
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'], 422: ['VALIDATION_ERROR'] })
  export(@Ctx() ctx: RequestContext, @Query() query: AuditExportQueryDto) {
    return download(this.audit.export(ctx, query), query.format, `audit-${ctx.businessId}`);
  }

  @Get('verify')
  @ApiOperation({
    operationId: 'verifyAuditChain',
    summary: "Verify the business's hash chain",
    description: VERIFY_DOC,
  })
  @ApiEnvelope(200, ChainVerdictDto)
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'] })
  verify(@Ctx() ctx: RequestContext) {
    return this.audit.verify(ctx);
  }
}

@ApiTags('platform: audit')
@PlatformOnly()
// A platform token's scopes narrow it as a business token's do: the log needs audit:read.
@RequireScope('audit:read')
@ApiErrors({ 403: ['INSUFFICIENT_SCOPE'] })
@Controller('platform/v1/audit-events')
export class PlatformAuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RawResponse()
  @ApiOperation({
    operationId: 'listPlatformAuditEvents',
    summary: 'Audit events of every chain; business_id narrows to one',
    description: LIST_DOC,
  })
  @ApiEnvelope(200, AuditEventDto, { paginated: true })
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  list(
    @Ctx() ctx: RequestContext,
    @Query() query: PlatformAuditQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return pageOf(reply, this.audit.listAnyBusiness(ctx.actor.id, query));
  }

  @Get('export')
  @RawResponse()
  @ApiOperation({
    operationId: 'exportPlatformAuditEvents',
    summary: 'Export the platform chain (businesses, platform admins, users, platform tokens)',
    description: EXPORT_DOC,
  })
  @ExportDocs()
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  export(@Ctx() ctx: RequestContext, @Query() query: AuditExportQueryDto) {
    return download(this.audit.exportPlatform(ctx.actor.id, query), query.format, 'audit-platform');
  }

  @Get('verify')
  @ApiOperation({
    operationId: 'verifyPlatformAuditChain',
    summary: 'Verify the platform hash chain',
    description: VERIFY_DOC,
  })
  @ApiEnvelope(200, ChainVerdictDto)
  verify() {
    return this.audit.verifyPlatform();
  }
}
