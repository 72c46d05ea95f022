import { applyDecorators, Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  BusinessScoped,
  Ctx,
  PlatformOnly,
  Public,
  RequireRole,
  RequireScope,
} from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors, RawResponse } from '../../common/http/envelope';
import { PageQueryDto } from '../../common/validation/pagination';
import { AuditCheckpoints } from '../checkpoints/audit-checkpoints';
import { PLATFORM_CHAIN } from '../store/audit-event.entity';
import {
  AuditSeqParamDto,
  CheckpointDto,
  ConsistencyQueryDto,
  InclusionQueryDto,
} from '../dto/checkpoint.dto';

/**
 * Sends the text as `text/plain`. Set once the answer is known, not by a route decorator: an
 * error on the way must still go out as the JSON error shape.
 */
async function plain(reply: FastifyReply, text: Promise<string> | string): Promise<string> {
  const body = await text;
  void reply.header('content-type', 'text/plain; charset=utf-8');
  return body;
}

const CHECKPOINT_EXAMPLE =
  'latchkey.example.com/audit/3f0e…\n1000\npVu1xTyaxZ2/ndxjvWuO8EM2wcoVd7n8ZUoZ2Y5Pj6A=\n\n' +
  '— latchkey.example.com WgwfPk0i…\n';

/** A route that answers `text/plain`, outside the envelope. */
const PlainText = (description: string, example: string) =>
  applyDecorators(
    RawResponse(),
    ApiProduces('text/plain'),
    ApiResponse({
      status: 200,
      description,
      content: { 'text/plain': { schema: { type: 'string' }, example } },
    }),
  );

const Latest = () =>
  applyDecorators(
    PlainText('The signed note (c2sp.org/tlog-checkpoint)', CHECKPOINT_EXAMPLE),
    ApiErrors({ 404: ['CHECKPOINT_NOT_FOUND', 'CHECKPOINTS_OFF'] }),
  );

const Inclusion = () =>
  applyDecorators(
    PlainText(
      'c2sp.org/tlog-proof@v1: the leaf index (seq − 1), the proof hashes, then the checkpoint',
      `c2sp.org/tlog-proof@v1\nindex 41\n…base64 hashes, one a line…\n\n${CHECKPOINT_EXAMPLE}`,
    ),
    ApiErrors({ 404: ['CHECKPOINT_NOT_FOUND', 'CHECKPOINTS_OFF'], 422: ['VALIDATION_ERROR'] }),
  );

const Consistency = () =>
  applyDecorators(
    PlainText(
      'latchkey.audit-consistency@v1: the old and new sizes, then the RFC 6962 proof hashes',
      'latchkey.audit-consistency@v1\nold 1000\nnew 2000\n…base64 hashes, one a line…\n',
    ),
    ApiErrors({ 422: ['VALIDATION_ERROR'] }),
  );

const INCLUSION_DOC =
  "Proves that the event with this `seq` is leaf seq − 1 of the checkpoint's tree (RFC 6962). " +
  "Recompute the leaf as SHA-256(0x00 ‖ the event's canonical JSON), fold the proof, and " +
  'compare with the signed root.';
const CONSISTENCY_DOC =
  'Proves that the tree of `from` events is a prefix of the tree of `to` (RFC 6962 §2.1.2): ' +
  'nothing in a checkpoint you kept was changed since. Check it with ' +
  '`npm run cli -- audit verify-consistency --old old.txt --new new.txt --proof proof.txt`.';

@ApiTags('audit')
@BusinessScoped()
@RequireRole('admin')
@RequireScope('audit:read')
@Controller('api/v1/audit-events')
export class AuditCheckpointsController {
  constructor(private readonly checkpoints: AuditCheckpoints) {}

  @Get('checkpoint')
  @ApiOperation({
    operationId: 'getAuditCheckpoint',
    summary: "The business's latest signed audit checkpoint",
  })
  @Latest()
  latest(@Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return plain(reply, this.checkpoints.latest(ctx.businessId));
  }

