import { AuditChainHead, AuditEvent } from './audit-event.entity';

/** The tables the audit log owns. */
export const AUDIT_ENTITIES = [AuditEvent, AuditChainHead];
