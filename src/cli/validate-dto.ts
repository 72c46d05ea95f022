import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { toIssues } from '../common/validation.pipe';

export class CliUsageError extends Error {}

/** Checks command options with the same DTO rules as the HTTP API. */
export function validateDto<T extends object>(
  cls: ClassConstructor<T>,
  plain: Record<string, unknown>,
): T {
  const dto = plainToInstance(cls, plain);
  const errors = validateSync(dto, { whitelist: true });
  if (errors.length > 0) {
    const lines = toIssues(errors, 'body').map((i) => `  ${String(i.loc[1])}: ${i.msg}`);
    throw new CliUsageError(`Invalid options:\n${lines.join('\n')}`);
  }
  return dto;
}
