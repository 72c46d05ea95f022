import { Module } from '@nestjs/common';
import { AuditCheckpointer } from './audit-checkpointer';
import { AuditCheckpoints } from './audit-checkpoints';
import { AuditSigner } from './audit-signer';
import { AuditListener } from './audit.listener';
import { AuditStream } from './audit-stream';
import { AuditAppender } from './audit-appender';
import { AuditRepository } from './audit.repository';
import { AuditTreeRepository } from './audit-tree.repository';
import { AuditService } from './audit.service';
import { TokenGovernanceRecords } from './token-governance-records';

/**
 * The tamper-evident log. It learns of changes only through domain events, and writes them in
 * the transaction that made the change. Only features above it (webhooks) import it: to tap the
 * appended events (`AuditStream`) and to have their own events recorded (`AuditListener.record`).
 */
@Module({
  providers: [
    AuditRepository,
    AuditAppender,
    AuditTreeRepository,
    AuditListener,
    AuditStream,
    AuditService,
    AuditSigner,
    AuditCheckpoints,
    AuditCheckpointer,
    TokenGovernanceRecords,
  ],
  exports: [AuditSigner, AuditStream, AuditListener, AuditService, AuditCheckpoints],
})
export class AuditModule {}
