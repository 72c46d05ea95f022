import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString } from 'class-validator';
import { MaxLength, NoSecret } from '../../common/validation/dto-fields';
import { TokenViewDto } from './token-view.dto';

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

  // Example false: Swagger UI sends the example, and a family pause is not to be tried lightly.
  @ApiPropertyOptional({
    default: false,
    example: false,
    description:
      'Also pause every active token it made, and theirs in turn (successors included), that ' +
      'the caller may pause; the rest are skipped. Without it, the tokens it made keep working',
  })
  @IsOptional()
  @IsBoolean()
  include_children?: boolean;
}

/** What a pause with children paused besides the token asked for. */
export class PausedChildrenDto {
  @ApiProperty({ example: 2, description: 'How many of its descendants this call paused' })
  paused!: number;

  @ApiProperty({
    type: [String],
    format: 'uuid',
    example: ['5b0e1c9a-2d4f-4e8a-9c3b-7f6a5e4d3c2b'],
    description: 'Their ids, oldest first',
  })
  token_ids!: string[];
}

/** A paused token's view, and what its pause did to the tokens it made. */
export class PausedTokenDto extends TokenViewDto {
  @ApiProperty({
    type: PausedChildrenDto,
    nullable: true,
    description: 'Null unless include_children was asked for',
  })
  children!: PausedChildrenDto | null;
}
