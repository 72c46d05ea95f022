import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { KID_PATTERN } from '../signing/webhook-signing-key';
import { WebhookKeyDto } from './webhook.dto';

export class WebhookKeyQueryDto {
  // No example: Swagger UI would fill it in, and a made-up business id answers a key too.
  @ApiProperty({
    pattern: KID_PATTERN.source,
    description:
      'The key to look up, as the webhook-key-id header names it: `<business_id>.<generation>`, ' +
      'such as `3f0e5a0c-1f3e-4b2d-9c8a-7e6f5d4c3b2a.0` (`platform.<generation>` for the ' +
      'platform). Every well-formed id gets its key, whether or not such a business exists: ' +
      'check that the business part is your own.',
  })
  @IsString()
  @Matches(KID_PATTERN, {
    message:
      'kid must be a key id as the webhook-key-id header names it: <business_id>.<generation>, ' +
      'such as 3f0e5a0c-1f3e-4b2d-9c8a-7e6f5d4c3b2a.0 (lowercase), or platform.<generation>',
  })
  kid!: string;
}

/** A key of the caller's chain, as its owners see it: the one that signs, or the one it replaced. */
export class WebhookSigningKeyDto extends WebhookKeyDto {
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description:
      'Null for the key that signs now. For the key a rotation replaced: when it stops signing ' +
      'beside the new one (24 hours after the rotation)',
  })
  signs_until!: string | null;
}

export class WebhookSigningKeysDto {
  @ApiProperty({
    type: [WebhookSigningKeyDto],
    description: 'The key that signs now first, then the one it replaced while that still signs',
  })
  keys!: WebhookSigningKeyDto[];
}
