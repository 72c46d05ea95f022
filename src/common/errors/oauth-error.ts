import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RequestValidationError } from './domain-error';

/** The RFC 6749 §5.2 (and RFC 8693 §2.2.2) error codes the token endpoint answers with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unsupported_grant_type'
  // RFC 9449 §5 and §8: a DPoP proof missing, or not holding; a server nonce to use.
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

/**
 * A refused token request, answered 400 as `{error, error_description}`. The description is a
 * fixed phrase of ours: it never holds the JWT, a key, or a value the caller sent, and says no
 * more than the caller needs to fix its request (which rule failed to match is not said).
 */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
  }
}

/** RFC 6749 §5.2's shape for the token endpoint's refusals, ill-formed text included. */
@Catch(OAuthError, RequestValidationError)
export class TokenEndpointErrorFilter implements ExceptionFilter {
  catch(error: OAuthError | RequestValidationError, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const [code, description] =
      error instanceof OAuthError
        ? [error.error, error.description]
        : ['invalid_request', 'Parameters must be well-formed Unicode text without U+0000'];
    void reply
      .status(400)
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({ error: code, error_description: description });
  }
}

/** The OpenAPI answer of a refused token request. */
export const OAUTH_TOKEN_ERROR = {
  status: 400,
  description:
    'RFC 6749 §5.2: invalid_request (a parameter missing, repeated or malformed), ' +
    'unsupported_grant_type, invalid_grant (the JWT is not accepted: signature, issuer, ' +
    'audience, expiry, replay, or no trust rule matches), invalid_scope, invalid_target (the ' +
    'business named by resource, audience or x-business-id, or a resource that is no http(s) ' +
    'URI), invalid_dpop_proof (RFC 9449: the DPoP proof does not hold, or the trust rule or the ' +
    "business's policy requires one), use_dpop_nonce (send the DPoP-Nonce given, in a new proof)",
  schema: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'string',
        enum: [
          'invalid_request',
          'invalid_grant',
          'invalid_scope',
          'invalid_target',
          'unsupported_grant_type',
          'invalid_dpop_proof',
          'use_dpop_nonce',
        ],
      },
      error_description: { type: 'string', example: 'The subject token is not accepted' },
    },
  },
};