  @Get('checkpoints')
  @ApiOperation({
    operationId: 'listAuditCheckpoints',
    summary: 'Signed checkpoints, largest first',
  })
  @ApiEnvelope(200, CheckpointDto, { paginated: true })
  @ApiErrors({ 422: ['VALIDATION_ERROR', 'INVALID_CURSOR'] })
  list(@Ctx() ctx: RequestContext, @Query() query: PageQueryDto) {
    return this.checkpoints.list(ctx.businessId, query.limit, query.cursor);
  }

  @Get('consistency')
  @ApiOperation({
    operationId: 'getAuditConsistencyProof',
    summary: 'Prove the log only grew between two tree sizes',
    description: CONSISTENCY_DOC,
  })
  @Consistency()
  consistency(
    @Ctx() ctx: RequestContext,
    @Query() query: ConsistencyQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return plain(reply, this.checkpoints.consistency(ctx.businessId, query.from, query.to));
  }

  @Get(':seq/inclusion')
  @ApiOperation({
    operationId: 'getAuditInclusionProof',
    summary: 'Prove an event is in a signed checkpoint',
    description: INCLUSION_DOC,
  })
  @Inclusion()
  inclusion(
    @Ctx() ctx: RequestContext,
    @Param() params: AuditSeqParamDto,
    @Query() query: InclusionQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return plain(reply, this.checkpoints.inclusion(ctx.businessId, params.seq, query.size));
  }
}

@ApiTags('platform: audit')
@PlatformOnly()
// A platform token's scopes narrow it as a business token's do: the log needs audit:read.
@RequireScope('audit:read')
@ApiErrors({ 403: ['INSUFFICIENT_SCOPE'] })
@Controller('platform/v1/audit-events')
export class PlatformAuditCheckpointsController {
  constructor(private readonly checkpoints: AuditCheckpoints) {}

  @Get('checkpoint')
  @ApiOperation({
    operationId: 'getPlatformAuditCheckpoint',
    summary: "The platform chain's latest signed checkpoint",
  })
  @Latest()
  latest(@Res({ passthrough: true }) reply: FastifyReply) {
    return plain(reply, this.checkpoints.latest(PLATFORM_CHAIN));
  }

  @Get('checkpoints')
  @ApiOperation({
    operationId: 'listPlatformAuditCheckpoints',
    summary: "The platform chain's signed checkpoints, largest first",
  })
  @ApiEnvelope(200, CheckpointDto, { paginated: true })
  @ApiErrors({ 422: ['VALIDATION_ERROR', 'INVALID_CURSOR'] })
  list(@Query() query: PageQueryDto) {
    return this.checkpoints.list(PLATFORM_CHAIN, query.limit, query.cursor);
  }

  @Get('consistency')
  @ApiOperation({
    operationId: 'getPlatformAuditConsistencyProof',
    summary: 'Prove the platform log only grew between two tree sizes',
    description: CONSISTENCY_DOC,
  })
  @Consistency()
  consistency(
    @Query() query: ConsistencyQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return plain(reply, this.checkpoints.consistency(PLATFORM_CHAIN, query.from, query.to));
  }

  @Get(':seq/inclusion')
  @ApiOperation({
    operationId: 'getPlatformAuditInclusionProof',
    summary: 'Prove a platform event is in a signed checkpoint',
    description: INCLUSION_DOC,
  })
  @Inclusion()
  inclusion(
    @Param() params: AuditSeqParamDto,
    @Query() query: InclusionQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return plain(reply, this.checkpoints.inclusion(PLATFORM_CHAIN, params.seq, query.size));
  }
}

@ApiTags('audit')
@Controller('.well-known')
export class AuditKeyController {
  constructor(private readonly checkpoints: AuditCheckpoints) {}

  @Get('latchkey-audit-key')
  @Public()
  @ApiOperation({
    operationId: 'getAuditVerifierKey',
    summary: "The audit log's verifier key (c2sp.org/signed-note)",
    description:
      'Public. `<name>+<key id>+<base64 key>`: keep it beside the checkpoints you save, and ' +
      'give it to `npm run cli -- audit verify --key`.',
  })
  @PlainText('The verifier key', 'latchkey.example.com+5a0c1f3e+AcS2…\n')
  @ApiErrors({ 404: ['CHECKPOINTS_OFF'] })
  key(@Res({ passthrough: true }) reply: FastifyReply) {
    return plain(reply, this.checkpoints.verifierKey());
  }
}
