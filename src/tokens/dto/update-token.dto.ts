import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { MaxLength, MinLength, NoSecret, Trim } from '../../common/dto-fields';
import { MetaProperty, TokenMeta } from './token-meta';

/**
 * `PATCH /api/v1/tokens/{id}`: a new name, new `meta`, and edits that only narrow. At least one
 * field; a field left out is left as it is.
 */
export class UpdateTokenDto {
  @ApiPropertyOptional({ example: 'ci-deploy-2', minLength: 1, maxLength: 100 })
  @IsOptional()
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @NoSecret()
  name?: string;

  @MetaProperty('Replaces the whole meta; null clears it')
  meta?: TokenMeta | null;
}
