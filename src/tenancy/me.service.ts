import { Injectable } from '@nestjs/common';
import { RequestContext } from '../auth/request-context';
import { TenancyTokens } from './tenancy-tokens';
import { BusinessViewDto, MeViewDto } from './dto/tenancy.dto';

@Injectable()
export class MeService {
  constructor(private readonly tokens: TenancyTokens) {}

  /** The caller as the verified token saw it: no further read when the token was cached. */
  async describe(ctx: RequestContext): Promise<MeViewDto> {
    return {
      identity: {
        id: ctx.actor.id,
        kind: ctx.actor.kind,
        email: ctx.actor.email,
        name: ctx.actor.name,
        is_platform_admin: ctx.actor.isPlatformAdmin,
      },
      token: await this.tokens.callerTokenView(ctx.token),
      business: BusinessViewDto.of(ctx.business!),
      role: ctx.role,
    };
  }
}
