import { Injectable } from '@nestjs/common';
import { AuthError } from '../auth/auth-error';
import { RequestContext } from '../auth/request-context';
import { settledAnswer, settledVariant } from '../common/settled-answer';
import { TokenQueriesService } from '../tokens/lifecycle/token-queries.service';
import { BusinessViewDto } from '../tenancy/dto/tenancy.dto';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import { isVerifiedToken } from '../tokens/verify/token-record';
import { MeViewDto, WhoamiBusinessDto, WhoamiViewDto } from './dto/workflows.dto';

interface MemoizedView {
  business: RequestContext['business'];
  role: RequestContext['role'];
  view: MeViewDto;
}

@Injectable()
export class MeService {
  /**
   * The view per verified token, while the verifier's cache serves the same frozen principal:
   * a warm `/api/v1/me` builds nothing. An entry is used only for the same business and role
   * objects it was built from, and goes with the principal when the cache drops it.
   */
  private readonly views = new WeakMap<object, MemoizedView>();

  constructor(
    private readonly tokens: TokenQueriesService,
    private readonly tenancy: TenancyDirectory,
  ) {}

  /**
   * The caller as the verified token saw it: no further read when the token was cached, and no
   * promise either when its view is built already (the warm path).
   */
  describe(ctx: RequestContext): MeViewDto | Promise<MeViewDto> {
    const memo = this.views.get(memoKey(ctx.token));
    if (memo && memo.business === ctx.business && memo.role === ctx.role) {
      // A limited token's principal is this request's copy, with this request's count: the view
      // built for its cached row, with that count (built anew, it was a third of the call in the
      // bench). Its JSON is the memo's with that count spliced in, not written whole again.
      const { uses } = ctx.token;
      if (!uses) return memo.view;
      const view = { ...memo.view, token: { ...memo.view.token, uses_remaining: uses.remaining } };
      return settledVariant(memo.view, 'uses_remaining', uses.remaining, view);
    }
    return this.build(ctx);
  }

  private async build(ctx: RequestContext): Promise<MeViewDto> {
    const view: MeViewDto = {
      identity: {
        id: ctx.actor.id,
        kind: ctx.actor.kind,
        email: ctx.actor.email,
        name: ctx.actor.name,
        is_platform_admin: ctx.actor.isPlatformAdmin,
      },
      token: { ...(await this.tokens.callerTokenView(ctx.token)) },
      business: BusinessViewDto.of(ctx.business!),
      role: ctx.role,
      custom_role: ctx.token.customRole ? { ...ctx.token.customRole } : null,
      scopes: ctx.token.scopes,
      status_list: await this.tokens.statusListOf(ctx.token),
    };
    // A verified principal's token carries the row the verifier read (a reload would not): the
    // view is then settled, its JSON written once for every request that principal serves, and
    // it lives as long as the principal does in the verifier's cache.
    if (isVerifiedToken(ctx.token)) {
      this.views.set(memoKey(ctx.token), { business: ctx.business, role: ctx.role, view });
      settledAnswer(view);
    }
    return view;
  }

  /**
   * The caller with no business named (`GET /api/v1/whoami`): who holds the token, and where it
   * acts. A business token acts in its own business alone; a platform token lists none, since it
   * may act in every one.
   */
  async whoami(ctx: RequestContext): Promise<WhoamiViewDto> {
    const { actor } = ctx;
    return {
      identity: {
        id: actor.id,
        kind: actor.kind,
        email: actor.email,
        name: actor.name,
        label: actor.label,
        is_platform_admin: actor.isPlatformAdmin,
      },
      token: { ...(await this.tokens.callerTokenView(ctx.token)) },
      is_platform_token: ctx.isPlatformToken,
      businesses: ctx.isPlatformToken ? [] : [await this.ownBusiness(ctx)],
    };
  }

  /**
   * A business token's business and the holder's role there. A suspended business's tokens are
   * refused everywhere (the business-scope guard's 403), so here too: the console then says why.
   */
  private async ownBusiness(ctx: RequestContext): Promise<WhoamiBusinessDto> {
    const businessId = ctx.token.businessId;
    // The verifier admits a business token only while its holder has a role there.
    if (businessId === null || ctx.role === null) throw AuthError.bearer('INVALID_TOKEN');
    // The verifier's snapshot carries the business (a suspension evicts it); read it otherwise.
    const business = ctx.token.business ?? (await this.tenancy.findBusiness(businessId));
    if (!business) throw AuthError.bearer('INVALID_TOKEN');
    if (business.status === 'suspended') throw AuthError.forbidden('BUSINESS_SUSPENDED');
    return { id: business.id, name: business.name, status: business.status, role: ctx.role };
  }
}

/**
 * What a memoized view lives as long as: the verifier's cached row, which the shared principal
 * and a limited token's per-request copy of it both carry; any other caller, itself.
 */
const memoKey = (token: RequestContext['token']): object =>
  isVerifiedToken(token) ? token.row : token;
