import { DomainError } from '../common/errors/domain-error';
import type { ErrorTable } from '../common/errors/error-codes';

/** The audit log's own answers: its checkpoints and proofs. */
export const AUDIT_ERRORS = {
  CHECKPOINTS_OFF: {
    status: 404,
    message: 'Audit checkpoints are off on this installation (AUDIT_CHECKPOINTS_ENABLED=false)',
  },
  CHECKPOINT_NOT_FOUND: {
    status: 404,
    message: 'No signed checkpoint of that tree size: list them at …/audit-events/checkpoints',
  },
} as const satisfies ErrorTable;

export type AuditErrorCode = keyof typeof AUDIT_ERRORS;

export class AuditError extends DomainError<AuditErrorCode> {
  constructor(code: AuditErrorCode, detail?: string) {
    super(code, AUDIT_ERRORS[code], detail);
  }
}
