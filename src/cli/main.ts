import 'reflect-metadata';
import type { DynamicModule, Type } from '@nestjs/common';
import { CommandFactory } from 'nest-commander';
import { ConfigValidationError, loadConfig } from '../config/app-config';
import { isDomainError, RequestValidationError } from '../common/domain-error';
import { redactSecrets } from '../common/safe-error';
import { AuditCliModule } from './audit-cli.module';

/**
 * Nothing the CLI writes on stderr carries a secret: errors, commander's own messages (which
 * echo an unknown option such as `--token=lk_…`), a file name that was a pasted token. Masked
 * here, once, for every writer; stdout carries the answers, where a new secret is meant to be.
 */
function maskStderr(): void {
  const write = process.stderr.write.bind(process.stderr) as (
    chunk: unknown,
    ...rest: unknown[]
  ) => boolean;
  process.stderr.write = (chunk: unknown, ...rest: unknown[]) =>
    write(
      typeof chunk === 'string'
        ? redactSecrets(chunk)
        : Buffer.isBuffer(chunk)
          ? redactSecrets(chunk.toString('utf8'))
          : chunk,
      ...rest,
    );
}

/** What goes to stderr for a failed command: the message (and the code), never a stack trace. */
function describe(err: Error): string {
  if (err instanceof RequestValidationError) {
    const lines = err.issues.map((i) => `  ${i.loc.slice(1).join('.') || i.loc[0]}: ${i.msg}`);
    return [`${err.message} (${err.code})`, ...lines].join('\n');
  }
  // The code's message, then what this failure knows beyond it (which member, which limit).
  if (isDomainError(err)) {
    const detail = err.detail && err.detail !== err.message ? `: ${err.detail}` : '';
    return `${err.message} (${err.code})${detail}`;
  }
  if (err instanceof ConfigValidationError) return err.message;
  return err.message || String(err);
}

/**
 * `npm run -s cli -- <command>`: logs and errors on stderr, the answer alone on stdout.
 * `audit …` checks files offline: it runs in a context of its own, with no config, no core
 * module and no database, so it works on a machine that has none.
 */
async function main(): Promise<void> {
  maskStderr();
  let root: Type | DynamicModule;
  if (process.argv[2] === 'audit') {
    root = AuditCliModule;
  } else {
    // Loaded only here, so that `audit` never loads the core's code either.
    const { CliModule } = await import('./cli.module');
    root = CliModule.forRoot(() => loadConfig(process.env));
  }
  await CommandFactory.run(root, {
    logger: ['error'],
    // Commander has already written its message (an unknown command, a missing option) or
    // the help itself; writing err.message again doubled the one and printed "(outputHelp)"
    // after the other. Only the exit code is left to give: 0 for help, 1 for an error.
    errorHandler: (err) => {
      process.exit((err as { exitCode?: number }).exitCode ?? 1);
    },
    serviceErrorHandler: (err) => {
      process.stderr.write(`${describe(err)}\n`);
      process.exit((err as { exitCode?: number }).exitCode ?? 1);
    },
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? describe(e) : String(e)}\n`);
  process.exit(1);
});
