import { Module } from '@nestjs/common';
import { AuditCheckpointer } from './audit-checkpointer';
import { AuditCheckpoints } from './audit-checkpoints';
import {
  AuditCheckpointsController,
  AuditKeyController,
  PlatformAuditCheckpointsController,
} from './audit-checkpoints.controller';
import { AuditSigner } from './audit-signer';
import { AuditController, PlatformAuditController } from './audit.controller';
import { AuditListener } from './audit.listener';
import { AuditRepository } from './audit.repository';
import { AuditTreeRepository } from './audit-tree.repository';
import { AuditService } from './audit.service';

/**
 * The tamper-evident log. It learns of changes only through domain events, and writes them in
 * the transaction that made the change; no other module imports it.
 */
@Module({
  controllers: [
    AuditController,
    PlatformAuditController,
    AuditCheckpointsController,
    PlatformAuditCheckpointsController,
    AuditKeyController,
  ],
  providers: [
    AuditRepository,
    AuditTreeRepository,
    AuditListener,
    AuditService,
    AuditSigner,
    AuditCheckpoints,
    AuditCheckpointer,
  ],
  exports: [AuditSigner],
})
export class AuditModule {}
