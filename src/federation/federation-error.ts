import { DomainError } from '../common/errors/domain-error';
import type { ErrorTable } from '../common/errors/error-codes';

/** The most trust rules one machine identity may hold. */
export const MAX_TRUST_RULES_PER_IDENTITY = 20;

/** Federation's own answers (the exchange answers in RFC 6749's shape: `oauth-error.ts`). */
export const FEDERATION_ERRORS = {
  TRUST_RULE_NOT_FOUND: { status: 404, message: 'Trust rule not found' },
  TRUST_RULE_LIMIT_REACHED: {
    status: 409,
    message: `This machine identity holds ${MAX_TRUST_RULES_PER_IDENTITY} trust rules, the most allowed: delete one first`,
  },
} as const satisfies ErrorTable;

export type FederationErrorCode = keyof typeof FEDERATION_ERRORS;

export class FederationError extends DomainError<FederationErrorCode> {
  constructor(code: FederationErrorCode, detail?: string) {
    super(code, FEDERATION_ERRORS[code], detail);
  }
}
