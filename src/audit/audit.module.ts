import { Module } from '@nestjs/common';
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
  controllers: [AuditController, PlatformAuditController],
  providers: [AuditRepository, AuditTreeRepository, AuditListener, AuditService],
})
export class AuditModule {}
