import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Trims surrounding whitespace from a string field; other values are left for validation. */
export const Trim = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** `expires_in_days`: an optional token lifetime of 1 to 365 days. */
export const ExpiresInDaysProperty = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: 365, example: 30, description }),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(365),
  );
