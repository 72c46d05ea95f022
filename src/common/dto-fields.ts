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

/** Turns an ISO 8601 date-time string into a Date; anything else is left for `@IsDate` to refuse. */
export const ToDate = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return value;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? value : date;
  });
