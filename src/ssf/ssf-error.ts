import { DomainError } from '../common/errors/domain-error';
import type { ErrorTable } from '../common/errors/error-codes';

/** The Shared Signals transmitter's own answers. */
export const SSF_ERRORS = {
  STREAM_NOT_FOUND: { status: 404, message: 'Stream not found' },
  STREAM_LIMIT_REACHED: {
    status: 409,
    message: 'This business has as many streams as it may have: delete one first',
  },
  STREAM_DISABLED: {
    status: 409,
    message: 'This stream is disabled: enable it first (POST /ssf/v1/streams/status)',
  },
  VERIFICATION_TOO_SOON: {
    status: 429,
    message: 'A verification was asked for this stream less than min_verification_interval ago',
  },
} as const satisfies ErrorTable;

export type SsfErrorCode = keyof typeof SSF_ERRORS;

export class SsfError extends DomainError<SsfErrorCode> {
  constructor(code: SsfErrorCode, detail?: string, headers?: Record<string, string>) {
    super(code, SSF_ERRORS[code], detail, headers);
  }
}
