import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { PLATFORM_CHAIN } from '../../audit/audit-entry';
import {
  BusinessScoped,
  Ctx,
  PlatformOnly,
  RequireRole,
  RequireScope,
} from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { NoStore } from '../../common/http/no-store';
import { PageQueryDto } from '../../common/validation/pagination';
import { uuidPipe } from '../../common/validation/validation.pipe';
import {
  CreatedWebhookDto,
  CreateWebhookDto,
  QueuedMessageDto,
  RecoveredDto,
  RecoverQueryDto,
  RotatedWebhookSecretDto,
  UpdateWebhookDto,
  WebhookAttemptDto,
  WebhookViewDto,
} from '../dto/webhook.dto';
import { MessageIdPipe } from './message-id.pipe';
import { ON_AUDIT, WEBHOOK_POLICY, WEBHOOK_ROLE } from '../endpoints/webhook-policy';
import { WebhookDeliveriesService } from '../messages/webhook-deliveries.service';
import { WebhooksService } from '../endpoints/webhooks.service';

const DENIED = { 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'] };
const ONE = { ...DENIED, 404: ['WEBHOOK_NOT_FOUND'], 422: ['VALIDATION_ERROR'] };
const ID = () => ApiParam({ name: 'webhook_id', format: 'uuid' });

/**
 * The routes of webhook endpoints, the same for a business (`/api/v1/webhooks`) and for the
 * platform chain (`/platform/v1/webhooks`): each controller below says only which chain, and
 * `op` names its operations apart (`listWebhooks`, `listPlatformWebhooks`).
 */
function webhookRoutes(op: (id: string) => string) {
  abstract class WebhookRoutes {
    constructor(
      protected readonly webhooks: WebhooksService,
      protected readonly delivery: WebhookDeliveriesService,
    ) {}

    protected abstract chainOf(ctx: RequestContext): string;

    @Get()
    @RequireScope(WEBHOOK_POLICY.list.scope)
    @ApiOperation({
      operationId: op('listWebhooks'),
      summary: 'List the webhook endpoints (webhooks:read, which webhooks:write covers)',
    })
    @ApiEnvelope(200, WebhookViewDto, { paginated: true })
    @ApiErrors({ ...DENIED, 422: ['VALIDATION_ERROR', 'INVALID_CURSOR'] })
    list(@Ctx() ctx: RequestContext, @Query() query: PageQueryDto) {
      return this.webhooks.list(this.chainOf(ctx), ctx.actor.id, query);
    }

    @Post()
    @RequireScope(WEBHOOK_POLICY.create.scope)
    @NoStore()
    @ApiOperation({
      operationId: op('createWebhook'),
      description: ON_AUDIT,
      summary:
        'Register an endpoint (at most 20). The answer holds its signing secret, shown this once',
    })
    @ApiEnvelope(201, CreatedWebhookDto)
    @ApiErrors({
      ...DENIED,
      409: ['WEBHOOK_LIMIT_REACHED'],
      422: ['VALIDATION_ERROR'],
      503: ['WEBHOOKS_OFF'],
    })
    create(@Ctx() ctx: RequestContext, @Body() dto: CreateWebhookDto) {
      return this.webhooks.create(ctx, this.chainOf(ctx), dto);
    }

    @Get(':webhook_id')
    @RequireScope(WEBHOOK_POLICY.get.scope)
    @ID()
    @ApiOperation({
      operationId: op('getWebhook'),
      summary: 'One webhook endpoint',
    })
    @ApiEnvelope(200, WebhookViewDto)
    @ApiErrors(ONE)
    get(@Ctx() ctx: RequestContext, @Param('webhook_id', uuidPipe('webhook_id')) id: string) {
      return this.webhooks.get(this.chainOf(ctx), id);
    }

    @Patch(':webhook_id')
    @RequireScope(WEBHOOK_POLICY.update.scope)
    @ID()
    @ApiOperation({
      operationId: op('updateWebhook'),
      description: ON_AUDIT,
      summary: 'Change the URL, the event types or the description; enable or disable',
    })
    @ApiEnvelope(200, WebhookViewDto)
    @ApiErrors(ONE)
    update(
      @Ctx() ctx: RequestContext,
      @Param('webhook_id', uuidPipe('webhook_id')) id: string,
      @Body() dto: UpdateWebhookDto,
    ) {
      return this.webhooks.update(ctx, this.chainOf(ctx), id, dto);
    }

    @Delete(':webhook_id')
    @RequireScope(WEBHOOK_POLICY.delete.scope)
    @ID()
    @ApiOperation({
      operationId: op('deleteWebhook'),
      description: ON_AUDIT,
      summary: 'Delete an endpoint; its undelivered messages are dropped',
    })
    @ApiEnvelope(200, WebhookViewDto)
    @ApiErrors(ONE)
    delete(@Ctx() ctx: RequestContext, @Param('webhook_id', uuidPipe('webhook_id')) id: string) {
      return this.webhooks.delete(ctx, this.chainOf(ctx), id);
    }

    @Post(':webhook_id/rotate-secret')
    @RequireScope(WEBHOOK_POLICY.rotate_secret.scope)
    @NoStore()
    @ID()
    @ApiOperation({
      operationId: op('rotateWebhookSecret'),
      description: ON_AUDIT,
      summary:
        'A new signing secret, shown this once; the old one keeps signing beside it for 24 hours',
    })
    @ApiEnvelope(201, RotatedWebhookSecretDto)
    @ApiErrors({ ...ONE, 409: ['WEBHOOK_KEY_SIGNED'], 503: ['WEBHOOKS_OFF'] })
    rotateSecret(
      @Ctx() ctx: RequestContext,
      @Param('webhook_id', uuidPipe('webhook_id')) id: string,
    ) {
      return this.webhooks.rotateSecret(ctx, this.chainOf(ctx), id);
    }

    @Get(':webhook_id/deliveries')
    @RequireScope(WEBHOOK_POLICY.deliveries.scope)
    @ID()
    @ApiOperation({
      operationId: op('listWebhookDeliveries'),
      summary:
        "The endpoint's delivery attempts, newest first: status, latency, the answer's first 1 KiB",
    })
    @ApiEnvelope(200, WebhookAttemptDto, { paginated: true })
    @ApiErrors({ ...ONE, 422: ['VALIDATION_ERROR', 'INVALID_CURSOR'] })
    deliveries(
      @Ctx() ctx: RequestContext,
      @Param('webhook_id', uuidPipe('webhook_id')) id: string,
      @Query() query: PageQueryDto,
    ) {
      return this.delivery.deliveries(this.chainOf(ctx), id, ctx.actor.id, query);
    }

    @Post(':webhook_id/deliveries/:message_id/redeliver')
    @RequireScope(WEBHOOK_POLICY.redeliver.scope)
    @ID()
    @ApiParam({
      name: 'message_id',
      schema: { type: 'string', pattern: '^msg_[0-9a-f]{32}$' },
      example: 'msg_4f9c2a7d1e0b4c6a8f3e2d1c0b9a8f7e',
    })
    @ApiOperation({
      operationId: op('redeliverWebhookMessage'),
      description: ON_AUDIT,
      summary: 'Send a message again now, with the same webhook-id',
    })
    @ApiEnvelope(201, QueuedMessageDto)
    @ApiErrors({
      ...ONE,
      404: ['WEBHOOK_NOT_FOUND', 'WEBHOOK_MESSAGE_NOT_FOUND'],
      409: ['WEBHOOK_DISABLED'],
    })
    redeliver(
      @Ctx() ctx: RequestContext,
      @Param('webhook_id', uuidPipe('webhook_id')) id: string,
      @Param('message_id', MessageIdPipe) messageId: string,
    ) {
      return this.delivery.redeliver(ctx, this.chainOf(ctx), id, messageId);
    }

    @Post(':webhook_id/recover')
    @RequireScope(WEBHOOK_POLICY.recover.scope)
    @ID()
    @ApiOperation({
      operationId: op('recoverWebhookMessages'),
      description: ON_AUDIT,
      summary: 'Resend every message given up on since a time (after an outage of the receiver)',
    })
    @ApiEnvelope(201, RecoveredDto)
    @ApiErrors({ ...ONE, 409: ['WEBHOOK_DISABLED'] })
    recover(
      @Ctx() ctx: RequestContext,
      @Param('webhook_id', uuidPipe('webhook_id')) id: string,
      @Query() query: RecoverQueryDto,
    ) {
      return this.delivery.recover(ctx, this.chainOf(ctx), id, query.since);
    }

    @Post(':webhook_id/test')
    @RequireScope(WEBHOOK_POLICY.test.scope)
    @ID()
    @ApiOperation({
      operationId: op('sendWebhookTest'),
      description: ON_AUDIT,
      summary: 'Send a webhook.test event to this endpoint now',
    })
    @ApiEnvelope(201, QueuedMessageDto)
    @ApiErrors({ ...ONE, 409: ['WEBHOOK_DISABLED'] })
    test(@Ctx() ctx: RequestContext, @Param('webhook_id', uuidPipe('webhook_id')) id: string) {
      return this.delivery.sendTest(ctx, this.chainOf(ctx), id);
    }
  }
  return WebhookRoutes;
}

@ApiTags('webhooks')
@BusinessScoped()
@RequireRole(WEBHOOK_ROLE)
@Controller('api/v1/webhooks')
export class WebhooksController extends webhookRoutes((id) => id) {
  constructor(webhooks: WebhooksService, delivery: WebhookDeliveriesService) {
    super(webhooks, delivery);
  }

  protected chainOf(ctx: RequestContext): string {
    return ctx.businessId;
  }
}

@ApiTags('platform: webhooks')
@PlatformOnly()
@Controller('platform/v1/webhooks')
export class PlatformWebhooksController extends webhookRoutes((id) =>
  id.replace('Webhook', 'PlatformWebhook'),
) {
  constructor(webhooks: WebhooksService, delivery: WebhookDeliveriesService) {
    super(webhooks, delivery);
  }

  protected chainOf(): string {
    return PLATFORM_CHAIN;
  }
}
