import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  BusinessScoped,
  Ctx,
  RequireRole,
  RequireScope,
  RetiringAllowed,
} from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { NoStore } from '../../common/http/no-store';
import { PageQueryDto } from '../../common/validation/pagination';
import { uuidPipe } from '../../common/validation/validation.pipe';
import {
  BulkRevokeDto,
  BulkRevokeResultDto,
  CreateTokenDto,
  ListTokensQueryDto,
  RevokeTokenDto,
  RotateTokenDto,
} from '../dto/token-requests.dto';
import { IssuedTokenDto, TokenDetailDto, TokenViewDto } from '../dto/token-view.dto';
import { UpdateTokenDto } from '../dto/update-token.dto';
import { ImportResultDto, ImportTokensDto } from '../dto/token-import.dto';
import { TokenImportService } from '../lifecycle/issuance/token-import.service';
import { TokenUpdateService } from '../lifecycle/token-update.service';
import { RiskyTokenDto } from '../dto/risky-token.dto';
import { TokenIssuanceService } from '../lifecycle/issuance/token-issuance.service';
import { TokenQueriesService } from '../lifecycle/token-queries.service';
import { BatchRevocationService } from '../lifecycle/revocation/batch-revocation.service';
import { TokenRevocationService } from '../lifecycle/revocation/token-revocation.service';
import { TokenRotationService } from '../lifecycle/issuance/token-rotation.service';

const tokenId = () => Param('token_id', uuidPipe('token_id'));

@ApiTags('tokens')
@BusinessScoped()
@Controller('api/v1/tokens')
export class TokensController {
  constructor(
    private readonly issuance: TokenIssuanceService,
    private readonly revocation: TokenRevocationService,
    private readonly batches: BatchRevocationService,
    private readonly rotation: TokenRotationService,
    private readonly queries: TokenQueriesService,
    private readonly updates: TokenUpdateService,
    private readonly imports: TokenImportService,
  ) {}

