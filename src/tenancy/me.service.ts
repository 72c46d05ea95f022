import { Injectable } from '@nestjs/common';
import { RequestContext } from '../auth/request-context';
import { TokensService } from '../tokens/tokens.service';
import { BusinessViewDto, MeViewDto } from './dto/tenancy.dto';
import { IdentitiesRepository } from './identities.repository';
import { TenancyError } from './tenancy-error';

@Injectable()
export class MeService {
  constructor(
    private readonly identities: IdentitiesRepository,
    private readonly tokens: TokensService,
  ) {}

  async describe(ctx: RequestContext): Promise<MeViewDto> {
    const identity = await this.identities.findByIdAnyBusiness(ctx.actor.id);
    if (!identity) throw new TenancyError('IDENTITY_NOT_FOUND', 'Identity not found');
    return {
      identity: {
        id: identity.id,
        kind: identity.kind,
        email: identity.email,
        name: identity.name,
        is_platform_admin: identity.isPlatformAdmin,
      },
      token: await this.tokens.callerTokenView(ctx.token),
      business: BusinessViewDto.of(ctx.business!),
      role: ctx.role,
    };
  }
}
