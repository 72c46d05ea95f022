import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { QuickAccept } from '../../common/validation/validation.pipe';
import { MAX_SIZE, quickWholes } from './quick-queries';

@QuickAccept(quickWholes(['seq']))
export class AuditSeqParamDto {
  @ApiProperty({ type: 'integer', minimum: 1, example: 42, description: "The event's seq" })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SIZE)
  seq!: number;
}

@QuickAccept(quickWholes([], ['size']))
export class InclusionQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: 'The tree size of a signed checkpoint; the latest when left out',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SIZE)
  size?: number;
}

@QuickAccept(quickWholes(['from', 'to']))
export class ConsistencyQueryDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'The older tree size (a checkpoint you kept), such as 1000',
  })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SIZE)
  from!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'The newer tree size (the latest checkpoint), such as 2000',
  })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SIZE)
  to!: number;
}

export class CheckpointDto {
  @ApiProperty({ type: 'integer', example: 1000, description: 'How many events the tree holds' })
  tree_size!: number;
  @ApiProperty({ example: 'pVu1xTyaxZ2/ndxjvWuO8EM2wcoVd7n8ZUoZ2Y5Pj6A=', description: 'base64' })
  root_hash!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-22T10:16:00.000Z' })
  signed_at!: string;
  @ApiProperty({ example: 'latchkey.example.com', description: "The signing key's name" })
  key_name!: string;
  @ApiProperty({ example: '5a0c1f3e', description: "The signing key's id, 8 hex digits" })
  key_id!: string;
  @ApiProperty({
    description: 'The signed note (c2sp.org/tlog-checkpoint), byte for byte as served',
    example:
      'latchkey.example.com/audit/platform\n1000\npVu1xTyaxZ2/ndxjvWuO8EM2wcoVd7n8ZUoZ2Y5Pj6A=\n\n' +
      '— latchkey.example.com WgwfPk0i…\n',
  })
  note!: string;
}
