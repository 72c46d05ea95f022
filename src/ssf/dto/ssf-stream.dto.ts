import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  ValidateNested,
} from 'class-validator';
import { MaxLength, MinLength, NoSecret, Trim } from '../../common/validation/dto-fields';
import { CREDENTIAL_CHANGE, EVENTS_SUPPORTED } from '../events/caep-events';

/** RFC 8935 push, the one delivery method this transmitter offers. */
export const PUSH_METHOD = 'urn:ietf:rfc:8935';

/** The most event types a stream may ask for, and the longest URI of one. */
const MAX_EVENTS_REQUESTED = 16;
const MAX_EVENT_URI = 256;

/** A header value: printable ASCII, so it can split no header and no log line. */
const HEADER_VALUE = /^[\x21-\x7e][\x20-\x7e]*$/;

export class PushDeliveryDto {
  @ApiProperty({ enum: [PUSH_METHOD], example: PUSH_METHOD })
  @IsIn([PUSH_METHOD], { message: `method must be ${PUSH_METHOD} (push); poll is not offered` })
  method!: string;

  @ApiProperty({
    example: 'https://receiver.example.com/ssf/events',
    maxLength: 2048,
    description:
      'Where SETs are POSTed: https only, and never a private, loopback or link-local address ' +
      '(checked against the resolved IP, when set and at each delivery), as for webhooks',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  endpoint_url!: string;

  @ApiPropertyOptional({
    example: 'Bearer receiver-credential',
    maxLength: 1024,
    description:
      'Sent as the `Authorization` header of every push. Stored sealed, and never shown again',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  @Matches(HEADER_VALUE, { message: 'authorization_header must be printable ASCII on one line' })
  authorization_header?: string;
}

/**
 * What a receiver writes of a stream (SSF 1.0 §8.1.1): its delivery, the events it wants and a
 * description. The transmitter's own fields may be sent back as read (a replace often is); they
 * are taken and ignored, as the spec asks.
 */
export class StreamConfigInputDto {
  @ApiProperty({ type: PushDeliveryDto })
  @IsObject()
  @ValidateNested()
  @Type(() => PushDeliveryDto)
  delivery!: PushDeliveryDto;

  @ApiPropertyOptional({
    isArray: true,
    type: String,
    example: [CREDENTIAL_CHANGE],
    description: `Event type URIs. Of them, those in events_supported are delivered (at most ${MAX_EVENTS_REQUESTED})`,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_EVENTS_REQUESTED)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(MAX_EVENT_URI, { each: true })
  @Matches(/^[\x21-\x7e]+$/, { each: true, message: 'each event type must be a URI' })
  events_requested?: string[];

  @ApiPropertyOptional({ example: 'Revocations to the API gateway', maxLength: 500 })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxLength(500)
  @NoSecret()
  description?: string;

  // The transmitter's fields (§8.1.1): taken as sent back, and ignored.
  @Allow() iss?: unknown;
  @Allow() aud?: unknown;
  @Allow() events_supported?: unknown;
  @Allow() events_delivered?: unknown;
  @Allow() min_verification_interval?: unknown;
  @Allow() inactivity_timeout?: unknown;
}

export class StreamIdBodyDto {
  @ApiProperty({ format: 'uuid', example: '8d1f5c0e-2b7a-4f7e-9c61-3a2d9e4b7c10' })
  @IsUUID('all', { message: 'stream_id must be a UUID' })
  stream_id!: string;
}

/** PUT: the whole configuration again, by id. */
export class ReplaceStreamDto extends StreamConfigInputDto {
  @ApiProperty({ format: 'uuid', example: '8d1f5c0e-2b7a-4f7e-9c61-3a2d9e4b7c10' })
  @IsUUID('all', { message: 'stream_id must be a UUID' })
  stream_id!: string;
}

/** PATCH: the fields given change; the others stay. */
export class UpdateStreamDto extends ReplaceStreamDto {
  @ApiPropertyOptional({ type: PushDeliveryDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PushDeliveryDto)
  declare delivery: PushDeliveryDto;
}

export const STREAM_STATUSES = ['enabled', 'paused', 'disabled'] as const;
export type StreamStatus = (typeof STREAM_STATUSES)[number];

export class UpdateStreamStatusDto extends StreamIdBodyDto {
  @ApiProperty({ enum: STREAM_STATUSES, example: 'paused' })
  @IsIn(STREAM_STATUSES)
  status!: StreamStatus;

  @ApiPropertyOptional({ example: 'Receiver maintenance', maxLength: 500 })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxLength(500)
  @NoSecret()
  reason?: string;
}

export class VerifyStreamDto extends StreamIdBodyDto {
  @ApiPropertyOptional({
    example: 'VGhpcyBpcyBhbiBleGFtcGxlIHN0YXRlIHZhbHVlLgo=',
    maxLength: 256,
    description: 'Echoed in the verification event, so the receiver can match it to this request',
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  @NoSecret()
  state?: string;
}

export class StreamQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'One stream; without it, all of them' })
  @IsOptional()
  @IsUUID('all', { message: 'stream_id must be a UUID' })
  stream_id?: string;
}

export class StreamIdQueryDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'stream_id must be a UUID' })
  stream_id!: string;
}

export class PushDeliveryViewDto {
  @ApiProperty({ example: PUSH_METHOD })
  method!: string;
  @ApiProperty({ example: 'https://receiver.example.com/ssf/events' })
  endpoint_url!: string;
}

/** A stream's configuration, as SSF 1.0 §8.1.1 names its fields; never its authorization header. */
export class StreamConfigDto {
  @ApiProperty({ format: 'uuid' })
  stream_id!: string;
  @ApiProperty({ example: 'https://latchkey.example.com' })
  iss!: string;
  @ApiProperty({ example: 'urn:latchkey:ssf:stream:8d1f5c0e-2b7a-4f7e-9c61-3a2d9e4b7c10' })
  aud!: string;
  @ApiProperty({ isArray: true, type: String, example: EVENTS_SUPPORTED })
  events_supported!: string[];
  @ApiProperty({ isArray: true, type: String, example: [CREDENTIAL_CHANGE] })
  events_requested!: string[];
  @ApiProperty({ isArray: true, type: String, example: [CREDENTIAL_CHANGE] })
  events_delivered!: string[];
  @ApiProperty({ type: PushDeliveryViewDto })
  delivery!: PushDeliveryViewDto;
  @ApiProperty({ example: 'Revocations to the API gateway' })
  description!: string;
  @ApiProperty({
    type: 'integer',
    example: 10,
    description: 'Seconds between verification requests',
  })
  min_verification_interval!: number;
}

export class StreamStatusDto {
  @ApiProperty({ format: 'uuid' })
  stream_id!: string;
  @ApiProperty({ enum: STREAM_STATUSES })
  status!: StreamStatus;
  @ApiPropertyOptional({ example: 'Receiver maintenance' })
  reason?: string;
}
