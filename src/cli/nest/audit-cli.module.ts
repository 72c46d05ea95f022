import { Module } from '@nestjs/common';
import { AUDIT_COMMANDS } from '../commands/audit.commands';

/** `audit …` alone: no config, no core module, no database. */
@Module({ providers: AUDIT_COMMANDS })
export class AuditCliModule {}
