import { AuditChainHead, AuditEvent } from './store/audit-event.entity';
import { AuditCheckpoint, AuditTreeNode } from './store/audit-tree.entity';

/** The tables the audit log owns. */
export const AUDIT_ENTITIES = [AuditEvent, AuditChainHead, AuditTreeNode, AuditCheckpoint];
