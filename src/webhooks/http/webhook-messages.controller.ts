import { Controller, Get, Param } from '@nestjs/common';
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
import { uuidPipe } from '../../common/validation/validation.pipe';
import { WebhookMessageDto } from '../dto/webhook-message.dto';
import { MessageIdPipe } from './message-id.pipe';
import { WebhookMessagesService } from '../messages/webhook-messages.service';
import { ON_AUDIT, WEBHOOK_POLICY } from '../endpoints/webhook-policy';

const ERRORS = {
  403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
  404: ['WEBHOOK_NOT_FOUND', 'WEBHOOK_MESSAGE_NOT_FOUND'],
  422: ['VALIDATION_ERROR'],
};

/** A delivery's message, the payload as sent, for a business and for the platform chain. */
function messageRoute(op: string) {
  abstract class MessageRoute {
    constructor(protected readonly messages: WebhookMessagesService) {}

    protected abstract chainOf(ctx: RequestContext): string;

    @Get(':webhook_id/deliveries/:message_id')
    @RequireScope(WEBHOOK_POLICY.message.scope)
    @ApiParam({ name: 'webhook_id', format: 'uuid' })
    @ApiParam({
      name: 'message_id',
      schema: { type: 'string', pattern: '^msg_[0-9a-f]{32}$' },
      example: 'msg_4f9c2a7d1e0b4c6a8f3e2d1c0b9a8f7e',
    })
    @ApiOperation({
      operationId: op,
      description: ON_AUDIT,
      summary: 'One message of the endpoint: its payload exactly as sent, and its state',
    })
    @ApiEnvelope(200, WebhookMessageDto)
    @ApiErrors(ERRORS)
    message(
      @Ctx() ctx: RequestContext,
      @Param('webhook_id', uuidPipe('webhook_id')) id: string,
      @Param('message_id', MessageIdPipe) messageId: string,
    ) {
      return this.messages.message(ctx, this.chainOf(ctx), id, messageId);
    }
  }
  return MessageRoute;
}

@ApiTags('webhooks')
@BusinessScoped()
@RequireRole('admin')
@Controller('api/v1/webhooks')
export class WebhookMessagesController extends messageRoute('getWebhookMessage') {
  constructor(messages: WebhookMessagesService) {
    super(messages);
  }

  protected chainOf(ctx: RequestContext): string {
    return ctx.businessId;
  }
}

@ApiTags('platform: webhooks')
@PlatformOnly()
@Controller('platform/v1/webhooks')
export class PlatformWebhookMessagesController extends messageRoute('getPlatformWebhookMessage') {
  constructor(messages: WebhookMessagesService) {
    super(messages);
  }

  protected chainOf(): string {
    return PLATFORM_CHAIN;
  }
}
