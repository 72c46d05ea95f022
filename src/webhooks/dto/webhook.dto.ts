import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsDate,
  IsIn,
  IsOptional,
  IsString,
} from 'class-validator';
import {
  dateTimeMessage,
  MaxLength,
  MinLength,
  NoSecret,
  ToDate,
  Trim,
} from '../../common/validation/dto-fields';
import {
  SIGNATURE_SCHEMES,
  type SignatureScheme,
  type WebhookEndpoint,
} from '../store/webhook-endpoint.entity';
import type { WebhookAttempt } from '../store/webhook-message.entity';
import { SUBSCRIBABLE } from '../webhook-event-types';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const URL_DOC = {
  example: 'https://hooks.example.com/latchkey',
  maxLength: 2048,
  description:
    'Where deliveries are POSTed: https only, and never a private, loopback or link-local ' +
    'address (checked against the resolved IP, at registration and at each delivery)',
};

const TYPES_DOC = {
  isArray: true,
  enum: [...SUBSCRIBABLE],
  enumName: 'WebhookEventTypeChoice',
  example: ['token.revoked', 'token.expiring'],
  description: 'The event types to receive, or ["*"] for all of them',
};

export class CreateWebhookDto {
  @ApiProperty(URL_DOC)
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  url!: string;

  @ApiProperty(TYPES_DOC)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SUBSCRIBABLE.length)
  @ArrayUnique()
  @IsIn(SUBSCRIBABLE, {
    each: true,
    message: `each event type must be one of: ${SUBSCRIBABLE.join(', ')}`,
  })
  event_types!: string[];

  @ApiPropertyOptional({ example: 'Revocations to the on-call channel', maxLength: 500 })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxLength(500)
  @NoSecret()
  description?: string;

  @ApiPropertyOptional({
    enum: SIGNATURE_SCHEMES,
    default: 'v1',
    description:
      'v1: HMAC-SHA256 with a secret of this endpoint (shown once). v1a: Ed25519 with the ' +
      "business's own key (GET /api/v1/webhooks/signing-key): the receiver holds no secret",
  })
  @IsOptional()
  @IsIn(SIGNATURE_SCHEMES)
  signature_scheme?: SignatureScheme;
}

/** Any of the create fields but the scheme, each optional, and `enabled`. */
export class UpdateWebhookDto extends PartialType(
  OmitType(CreateWebhookDto, ['signature_scheme']),
) {
  @ApiPropertyOptional({
    example: true,
    description: 'false disables the endpoint; true enables it again (after a 410 or failures too)',
  })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookViewDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'https://hooks.example.com/latchkey' })
  url!: string;
  @ApiProperty({ example: 'Revocations to the on-call channel' })
  description!: string;
  @ApiProperty({ type: [String], example: ['token.revoked'] })
  event_types!: string[];
  @ApiProperty({ enum: SIGNATURE_SCHEMES, example: 'v1' })
  signature_scheme!: SignatureScheme;
  @ApiProperty({ example: true })
  enabled!: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['requested', 'gone', 'failing'],
    description: 'Why it is disabled: by a caller, by a 410 answer, or after days of failures',
  })
  disabled_reason!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  disabled_at!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Failing since then, with no delivery since; null while it delivers',
  })
  failing_since!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Until then the secret a rotation replaced signs as well',
  })
  previous_secret_valid_until!: string | null;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ format: 'date-time' })
  updated_at!: string;

  static of(e: WebhookEndpoint, now = new Date()): WebhookViewDto {
    const until =
      e.previousSecretUntil && e.previousSecretUntil > now ? e.previousSecretUntil : null;
    return {
      id: e.id,
      url: e.url,
      description: e.description,
      event_types: e.eventTypes,
      // A webhook route reads webhooks alone (`findEndpoint(…, 'webhook', …)`), never a stream.
      signature_scheme: e.signatureScheme as SignatureScheme,
      enabled: e.disabledAt === null,
      disabled_reason: e.disabledReason,
      disabled_at: iso(e.disabledAt),
      failing_since: iso(e.failingSince),
      previous_secret_valid_until: iso(until),
      created_at: e.createdAt.toISOString(),
      updated_at: e.updatedAt.toISOString(),
    };
  }
}

/** An endpoint with its signing secret, which is shown in this one response and never again. */
export class CreatedWebhookDto extends WebhookViewDto {
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw0nQ6HVqXKXk=',
    description:
      'The signing secret (Standard Webhooks). Shown once: store it now. Null for a v1a ' +
      "endpoint, which the business's public key verifies (GET /api/v1/webhooks/signing-key)",
  })
  secret!: string | null;
}

export class RotatedWebhookSecretDto extends WebhookViewDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw0nQ6HVqXKXk=',
    description: 'The new signing secret. Shown once: store it now.',
  })
  secret!: string;
}

export class WebhookKeyDto {
  @ApiProperty({
    example: '3f0e5a0c-1f3e-4b2d-9c8a-7e6f5d4c3b2a.0',
    description:
      '`<business_id>.<generation>` (`platform.<generation>`), as webhook-key-id names it',
  })
  kid!: string;
  @ApiProperty({ example: 'Ed25519' })
  alg!: string;
  @ApiProperty({
    example: 'whpk_MCowBQYDK2VwAyEA…',
    description: 'whpk_ and the raw 32-byte Ed25519 public key in base64',
  })
  public_key!: string;
}

export class WebhookKeysDto {
  @ApiProperty({ type: [WebhookKeyDto] })
  keys!: WebhookKeyDto[];
}

export class WebhookAttemptDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'msg_4f9c2a7d1e0b4c6a8f3e2d1c0b9a8f7e', description: 'The webhook-id' })
  message_id!: string;
  @ApiProperty({ example: 'token.revoked' })
  event_type!: string;
  @ApiProperty({ format: 'date-time' })
  attempted_at!: string;
  @ApiProperty({ type: Number, nullable: true, example: 200, description: 'Null: no answer' })
  status_code!: number | null;
  @ApiProperty({ example: 42 })
  latency_ms!: number;
  @ApiProperty({
    example: 'ok',
    description: "The first 1 KiB of the receiver's answer, as UTF-8; a NUL is stored as U+FFFD",
  })
  response_body!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description:
      'Why no answer came: timeout, refused_address, connection_failed, dns_failed, tls_failed, ' +
      "invalid_request; or signing_failed: the endpoint's secret did not open, so nothing was sent",
  })
  error!: string | null;

  static of(a: WebhookAttempt): WebhookAttemptDto {
    return {
      id: a.id,
      message_id: a.messageId,
      event_type: a.eventType,
      attempted_at: a.attemptedAt.toISOString(),
      status_code: a.statusCode,
      latency_ms: a.latencyMs,
      response_body: a.responseBody,
      error: a.error,
    };
  }
}

export class QueuedMessageDto {
  @ApiProperty({ example: 'msg_4f9c2a7d1e0b4c6a8f3e2d1c0b9a8f7e', description: 'The webhook-id' })
  message_id!: string;
  @ApiProperty({ example: 'webhook.test' })
  event_type!: string;
}

export class RecoverQueryDto {
  @ApiProperty({
    format: 'date-time',
    description:
      'Resend every message given up on since then: an RFC 3339 date-time, such as 2026-11-24T00:00:00Z',
  })
  @ToDate()
  @IsDate({ message: dateTimeMessage('since') })
  since!: Date;
}

export class RecoveredDto {
  @ApiProperty({ example: 12, description: 'Messages queued again, each with its own webhook-id' })
  requeued!: number;
}
