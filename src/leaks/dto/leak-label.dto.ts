import { ApiProperty } from '@nestjs/swagger';

export const LEAK_LABELS = ['true_positive', 'false_positive'] as const;

/** One entry of the answer GitHub's secret scanning partner program expects. */
export class LeakLabelDto {
  @ApiProperty({
    example: 'lk_…',
    description: 'The reported string, as it was reported (the caller sent it)',
  })
  token_raw!: string;
  @ApiProperty({ example: 'latchkey_api_token', description: 'The reported type, as reported' })
  token_type!: string;
  @ApiProperty({
    enum: LEAK_LABELS,
    example: 'true_positive',
    description: 'true_positive: a token of this installation (now revoked); false_positive: none',
  })
  label!: (typeof LEAK_LABELS)[number];
}

/** The report's body, for Swagger UI: GitHub's partner payload. */
export class ReportedLeakDto {
  @ApiProperty({ example: 'lk_…', description: 'The string found' })
  token!: string;
  @ApiProperty({ required: false, example: 'latchkey_api_token' })
  type?: string;
  @ApiProperty({
    required: false,
    example: 'https://github.com/octo-org/octo-repo/blob/abcdef/config.js#L3',
  })
  url?: string;
  @ApiProperty({ required: false, example: 'content', description: 'Where it was found' })
  source?: string;
}
