import { Body, Controller, Get, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../auth/decorators';
import { originOf } from '../../auth/request-context';
import { AppConfig } from '../../config/app-config';
import { publicBaseUrl } from '../../config/sections/features/status-list-config';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { NoStore } from '../../common/http/no-store';
import { OAuthRateLimit } from '../../throttle/rate-limit.decorators';
import {
  BusinessChoicesDto,
  CollectSessionDto,
  HandoffDto,
  SsoSessionDto,
  SsoStatusDto,
  StartSignInQueryDto,
} from '../dto/sso.dto';
import { IdentityProvider } from '../identity-provider';
import { SsoError } from '../sso-error';
import { SsoSessionService } from '../sso-session.service';
import { SsoSignInService } from '../sso-sign-in.service';

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
    private readonly sessions: SsoSessionService,
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
      '`#handoff=…` (collected with POST /auth/sso/session), `#choose=…` (the person named no ' +
      'business and their groups reach several: POST /auth/sso/businesses lists them, and the ' +
      'session is collected with the one chosen), or `#error=<code>`, one of ' +
      'SSO_STATE_INVALID, SSO_EXPIRED, SSO_PROVIDER_REJECTED, SSO_EMAIL_UNVERIFIED, SSO_NO_ROLE, ' +
      'SSO_BUSINESS_SUSPENDED, SSO_NOT_CONFIGURED or SSO_PROVIDER_UNAVAILABLE.',
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
      const verified = await this.signIn.callback(
        request.url,
        state,
        cookieOf(cookies),
        originOf(request),
      );
      fragment = `${verified.choose ? 'choose' : 'handoff'}=${verified.handoff}`;
    } catch (e) {
      if (!(e instanceof SsoError)) throw e;
      fragment = `error=${e.code}`;
    }
    void reply
      .status(302)
      .header('cache-control', 'no-store')
      .header('location', `${CONSOLE_RETURN}#${fragment}`);
  }

  @Post('businesses')
  @HttpCode(200)
  @NoStore()
  @ApiOperation({
    operationId: 'listSsoBusinessChoices',
    summary: 'The businesses a sign-in may choose, after the provider answered',
    description:
      'For a sign-in that returned with `#choose=…`, from the browser that began it (its ' +
      'cookie): the businesses whose group rules name the groups the provider vouched for, by ' +
      'name, with the role each gives; none other is named. Changes nothing; the hand-off is ' +
      'spent only by the collection.',
  })
  @ApiEnvelope(200, BusinessChoicesDto)
  @ApiErrors({ 400: ['SSO_HANDOFF_INVALID'], 422: ['VALIDATION_ERROR'] })
  async businesses(
    @Body() dto: HandoffDto,
    @Headers('cookie') cookies: string | undefined,
  ): Promise<BusinessChoicesDto> {
    const choices = await this.sessions.choices(dto.handoff, cookieOf(cookies));
    return {
      items: choices.map((c) => ({
        business_id: c.businessId,
        name: c.name,
        role: c.role,
        status: c.status,
      })),
    };
  }

  @Post('session')
  @NoStore()
  @ApiOperation({
    operationId: 'collectSsoSession',
    summary: "Collect the console's session after a sign-in; answers its token once",
    description:
      'The console calls it with the hand-off the sign-in returned with, from the browser that ' +
      'began it (its cookie), and the business chosen when it returned with `#choose=` (409 ' +
      'SSO_CHOOSE_BUSINESS without one; 403 SSO_NO_ROLE for one the groups do not reach, and the ' +
      'person may choose again). Once: the session is an ordinary token (origin console-sso) of ' +
      'the member, unrestricted within the role their groups give, for CONSOLE_SESSION_HOURS. ' +
      'Signing out revokes it (POST /api/v1/tokens/self/revoke).',
  })
  @ApiEnvelope(201, SsoSessionDto)
  @ApiErrors({
    400: ['SSO_HANDOFF_INVALID'],
    403: ['PLATFORM_ADMIN_REQUIRED', 'SSO_BUSINESS_SUSPENDED', 'SSO_NO_ROLE'],
    409: ['LAST_OWNER', 'TOKEN_LIMIT_REACHED', 'SSO_CHOOSE_BUSINESS'],
    422: ['VALIDATION_ERROR', 'POLICY_VIOLATION'],
  })
  async collect(
    @Body() dto: CollectSessionDto,
    @Headers('cookie') cookies: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SsoSessionDto> {
    const { session, returnTo } = await this.sessions.collect(
      originOf(request),
      dto.handoff,
      cookieOf(cookies),
      dto.business_id ?? null,
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
