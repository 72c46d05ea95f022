import { Controller, Get, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PLATFORM_CHAIN } from '../../audit/audit-entry';
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
import { WebhookKeysDto } from '../dto/webhook.dto';
import { WebhookKeyQueryDto, WebhookSigningKeysDto } from '../dto/webhook-signing-key.dto';
import { WebhookSigningKeys } from '../signing/webhook-signing-keys';

const DENIED = { 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'] };

/**
 * A chain's own v1a key, for the people who run its receivers: which key signs now (and the one
 * it replaced, while that still signs), and rotation. The same for a business
 * (`/api/v1/webhooks/signing-key`) and for the platform chain.
 */
function signingKeyRoutes(op: (id: string) => string) {
  abstract class SigningKeyRoutes {
    constructor(protected readonly keys: WebhookSigningKeys) {}

    protected abstract chainOf(ctx: RequestContext): string;

    @Get()
    @RequireScope('webhooks:read')
    @ApiOperation({
      operationId: op('getWebhookSigningKey'),
      summary: "The public key that verifies this chain's v1a webhooks, with its kid: pin it",
    })
    @ApiEnvelope(200, WebhookSigningKeysDto)
    @ApiErrors({ ...DENIED, 503: ['WEBHOOKS_OFF'] })
    get(@Ctx() ctx: RequestContext) {
      return this.keys.view(this.chainOf(ctx));
    }

    @Post('rotate')
    @RequireScope('webhooks:write')
    @ApiOperation({
      operationId: op('rotateWebhookSigningKey'),
      summary:
        'A new v1a key signs from now on; the one it replaces keeps signing beside it for 24 hours',
    })
    @ApiEnvelope(201, WebhookSigningKeysDto)
    @ApiErrors({ ...DENIED, 503: ['WEBHOOKS_OFF'] })
    rotate(@Ctx() ctx: RequestContext) {
      return this.keys.rotate(ctx, this.chainOf(ctx));
    }
  }
  return SigningKeyRoutes;
}

@ApiTags('webhooks')
@BusinessScoped()
@RequireRole('admin')
@Controller('api/v1/webhooks/signing-key')
export class WebhookSigningKeyController extends signingKeyRoutes((id) => id) {
  constructor(keys: WebhookSigningKeys) {
    super(keys);
  }

  protected chainOf(ctx: RequestContext): string {
    return ctx.businessId;
  }
}

@ApiTags('platform: webhooks')
@PlatformOnly()
@Controller('platform/v1/webhooks/signing-key')
export class PlatformWebhookSigningKeyController extends signingKeyRoutes((id) =>
  id.replace('Webhook', 'PlatformWebhook'),
) {
  constructor(keys: WebhookSigningKeys) {
    super(keys);
  }

  protected chainOf(): string {
    return PLATFORM_CHAIN;
  }
}

@ApiTags('webhooks')
@Controller('.well-known')
export class WebhookKeysController {
  constructor(private readonly keys: WebhookSigningKeys) {}

  @Get('latchkey-webhook-keys')
  @Public()
  @RawResponse()
  @ApiOperation({
    operationId: 'getWebhookKeys',
    summary: 'The public key that a v1a (Ed25519) webhook signature names, by its kid',
    description:
      'Public, outside the envelope. A receiver verifies `webhook-signature: v1a,<base64>` over ' +
      '`<webhook-id>.<webhook-timestamp>.<body>` with its own business’s key: the kid that ' +
      '`webhook-key-id` names must start with its business id. Every well-formed kid is ' +
      'answered alike, whether or not its business exists, so this route lists no tenant.',
  })
  @ApiResponse({ status: 200, type: WebhookKeysDto })
  @ApiErrors({ 422: ['VALIDATION_ERROR'], 503: ['WEBHOOKS_OFF'] })
  get(@Query() query: WebhookKeyQueryDto): WebhookKeysDto {
    return this.keys.published(query.kid);
  }
}
