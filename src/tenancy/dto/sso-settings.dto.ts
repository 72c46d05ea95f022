import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';

/** Whether the business's people may sign in to the console with a token. */
export class SsoSettingsDto {
  @ApiProperty({
    example: false,
    description:
      "Off: the console takes only SSO sessions from the business's people (403 SSO_REQUIRED " +
      'for their other tokens there); the API still takes their tokens. Machines are unaffected',
  })
  @IsBoolean()
  token_sign_in!: boolean;
}
