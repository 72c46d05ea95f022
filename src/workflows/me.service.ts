import { Injectable } from '@nestjs/common';
import { RequestContext } from '../auth/request-context';
import { settledAnswer } from '../common/envelope';
import { TokenQueriesService } from '../tokens/token-queries.service';
import { BusinessViewDto } from '../tenancy/dto/tenancy.dto';
import { isVerifiedToken } from '../tokens/token-record';
import { MeViewDto } from './dto/workflows.dto';

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

  constructor(private readonly tokens: TokenQueriesService) {}

  /** The caller as the verified token saw it: no further read when the token was cached. */
  async describe(ctx: RequestContext): Promise<MeViewDto> {
    const memo = this.views.get(ctx.token);
    if (memo && memo.business === ctx.business && memo.role === ctx.role) return memo.view;
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
    };
    // A verified principal's token carries the row the verifier read (a reload would not): the
    // view is then settled, its JSON written once for every request that principal serves, and
    // it lives as long as the principal does in the verifier's cache.
    if (isVerifiedToken(ctx.token)) {
      this.views.set(ctx.token, { business: ctx.business, role: ctx.role, view });
      settledAnswer(view);
    }
    return view;
  }
}
