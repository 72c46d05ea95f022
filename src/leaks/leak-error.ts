import { DomainError } from '../common/errors/domain-error';
import type { ErrorTable } from '../common/errors/error-codes';

/** Leak reports' own answers. */
export const LEAK_ERRORS = {
  INVALID_SIGNATURE: {
    status: 401,
    message:
      'The report is not signed by a GitHub secret scanning key this installation holds; nothing was done',
  },
  LEAK_REPORTS_OFF: {
    status: 404,
    message:
      'Leak reports are off on this installation: it has no GitHub public keys (GITHUB_SECRET_SCANNING_KEYS_FILE)',
  },
} as const satisfies ErrorTable;

export type LeakErrorCode = keyof typeof LEAK_ERRORS;

/**
 * RFC 9110 §15.5.2: a 401 names a challenge. The scheme is GitHub's signature headers; it is
 * not a bearer, so a client that knows only bearers does not retry with one.
 */
const SIGNATURE_CHALLENGE = 'Github-Public-Key-Signature realm="leaks"';

export class LeakError extends DomainError<LeakErrorCode> {
  constructor(code: LeakErrorCode, detail?: string) {
    super(
      code,
      LEAK_ERRORS[code],
      detail,
      code === 'INVALID_SIGNATURE' ? { 'www-authenticate': SIGNATURE_CHALLENGE } : {},
    );
  }
}
