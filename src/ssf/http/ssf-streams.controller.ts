import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { BusinessOfToken, Ctx, RequireRole, RequireScope } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiErrors, RawResponse } from '../../common/http/envelope';
import { NoStore } from '../../common/http/no-store';
import {
  ReplaceStreamDto,
  StreamConfigDto,
  StreamConfigInputDto,
  StreamIdQueryDto,
  StreamQueryDto,
  StreamStatusDto,
  UpdateStreamDto,
  UpdateStreamStatusDto,
  VerifyStreamDto,
} from '../dto/ssf-stream.dto';
import { SsfStreamsService } from '../streams/ssf-streams.service';

/** Who may manage a business's streams: an owner or admin, with a token that allows it. */
export const SSF_SCOPE = 'ssf:manage';

const DENIED = { 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'] };
const ONE = { ...DENIED, 404: ['STREAM_NOT_FOUND'], 422: ['VALIDATION_ERROR'] };
const WRITE = { ...ONE, 503: ['WEBHOOKS_OFF (streams are pushed by the webhook worker)'] };

/**
 * The stream management API of SSF 1.0 §8.1, in its own shapes (outside the envelope). The
 * business is the token's own, so a standard receiver sends no `x-business-id`; a platform token
 * names the business with it.
 */
@ApiTags('shared signals')
@Controller('ssf/v1/streams')
@BusinessOfToken()
@RequireRole('admin')
@RequireScope(SSF_SCOPE)
@RawResponse()
@ApiExtraModels(StreamConfigDto)
export class SsfStreamsController {
  constructor(private readonly streams: SsfStreamsService) {}

  @Get()
  @ApiOperation({
    operationId: 'getSsfStreams',
    summary: 'One stream’s configuration (stream_id), or every stream of the business as a list',
  })
  @ApiOkResponse({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(StreamConfigDto) },
        { type: 'array', items: { $ref: getSchemaPath(StreamConfigDto) } },
      ],
    },
  })
  @ApiErrors(ONE)
  read(@Ctx() ctx: RequestContext, @Query() query: StreamQueryDto) {
    if (query.stream_id === undefined) return this.streams.list(ctx.businessId);
    return this.streams.get(ctx.businessId, query.stream_id.toLowerCase());
  }

  @Post()
  @NoStore()
  @ApiOperation({
    operationId: 'createSsfStream',
    summary: 'Create a stream: token changes of the business are pushed to it as signed SETs',
  })
  @ApiResponse({ status: 201, type: StreamConfigDto })
  @ApiErrors({ ...WRITE, 404: [], 409: ['STREAM_LIMIT_REACHED'] })
  create(@Ctx() ctx: RequestContext, @Body() dto: StreamConfigInputDto) {
    return this.streams.create(ctx, dto);
  }

  @Patch()
  @ApiOperation({ operationId: 'updateSsfStream', summary: 'Change the fields given' })
  @ApiOkResponse({ type: StreamConfigDto })
  @ApiErrors(WRITE)
  update(@Ctx() ctx: RequestContext, @Body() dto: UpdateStreamDto) {
    return this.streams.update(ctx, lowered(dto), false);
  }

  @Put()
  @ApiOperation({ operationId: 'replaceSsfStream', summary: 'Replace the configuration' })
  @ApiOkResponse({ type: StreamConfigDto })
  @ApiErrors(WRITE)
  replace(@Ctx() ctx: RequestContext, @Body() dto: ReplaceStreamDto) {
    return this.streams.update(ctx, lowered(dto), true);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteSsfStream',
    summary: 'Delete a stream; what it had not been sent is dropped',
  })
  @ApiResponse({ status: 204, description: 'No content' })
  @ApiErrors(ONE)
  async delete(@Ctx() ctx: RequestContext, @Query() query: StreamIdQueryDto): Promise<void> {
    await this.streams.delete(ctx, query.stream_id.toLowerCase());
  }

  @Get('status')
  @ApiOperation({ operationId: 'getSsfStreamStatus', summary: 'A stream’s status' })
  @ApiOkResponse({ type: StreamStatusDto })
  @ApiErrors(ONE)
  status(@Ctx() ctx: RequestContext, @Query() query: StreamIdQueryDto) {
    return this.streams.status(ctx.businessId, query.stream_id.toLowerCase());
  }

  @Post('status')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'updateSsfStreamStatus',
    summary:
      'Enable, pause (events are held until it is enabled) or disable (events are dropped) a stream',
  })
  @ApiOkResponse({ type: StreamStatusDto })
  @ApiErrors({ ...ONE, 409: ['STREAM_DISABLED (a disabled stream is enabled, not paused)'] })
  setStatus(@Ctx() ctx: RequestContext, @Body() dto: UpdateStreamStatusDto) {
    return this.streams.setStatus(ctx, lowered(dto));
  }

  @Post('verify')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'verifySsfStream',
    summary: 'Ask for a verification event, which echoes `state`; one per 10 seconds per stream',
  })
  @ApiResponse({ status: 204, description: 'No content' })
  @ApiErrors({
    ...ONE,
    409: ['STREAM_DISABLED'],
    429: ['VERIFICATION_TOO_SOON (see Retry-After)'],
  })
  async verify(@Ctx() ctx: RequestContext, @Body() dto: VerifyStreamDto): Promise<void> {
    await this.streams.verify(ctx, lowered(dto));
  }
}

/** A body's stream id as ids are stored: lowercase, so an uppercase spelling finds the stream. */
function lowered<T extends { stream_id: string }>(dto: T): T {
  return Object.assign(dto, { stream_id: dto.stream_id.toLowerCase() });
}
