import { Body, Controller, Get, Headers, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/decorators';
import { originOf } from '../auth/request-context';
import { AppConfig } from '../config/app-config';
import { publicBaseUrl } from '../config/sections/status-list-config';
import { ApiEnvelope, ApiErrors } from '../common/http/envelope';
import { NoStore } from '../common/http/no-store';
import { OAuthRateLimit } from '../throttle/rate-limit.decorators';
import { CollectSessionDto, SsoSessionDto, SsoStatusDto, StartSignInQueryDto } from './dto/sso.dto';
import { IdentityProvider } from './identity-provider';
import { SsoError } from './sso-error';
import { SsoSignInService } from './sso-sign-in.service';

/** The cookie that binds a sign-in to the browser that started it. */
const COOKIE = 'lk_sso';
const COOKIE_PATH = '/auth/sso';
/** Where the console takes a sign-in's result from: after `#`, which no server ever receives. */
const CONSOLE_RETURN = '/admin/sso';

/**
 * Console sign-in through the installation's identity provider. Public: the browser's round
 * trip through the provider, bound by a cookie to the browser that began it, is the proof.
 */
@ApiTags('sso')
@Public()
@Controller('auth/sso')
export class SsoSignInController {
  private readonly secureCookie: boolean;

  constructor(
    private readonly signIn: SsoSignInService,
    private readonly provider: IdentityProvider,
    config: AppConfig,
  ) {
    this.secureCookie = publicBaseUrl(config).startsWith('https:');
  }

  @Get()
  @ApiOperation({
    operationId: 'getSsoStatus',
    summary: 'Whether the console may sign in through the identity provider',
  })
  @ApiEnvelope(200, SsoStatusDto)
  status(): SsoStatusDto {
    return { enabled: this.provider.configured, issuer: this.provider.issuer };
  }

  @Get('start')
  @OAuthRateLimit()
  @ApiOperation({
    operationId: 'startSsoSignIn',
    summary: 'Begin a console sign-in: redirects (302) to the identity provider',
    description:
      'Open it in the browser. Sets a cookie binding the sign-in to this browser, and sends it ' +
      'to the provider with a state, a nonce and PKCE (S256). Without OIDC_ISSUER this is 409 ' +
      'SSO_NOT_CONFIGURED. Counted per client IP with the /oauth2 routes; the callback and the ' +
      'collection need what only a start gives (its state, its cookie), so they are not counted.',
  })
  @ApiResponse({ status: 302, description: 'To the identity provider' })
  @ApiErrors({
    409: ['SSO_NOT_CONFIGURED'],
    422: ['VALIDATION_ERROR'],
    429: ['SSO_TOO_MANY_SIGN_INS'],
    503: ['SSO_PROVIDER_UNAVAILABLE'],
  })
  async start(
    @Query() query: StartSignInQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const started = await this.signIn.start(query.business_id ?? null, query.return_to ?? null);
    void reply
      .status(302)
      .header('cache-control', 'no-store')
      .header('set-cookie', this.cookie(started.browserSecret, 600))
      .header('location', started.location);
  }

  @Get('callback')
  @ApiOperation({
    operationId: 'finishSsoSignIn',
    summary: "The identity provider's return: redirects (302) to the console",
    description:
      'The provider sends the browser here. Every outcome is a redirect to /admin/sso: with ' +
      '`#handoff=…` (collected with POST /auth/sso/session) or `#error=<code>`, one of ' +
      'SSO_STATE_INVALID, SSO_EXPIRED, SSO_PROVIDER_REJECTED, SSO_EMAIL_UNVERIFIED, SSO_NO_ROLE, ' +
      'SSO_BUSINESS_SUSPENDED, SSO_CHOOSE_BUSINESS, SSO_NOT_CONFIGURED or SSO_PROVIDER_UNAVAILABLE.',
  })
  @ApiResponse({ status: 302, description: 'To the console' })
  async callback(
    @Req() request: FastifyRequest,
    @Headers('cookie') cookies: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const state = stateOf(request.query);
    let fragment: string;
    try {
      const handoff = await this.signIn.callback(
        request.url,
        state,
        cookieOf(cookies),
        originOf(request),
      );
      fragment = `handoff=${handoff}`;
    } catch (e) {
      if (!(e instanceof SsoError)) throw e;
      fragment = `error=${e.code}`;
    }
    void reply
      .status(302)
      .header('cache-control', 'no-store')
      .header('location', `${CONSOLE_RETURN}#${fragment}`);
  }

  @Post('session')
  @NoStore()
  @ApiOperation({
    operationId: 'collectSsoSession',
    summary: "Collect the console's session after a sign-in; answers its token once",
    description:
      'The console calls it with the hand-off the sign-in returned with, from the browser that ' +
      'began it (its cookie). Once: the session is an ordinary token (origin console-sso) of ' +
      'the member, unrestricted within the role their groups give, for CONSOLE_SESSION_HOURS. ' +
      'Signing out revokes it (POST /api/v1/tokens/self/revoke).',
  })
  @ApiEnvelope(201, SsoSessionDto)
  @ApiErrors({
    400: ['SSO_HANDOFF_INVALID'],
    403: ['PLATFORM_ADMIN_REQUIRED', 'SSO_BUSINESS_SUSPENDED'],
    409: ['LAST_OWNER', 'TOKEN_LIMIT_REACHED'],
    422: ['VALIDATION_ERROR', 'POLICY_VIOLATION'],
  })
  async collect(
    @Body() dto: CollectSessionDto,
    @Headers('cookie') cookies: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SsoSessionDto> {
    const { session, returnTo } = await this.signIn.collect(
      originOf(request),
      dto.handoff,
      cookieOf(cookies),
    );
    void reply.header('set-cookie', this.cookie('', 0));
    return {
      token: session.token,
      business_id: session.business_id ?? '',
      token_id: session.id,
      expires_at: session.expires_at ?? '',
      return_to: returnTo,
    };
  }

  private cookie(value: string, maxAge: number): string {
    const secure = this.secureCookie ? '; Secure' : '';
    return `${COOKIE}=${value}; Path=${COOKIE_PATH}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure}`;
  }
}

/** The sign-in cookie's value, if the request carries one. */
function cookieOf(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function stateOf(query: unknown): string | undefined {
  const state = (query as Record<string, unknown> | null)?.state;
  return typeof state === 'string' && state.length <= 200 ? state : undefined;
}
