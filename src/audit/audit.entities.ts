import { AuditChainHead, AuditEvent } from './audit-event.entity';
import { AuditCheckpoint, AuditTreeNode } from './tree/audit-tree.entity';

/** The tables the audit log owns. */
export const AUDIT_ENTITIES = [AuditEvent, AuditChainHead, AuditTreeNode, AuditCheckpoint];
