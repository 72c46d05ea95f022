import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { toIssues, uncleanText } from '../../common/validation/validation.pipe';
import { CliUsageError } from './cli-argv';

/** Checks command options with the same DTO rules as the HTTP API. */
export function validateDto<T extends object>(
  cls: ClassConstructor<T>,
  plain: Record<string, unknown>,
): T {
  // The text rule first, as in the HTTP validation stage (argv rarely carries such text; the
  // rule holds whatever does).
  const unclean = uncleanText(plain, 'body');
  const dto = plainToInstance(cls, plain);
  const issues =
    unclean.length > 0 ? unclean : toIssues(validateSync(dto, { whitelist: true }), 'body');
  if (issues.length > 0) {
    const lines = issues.map((i) => `  ${String(i.loc[1])}: ${i.msg}`);
    throw new CliUsageError(`Invalid options:\n${lines.join('\n')}`);
  }
  return dto;
}
