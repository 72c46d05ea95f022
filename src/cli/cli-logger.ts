import type { LoggerService } from '@nestjs/common';
import { cliStderr } from './cli-io';

/**
 * Nest's own logs in a CLI run (the command context's and the core's): errors alone, as the
 * `logger: ['error']` of before, but on the run's stderr, masked like everything written there.
 */
export class CliNestLogger implements LoggerService {
  log(): void {}

  warn(): void {}

  error(message: unknown, ...rest: unknown[]): void {
    const last = rest.at(-1);
    const context = typeof last === 'string' && rest.length > 0 ? (rest.pop(), ` [${last}]`) : '';
    const lines = [
      `ERROR${context} ${message instanceof Error ? message.message : String(message)}`,
    ];
    for (const detail of rest) if (typeof detail === 'string') lines.push(detail);
    cliStderr().write(`${lines.join('\n')}\n`);
  }
}
