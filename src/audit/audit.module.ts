import { Module } from '@nestjs/common';
import { AuditCheckpointer } from './checkpoints/audit-checkpointer';
import { AuditCheckpoints } from './checkpoints/audit-checkpoints';
import { AuditSigner } from './checkpoints/audit-signer';
import { AuditListener } from './recording/audit.listener';
import { AuditStream } from './query/audit-stream';
import { AuditAppender } from './recording/audit-appender';
import { AuditRepository } from './store/audit.repository';
import { AuditTreeRepository } from './store/audit-tree.repository';
import { AuditTreeReads } from './store/audit-tree-reads';
import { AuditService } from './query/audit.service';

/**
 * The tamper-evident log. It learns of changes only through domain events, and writes them in
 * the transaction that made the change. Only features above it (webhooks) import it: to tap the
 * appended events (`AuditStream`); every feature's audited events say how they read on their class.
 */
@Module({
  providers: [
    AuditRepository,
    AuditAppender,
    AuditTreeRepository,
    AuditTreeReads,
    AuditListener,
    AuditStream,
    AuditService,
    AuditSigner,
    AuditCheckpoints,
    AuditCheckpointer,
  ],
  exports: [AuditSigner, AuditStream, AuditListener, AuditService, AuditCheckpoints],
})
export class AuditModule {}
