import { Module } from '@nestjs/common';
import { AUDIT_COMMANDS } from './audit.commands';
import { CliName } from './cli-name';

/** `audit …` alone: no config, no core module, no database. */
@Module({ providers: [CliName, ...AUDIT_COMMANDS] })
export class AuditCliModule {}
