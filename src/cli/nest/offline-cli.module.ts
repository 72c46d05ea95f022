import { Module } from '@nestjs/common';
import { AUDIT_COMMANDS } from '../commands/audit.commands';
import { DPOP_COMMANDS } from '../commands/dpop.commands';

/** The offline commands (`audit …`, `dpop …`) alone: no config, no core module, no database. */
@Module({ providers: [...AUDIT_COMMANDS, ...DPOP_COMMANDS] })
export class OfflineCliModule {}