  @Post()
  @NoStore()
  @ApiOperation({
    operationId: 'createToken',
    summary: 'Create a token; the secret is in this response only',
    description:
      'For the caller, or (owner or admin with tokens:admin) for a machine identity of the ' +
      'business. Scopes never exceed those of the calling token, nor its networks, rate limit ' +
      'or uses left (uses_limit). A token the business marks as needing approval (the token ' +
      "policy's approval_required) is 403 APPROVAL_REQUIRED: ask for it with POST " +
      '/api/v1/token-requests. The CLI and rotation are exempt from that rule.',
  })
  @ApiEnvelope(201, IssuedTokenDto)
  @ApiErrors({
    403: ['SCOPE_ESCALATION', 'INSUFFICIENT_ROLE', 'APPROVAL_REQUIRED'],
    404: ['IDENTITY_NOT_FOUND'],
    409: ['TOKEN_LIMIT_REACHED'],
    422: [
      'VALIDATION_ERROR',
      'EXPIRY_EXCEEDS_MAKER',
      'CONSTRAINTS_EXCEED_MAKER',
      'POLICY_VIOLATION',
    ],
  })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateTokenDto) {
    return this.issuance.create(ctx, dto);
  }

  @Get()
  @ApiOperation({
    operationId: 'listTokens',
    summary: "List tokens: a member's own, or every token for an admin",
  })
  @ApiEnvelope(200, TokenViewDto, { paginated: true })
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  list(@Ctx() ctx: RequestContext, @Query() query: ListTokensQueryDto) {
    return this.queries.list(ctx, query);
  }

  // Not read as a token id: Fastify's router tries a static segment before a parameter.
  @Get('risky')
  @ApiOperation({
    operationId: 'listRiskyTokens',
    summary: 'List active tokens worth a look, each with its reasons',
    description:
      'Active tokens with no expiry, no allowed_cidrs and unrestricted scopes all at once, and ' +
      'those unused for 90 days (never used: made more than 90 days ago). Each lists every ' +
      "reason that applies. A member's own, or every token for an owner or admin whose token " +
      'allows tokens:admin. Oldest first.',
  })
  @ApiEnvelope(200, RiskyTokenDto, { paginated: true })
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  listRisky(@Ctx() ctx: RequestContext, @Query() query: PageQueryDto) {
    return this.queries.listRisky(ctx, query);
  }

  @Post('self/revoke')
  @RetiringAllowed()
  @ApiOperation({
    operationId: 'revokeOwnToken',
    summary: 'Revoke the token making this call (the last step of a rotation)',
  })
  @ApiEnvelope(201, TokenViewDto, { codes: ['ALREADY_REVOKED'] })
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  // Optional: no body is checked as an empty one, and every field is optional.
  @ApiBody({ type: RevokeTokenDto, required: false })
  revokeSelf(@Ctx() ctx: RequestContext, @Body() dto: RevokeTokenDto) {
    return this.revocation.revokeSelf(ctx, dto.reason ?? null);
  }

  @Post('bulk-revoke')
  @HttpCode(200)
  @RequireRole('admin')
  @RequireScope('tokens:admin')
  @ApiOperation({
    operationId: 'revokeTokensInBulk',
    summary: 'Revoke every matching token of the business in one transaction',
    description:
      'At least one of identity_id, created_before, scope or all: true. dry_run only counts.',
  })
  @ApiEnvelope(200, BulkRevokeResultDto)
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'], 422: ['VALIDATION_ERROR'] })
  bulkRevoke(@Ctx() ctx: RequestContext, @Body() dto: BulkRevokeDto) {
    return this.batches.bulkRevoke(ctx, dto);
  }

  @Post('import')
  @RequireRole('owner')
  @RequireScope('tokens:admin')
  @ApiOperation({
    operationId: 'createImportedTokens',
    summary: 'Import keys from another service by their SHA-256, all or none',
    description:
      'Owner (or a platform token) with tokens:admin. Each key becomes a token of a member ' +
      'identity (origin import) that verifies as its holder presents it. A hash any token holds ' +
      'already, or one named twice, refuses the whole batch (409 TOKEN_HASH_IN_USE). No hash is ' +
      "ever shown again, nor echoed in an error. The token policy's approval_required holds a " +
      'key back as it does a create (403 APPROVAL_REQUIRED).',
  })
  @ApiEnvelope(201, ImportResultDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE', 'SCOPE_ESCALATION', 'APPROVAL_REQUIRED'],
    409: ['TOKEN_HASH_IN_USE', 'TOKEN_LIMIT_REACHED'],
    422: ['VALIDATION_ERROR', 'SECRET_IN_TEXT', 'EXPIRY_EXCEEDS_MAKER', 'POLICY_VIOLATION'],
  })
  importKeys(@Ctx() ctx: RequestContext, @Body() dto: ImportTokensDto) {
    return this.imports.import(ctx, dto.keys);
  }

  @Get(':token_id')
  @ApiOperation({
    operationId: 'getToken',
    summary: 'One token, with its status-list entry',
  })
  @ApiEnvelope(200, TokenDetailDto)
  @ApiErrors({ 404: ['TOKEN_NOT_FOUND'], 422: ['VALIDATION_ERROR'] })
  get(@Ctx() ctx: RequestContext, @tokenId() id: string) {
    return this.queries.get(ctx, id);
  }

  @Patch(':token_id')
  @ApiOperation({
    operationId: 'updateToken',
    summary: 'Rename a token, set its meta, or narrow it',
    description:
      'Every field is optional, and one is needed. scopes, expires_at, allowed_cidrs, ' +
      'rate_limit_per_minute and uses_limit may only narrow: fewer scopes, a sooner expiry, ' +
      'networks within the old ones, a lower limit; anything wider is 403 WIDENING_NOT_ALLOWED ' +
      'naming each field. A ' +
      'name alone is not audited; anything more is audited as token.updated, with before and ' +
      'after. Every instance drops its cached copy at once.',
  })
  @ApiEnvelope(200, TokenViewDto)
  @ApiErrors({
    403: ['WIDENING_NOT_ALLOWED', 'INSUFFICIENT_ROLE'],
    404: ['TOKEN_NOT_FOUND'],
    409: ['TOKEN_ALREADY_ROTATED'],
    422: ['VALIDATION_ERROR', 'SECRET_IN_TEXT'],
  })
  update(@Ctx() ctx: RequestContext, @tokenId() id: string, @Body() dto: UpdateTokenDto) {
    return this.updates.update(ctx, id, dto);
  }

  @Post(':token_id/revoke')
  @RetiringAllowed()
  @ApiOperation({
    operationId: 'revokeToken',
    summary: 'Revoke a token, with a reason',
    description: 'Revoking again answers 201 with code ALREADY_REVOKED and the first revocation.',
  })
  @ApiEnvelope(201, TokenViewDto, { codes: ['ALREADY_REVOKED'] })
  @ApiErrors({ 404: ['TOKEN_NOT_FOUND'], 422: ['VALIDATION_ERROR'] })
  // Optional: no body is checked as an empty one, and every field is optional.
  @ApiBody({ type: RevokeTokenDto, required: false })
  revoke(@Ctx() ctx: RequestContext, @tokenId() id: string, @Body() dto: RevokeTokenDto) {
    return this.revocation.revoke(ctx, id, dto.reason ?? null);
  }

  @Delete(':token_id')
  @RetiringAllowed()
  @ApiOperation({
    operationId: 'deleteToken',
    summary:
      'Revoke a token (the same revocation, answered 200); the body and its reason are optional',
  })
  @ApiEnvelope(200, TokenViewDto, { codes: ['ALREADY_REVOKED'] })
  @ApiErrors({ 404: ['TOKEN_NOT_FOUND'], 422: ['VALIDATION_ERROR'] })
  // Optional: no body is checked as an empty one, and every field is optional.
  @ApiBody({ type: RevokeTokenDto, required: false })
  delete(@Ctx() ctx: RequestContext, @tokenId() id: string, @Body() dto: RevokeTokenDto) {
    return this.revocation.revoke(ctx, id, dto.reason ?? null);
  }

  @Post(':token_id/rotate')
  @NoStore()
  @ApiOperation({
    operationId: 'rotateToken',
    summary:
      'Issue a successor with the same name and scopes; retire the old one now or after a grace period',
  })
  @ApiEnvelope(201, IssuedTokenDto)
  @ApiErrors({
    403: ['SCOPE_ESCALATION', 'NOT_TOKEN_HOLDER'],
    404: ['TOKEN_NOT_FOUND'],
    409: ['TOKEN_NOT_ACTIVE', 'TOKEN_ALREADY_ROTATED'],
    422: ['VALIDATION_ERROR', 'EXPIRY_EXCEEDS_MAKER', 'POLICY_VIOLATION'],
  })
  // Optional: no body is checked as an empty one, and every field is optional.
  @ApiBody({ type: RotateTokenDto, required: false })
  rotate(@Ctx() ctx: RequestContext, @tokenId() id: string, @Body() dto: RotateTokenDto) {
    return this.rotation.rotate(ctx, id, dto);
  }
}
