import { ApiProperty } from '@nestjs/swagger';
import type { MessageStatus, WebhookMessage } from '../store/webhook-message.entity';

/** One message of an endpoint: what was sent, every attempt with the same body. */
export class WebhookMessageDto {
  @ApiProperty({ example: 'msg_4f9c2a7d1e0b4c6a8f3e2d1c0b9a8f7e', description: 'The webhook-id' })
  message_id!: string;
  @ApiProperty({ example: 'token.revoked' })
  event_type!: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'dead', 'held'] })
  status!: MessageStatus;
  @ApiProperty({ type: 'integer', example: 1 })
  attempts!: number;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  delivered_at!: string | null;
  @ApiProperty({
    description: 'The JSON body exactly as sent (and signed), as text',
    example: '{"type":"token.revoked","timestamp":"2026-03-01T14:00:00.000Z","data":{}}',
  })
  payload!: string;

  static of(m: WebhookMessage): WebhookMessageDto {
    return {
      message_id: m.id,
      event_type: m.eventType,
      status: m.status,
      attempts: m.attempts,
      created_at: m.createdAt.toISOString(),
      delivered_at: m.deliveredAt?.toISOString() ?? null,
      payload: m.payload,
    };
  }
}
