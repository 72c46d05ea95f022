import { Module } from '@nestjs/common';
import {
  AuditCheckpointsController,
  AuditKeyController,
  PlatformAuditCheckpointsController,
} from './audit-checkpoints.controller';
import { AuditController, PlatformAuditController } from './audit.controller';
import { AuditModule } from '../audit.module';

/** The audit log's routes, over `AuditModule`'s services: the HTTP app's, never the CLI's. */
@Module({
  imports: [AuditModule],
  controllers: [
    AuditController,
    PlatformAuditController,
    AuditCheckpointsController,
    PlatformAuditCheckpointsController,
    AuditKeyController,
  ],
})
export class AuditRoutesModule {}
