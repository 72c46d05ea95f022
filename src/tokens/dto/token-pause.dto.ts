import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { MaxLength, NoSecret } from '../../common/dto-fields';

export class DisableTokenDto {
  @ApiPropertyOptional({
    maxLength: 500,
    example: 'paused while the deploy key is reviewed',
    description: 'Why the token is paused: shown in its view and its audit event',
  })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @NoSecret()
  reason?: string;
}
