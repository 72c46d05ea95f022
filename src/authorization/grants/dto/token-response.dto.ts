import { ApiProperty } from '@nestjs/swagger';

/** RFC 6749 §5.1's answer to the authorization code and refresh token grants. */
export class GrantTokenResponseDto {
  @ApiProperty({ example: 'lk_3xAmpLeRandomPart0123456789abQ1w2E3' })
  access_token!: string;
  @ApiProperty({
    enum: ['Bearer', 'DPoP'],
    description:
      'DPoP when the grant is bound to the key of the DPoP proof the code was asked with',
  })
  token_type!: 'Bearer' | 'DPoP';
  @ApiProperty({ example: 3600, description: 'Seconds (OAUTH_ACCESS_TOKEN_MINUTES)' })
  expires_in!: number;
  @ApiProperty({
    example: 'lkr_Q2FmZWJhYmVkZWFkYmVlZmNhZmViYWJlZGVhZGJlZWY',
    description: 'Used once: each use answers a new one, and a second use ends the grant',
  })
  refresh_token!: string;
  @ApiProperty({ example: 'notes:read notes:write' })
  scope!: string;
}
