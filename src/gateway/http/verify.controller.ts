import { All, Controller, Get, Header, HttpCode, Res } from '@nestjs/common';
import {
  ApiExcludeEndpoint,
  ApiHeader,
  ApiOperation,
  ApiResponse,
  ApiTags,
  DECORATORS,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { BEARER_429, Ctx, GatewayCheck } from '../../auth/decorators';
import { GATEWAY_HEADERS } from '../../auth/guards/gateway-requirements';
import type { RequestContext } from '../../auth/request-context';
import { ApiErrors, RawResponse } from '../../common/http/envelope';
import { SHARED_LIMIT_KEY } from '../../common/http/request-keys';
import { checkAnswerHeaders, UNRESTRICTED_SCOPES } from '../verified-headers';

const ERRORS = {
  401: ['INVALID_TOKEN', 'TOKEN_EXPIRED', 'TOKEN_REVOKED', 'TOKEN_DISABLED'],
  403: [
    'GATEWAY_NOT_TRUSTED (VERIFY_GATEWAY_SECRET is set, and X-Latchkey-Gateway-Secret is missing or wrong; or X-Latchkey-Limit, -Cost or -Tag from a gateway the installation does not trust)',
    'BUSINESS_MISMATCH (the token is not of X-Latchkey-Business; a platform token where a business is named)',
    'BUSINESS_SUSPENDED',
    'INSUFFICIENT_SCOPE (WWW-Authenticate: Bearer error="insufficient_scope", scope="…")',
    'IP_NOT_ALLOWED',
  ],
  422: [
    'VALIDATION_ERROR (X-Latchkey-Business not a uuid, X-Latchkey-Require-Scope not scopes, X-Latchkey-Limit not a limit name, X-Latchkey-Cost not 0 to 1000, or a malformed X-Latchkey-Tag)',
  ],
  429: [
    ...BEARER_429,
    'CREDITS_EXHAUSTED (a credit balance cannot pay the cost; Retry-After when a refill is due)',
  ],
};

const header = (description: string, example: string) => ({
  description,
  schema: { type: 'string', example },
});

const DESCRIPTION =
  'For gateways (nginx `auth_request`, Caddy `forward_auth`, Traefik `forwardAuth`, Envoy ' +
  '`ext_authz`): is the token of this request good for this upstream? The token comes from ' +
  '`Authorization: Bearer`, or from the header the installation names in VERIFY_TOKEN_HEADER ' +
  '(for example `X-API-Key`, whose whole value is the token). The answer is in the status and ' +
  'the headers, with no body on success: 204 with who holds the token, 401 with the RFC 6750 ' +
  'challenge, 403, 422 for a malformed requirement, 429 with Retry-After. The same rules as the ' +
  "API's own routes, checked in the same order, with the client address TRUST_PROXY believes " +
  "(the gateway's X-Forwarded-For). A verify counts in the token's usage and last_used_at like any " +
  "call. Any method on any path below /auth/verify/ answers the same (Envoy sends the request's " +
  'own method and path). docs/gateways.md has tested nginx and Caddy configurations.';

/**
 * The 403's RFC 6750 challenge, which an INSUFFICIENT_SCOPE refusal carries: `ApiErrors` names the
 * headers of a status the same way on every route, and a 403 has none elsewhere.
 */
const ApiScopeChallenge =
  (): MethodDecorator =>
  (_target: object, _key: string | symbol, descriptor: PropertyDescriptor) => {
    const handler = descriptor.value as object;
    const responses = (Reflect.getMetadata(DECORATORS.API_RESPONSE, handler) ?? {}) as Record<
      string,
      Record<string, unknown>
    >;
    responses['403'] = {
      ...responses['403'],
      headers: {
        'WWW-Authenticate': header(
          'With INSUFFICIENT_SCOPE: the scopes needed, for the gateway to pass on',
          'Bearer error="insufficient_scope", scope="orders:read"',
        ),
      },
    };
    Reflect.defineMetadata(DECORATORS.API_RESPONSE, responses, handler);
  };

/** `GET /auth/verify`: the whole decision is the global guard's (`GatewayGuard`); this answers it. */
@ApiTags('gateways')
@RawResponse()
@Controller('auth')
export class VerifyController {
  @Get('verify')
  @GatewayCheck()
  @HttpCode(204)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'verifyGatewayRequest',
    summary: "A gateway's check of the token its client presents",
    description: DESCRIPTION,
  })
  // Swagger lists header parameters in the reverse order of their decorators.
  @ApiHeader({
    name: GATEWAY_HEADERS.cost,
    required: false,
    description:
      'What the check costs in credits, 0 to 1000 (default 1), spent from the identity’s and the ' +
      'business’s credit balances (`PUT /api/v1/credits/{holder}`) once every other check has ' +
      'passed. Taken only from a gateway the installation trusts: from anyone else, 403 ' +
      'GATEWAY_NOT_TRUSTED. A balance that cannot pay is 429 CREDITS_EXHAUSTED',
    schema: { type: 'string', example: '5' },
  })
  @ApiHeader({
    name: 'x-latchkey-tag',
    required: false,
    description:
      'Tags the check is counted under in verification analytics (docs/analytics.md): at most 4 ' +
      '`key=value`, comma-separated, each at most 128 printable ASCII characters (the key of ' +
      'letters, digits, `_ . -`). Taken only from a gateway the installation trusts (it sends ' +
      'X-Latchkey-Gateway-Secret, or is a TRUST_PROXY peer): from anyone else, on this route or ' +
      'any other, 403 GATEWAY_NOT_TRUSTED; malformed, 422 VALIDATION_ERROR. Both before the token.',
    schema: { type: 'string', example: 'endpoint=/v1/things' },
  })
  @ApiHeader({
    name: GATEWAY_HEADERS.limit,
    required: false,
    description:
      "The business's shared limit this call counts against (`PUT /api/v1/limits/{name}`), in " +
      'place of `default`; a name the business has no limit of limits nothing. Taken only from a ' +
      'gateway the installation trusts (VERIFY_GATEWAY_SECRET, or a TRUST_PROXY peer): from ' +
      'anyone else, 403 GATEWAY_NOT_TRUSTED. A spent limit is 429 with RateLimit-Policy and RateLimit naming it',
    schema: { type: 'string', example: 'exports' },
  })
  @ApiHeader({
    name: GATEWAY_HEADERS.secret,
    required: false,
    description:
      'VERIFY_GATEWAY_SECRET, when the installation sets one: without it (or with another), 403 ' +
      'GATEWAY_NOT_TRUSTED. Set it on the check alone, never on the upstream request.',
    schema: { type: 'string' },
  })
  @ApiHeader({
    name: GATEWAY_HEADERS.requireScope,
    required: false,
    description:
      'Scopes the token must all allow, separated by spaces or commas (`orders:read deploy:*`). ' +
      "A token holds only what its holder's role allows (a member's never an admin built-in, " +
      'whatever its list says); with scopes null, every such scope. `a:*` covers every `a:…`. ' +
      'An empty value is 422.',
    schema: { type: 'string', example: 'orders:read' },
  })
  @ApiHeader({
    name: GATEWAY_HEADERS.business,
    required: false,
    description:
      'The business the upstream serves (uuid): the token must be of it. A platform token is ' +
      'then refused. Unset, any business token passes (its own business must be active), and ' +
      'a platform token passes with an empty X-Latchkey-Business-Id.',
    schema: { type: 'string', format: 'uuid' },
  })
  @ApiResponse({
    status: 204,
    description: 'The token is good for this upstream. No body: the headers say who holds it.',
    headers: {
      'X-Latchkey-Token-Id': header('The token (uuid)', '0d9f7a52-7c1e-4f0b-9f7e-2b1f6a3c9d10'),
      'X-Latchkey-Business-Id': header(
        "The token's business (uuid); empty for a platform token",
        '3f2b8c1e-5d4a-4c3b-9a2e-1f0e9d8c7b6a',
      ),
      'X-Latchkey-Identity-Id': header(
        'The identity that holds the token (uuid)',
        '7a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b',
      ),
      'X-Latchkey-Identity-Type': header('`user` or `machine`', 'user'),
      'X-Latchkey-Scopes': header(
        `The token's scopes, space-separated; \`${UNRESTRICTED_SCOPES}\` when unrestricted within its role; empty for none`,
        'orders:read deploy:*',
      ),
      'X-Latchkey-Expires-At': header(
        'When the token expires (ISO 8601); empty when it never does',
        '2026-06-30T12:00:00.000Z',
      ),
      'X-Latchkey-Uses-Remaining': header(
        'The uses the token has left after this check (it spent one); empty when it has no limit',
        '997',
      ),
      'X-Latchkey-Status-List': header(
        "The token's entry in a Token Status List (an RFC 8941 dictionary): a relying party may " +
          'check its status there from now on, offline (GET the `uri`, read the 2 bits at `idx`), ' +
          'unless X-Latchkey-Check-Online names something',
        'idx=17, uri="https://latchkey.example.com/status-lists/1b3c8f0e-2d4a-4c51-9e0f-6a7b8c9d0e1f"',
      ),
      'X-Latchkey-Check-Online': header(
        'What the status list cannot carry, so a relying party must ask this check again on every ' +
          'request, space-separated: `networks` (allowed_cidrs, matched against each ' +
          "request's client address), `rate_limit` (its own limit, its maker's, or a shared limit " +
          'of its business that this check counted against), `uses` ' +
          '(a uses limit); empty when the token may be checked offline',
        'networks rate_limit',
      ),
      'X-Latchkey-Meta': header(
        "The token's meta, as base64url of its compact JSON (at most 4 KiB of JSON); empty when " +
          'it has none',
        'eyJwbGFuIjoicHJvIn0',
      ),
    },
  })
  @ApiScopeChallenge()
  @ApiErrors(ERRORS)
  verify(@Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply): void {
    const counted = (reply.request as { [SHARED_LIMIT_KEY]?: boolean })[SHARED_LIMIT_KEY];
    void reply.headers(checkAnswerHeaders(ctx, counted === true));
  }

  /** The same check for Envoy's ext_authz, which keeps the request's method and appends its path. */
  @All('verify/*')
  @GatewayCheck()
  @HttpCode(204)
  @Header('Cache-Control', 'no-store')
  @ApiExcludeEndpoint()
  verifyBelow(@Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply): void {
    this.verify(ctx, reply);
  }
}
