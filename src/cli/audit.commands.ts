import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { printJson } from './cli-io';
import { runGroup } from './command-group';
import { NotNdjsonError, verifyExportFile } from './export-verify';
import { CliUsageError } from './validate-dto';

/**
 * Offline: these commands need no database and no core module, so `main.ts` runs them in a
 * Nest context of their own (`AuditCliModule`).
 */
@SubCommand({
  name: 'verify',
  description:
    'Check an NDJSON audit export offline, with no database: print {valid, checked, ' +
    'first_invalid_seq}; exit 0 when the chain holds, 1 when it does not',
})
export class AuditVerifyCommand extends CommandRunner {
  async run(params: string[], options: { file?: string }): Promise<void> {
    if (params.length > 0 || !options.file) {
      throw new CliUsageError('Usage: audit verify --file <export.ndjson>', 2);
    }
    const file = options.file;
    const verdict = await verifyExportFile(file).catch((e: NodeJS.ErrnoException) => {
      if (e instanceof NotNdjsonError) throw new CliUsageError(`${file}: ${e.message}`, 2);
      throw new CliUsageError(`Cannot read ${file} (${e.code ?? e.message})`, 2);
    });
    printJson(verdict);
    if (!verdict.valid) process.exitCode = 1;
  }

  @Option({
    flags: '--file <path>',
    description: 'the export (GET …/audit-events/export?format=ndjson)',
    required: true,
  })
  parseFile(value: string): string {
    return value;
  }
}

@Command({
  name: 'audit',
  description: 'Check an audit export offline',
  subCommands: [AuditVerifyCommand],
})
export class AuditCommand extends CommandRunner {
  run(params: string[]): Promise<void> {
    runGroup(this.command, params);
  }
}

export const AUDIT_COMMANDS = [AuditCommand, AuditVerifyCommand];
