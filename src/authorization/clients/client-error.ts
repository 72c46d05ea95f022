import { DomainError } from '../../common/errors/domain-error';
import type { ErrorTable } from '../../common/errors/error-codes';

/**
 * Why a client_id does not name a client Latchkey will run a flow for: a registered client, or a
 * Client ID Metadata Document, each refusal with its own code. They are 400: the authorization
 * request that names the client is what is wrong.
 */
export const CLIENT_ERRORS = {
  CLIENT_NOT_FOUND: { status: 400, message: 'The client_id names no registered client' },
  CLIENT_ID_INVALID: {
    status: 400,
    message:
      'The client_id is neither a registered client nor an https URL with a path, without query, fragment or user information',
  },
  CLIENT_METADATA_ADDRESS_REFUSED: {
    status: 400,
    message: "The client metadata document's address is private or reserved, or does not resolve",
  },
  CLIENT_METADATA_REDIRECTED: {
    status: 400,
    message: 'The client metadata document answered a redirect; none is followed',
  },
  CLIENT_METADATA_UNAVAILABLE: {
    status: 400,
    message: 'The client metadata document could not be fetched, or did not answer 200',
  },
  CLIENT_METADATA_TIMEOUT: {
    status: 400,
    message: 'The client metadata document did not arrive in time',
  },
  CLIENT_METADATA_TOO_LARGE: {
    status: 400,
    message: 'The client metadata document is larger than Latchkey reads',
  },
  CLIENT_METADATA_NOT_JSON: {
    status: 400,
    message: 'The client metadata document is not a JSON object served as application/json',
  },
  CLIENT_ID_MISMATCH: {
    status: 400,
    message: "The client metadata document's client_id is not the URL it was fetched from",
  },
  CLIENT_METADATA_INVALID: {
    status: 400,
    message: 'The client metadata document breaks a rule of its fields',
  },
  CLIENT_REDIRECT_URI_INVALID: {
    status: 400,
    message: 'The client metadata document names a redirect URI that may not be registered',
  },
  CLIENT_AUTH_METHOD_UNSUPPORTED: {
    status: 400,
    message:
      'The client authenticates with a method Latchkey does not take yet: only public clients (token_endpoint_auth_method none)',
  },
} as const satisfies ErrorTable;

export type ClientErrorCode = keyof typeof CLIENT_ERRORS;

export class ClientError extends DomainError<ClientErrorCode> {
  constructor(code: ClientErrorCode, detail?: string) {
    super(code, CLIENT_ERRORS[code], detail);
  }
}
