import type { ExceptionFilter } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthError } from '../../auth/auth-error';
import { originOf } from '../../auth/request-context';
import {
  CONTEXT_KEY,
  ERROR_CODE_KEY,
  PRESENTED_TOKEN_KEY,
  type PresentedTokenHolder,
  TRUSTED_GATEWAY_KEY,
} from '../../common/http/request-keys';
import { CONSOLE_CLIENT_HEADER, isConsoleClient } from '../../common/http/console-client';
import type { AppConfig } from '../../config/app-config';
import { trustsPeer } from '../../config/sections/security/trust-proxy';
import { classify } from '../verification-outcome';
import type { VerificationRecorder } from './verification-recorder';
import { normalizedTags, TAG_HEADER } from './verification-tags';

/** The normalized tags of a call, once read. */
const TAGS_KEY = Symbol('latchkey:tags');

type AnalyticsRequest = FastifyRequest & {
  [CONTEXT_KEY]?: unknown;
  [ERROR_CODE_KEY]?: string;
  [TRUSTED_GATEWAY_KEY]?: boolean;
  [TAGS_KEY]?: string;
};

/** The gateway's check and every path below it (Envoy's ext_authz), as routes. */
const GATEWAY_CHECK_ROUTE = /^\/auth\/verify(?:\/|$)/;

/**
 * Counts every verification into the recorder, once answered, and reads the tags of a trusted
 * gateway's call:
 * - `preHandler`: `X-Latchkey-Tag` is taken only on a gateway check (`/auth/verify`) from a
 *   gateway the installation trusts (it sends VERIFY_GATEWAY_SECRET, which the guard then checks,
 *   or is a TRUST_PROXY peer: `GatewayGuard`'s rule). From anyone else it is 403
 *   GATEWAY_NOT_TRUSTED, and malformed it is 422; both before the token is read, as the
 *   gateway's secret is.
 * - `onResponse`: a request the verifier was asked about (it noted the token on the request's
 *   origin) is classified by its answer's error code, the console's own calls apart; its tags
 *   count only where the guard marked the gateway trusted, whatever the first hook decided.
 */
export function registerVerificationAnalytics(
  fastify: FastifyInstance,
  recorder: VerificationRecorder,
  filter: ExceptionFilter,
  config: AppConfig,
): void {
  const trustedPeer = trustsPeer(config.trustProxy);
  const secretSet = Boolean(config.VERIFY_GATEWAY_SECRET);
  fastify.addHook('preHandler', (request: AnalyticsRequest, reply, done) => {
    const header = request.headers[TAG_HEADER];
    if (header === undefined) return done();
    try {
      const check = GATEWAY_CHECK_ROUTE.test(request.routeOptions.url ?? '');
      if (!check || !(secretSet || trustedPeer(request.socket.remoteAddress))) {
        throw AuthError.forbidden(
          'GATEWAY_NOT_TRUSTED',
          "X-Latchkey-Tag is taken only on a trusted gateway's check (GET /auth/verify)",
        );
      }
      request[TAGS_KEY] = normalizedTags(header);
    } catch (e) {
      // Answered here, in the API's error shape; the request goes no further.
      filter.catch(e, new ExecutionContextHost([request, reply, undefined]));
      return;
    }
    done();
  });
  fastify.addHook('onResponse', (request: AnalyticsRequest, _reply, done) => {
    const code = request[ERROR_CODE_KEY];
    // Neither answered by a token nor refused: no token was looked up.
    if (code === undefined && request[CONTEXT_KEY] === undefined) return done();
    const presented = (originOf(request) as PresentedTokenHolder)[PRESENTED_TOKEN_KEY];
    if (presented !== undefined) {
      const tags = request[TRUSTED_GATEWAY_KEY] === true ? (request[TAGS_KEY] ?? '') : '';
      const fromConsole = isConsoleClient(request.headers[CONSOLE_CLIENT_HEADER]);
      recorder.note(presented, classify(presented !== null, code), tags, Date.now(), fromConsole);
    }
    done();
  });
}
