import { Injectable } from '@nestjs/common';
import { RequestContext } from '../auth/request-context';
import { Database } from '../database/connection/read-routing';
import { UnitOfWork } from '../database/units/unit-of-work';
import { SsoSettingsDto } from './dto/sso.dto';
import { SsoSettingsUpdatedEvent } from './sso.events';
import { SsoSettings } from './store/sso-settings.entity';

/**
 * A business's console sign-in setting: whether its people may sign in to the console with a
 * token, or only through the identity provider. The verifier's snapshot carries it, and a change
 * evicts the business's snapshots on every instance.
 */
@Injectable()
export class SsoSettingsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly database: Database,
  ) {}

  async read(ctx: RequestContext): Promise<SsoSettingsDto> {
    const row = await this.database.primary.findOneBy(SsoSettings, { businessId: ctx.businessId });
    return { token_sign_in: row?.tokenSignIn ?? true };
  }

  set(ctx: RequestContext, dto: SsoSettingsDto): Promise<SsoSettingsDto> {
    return this.uow.run(async (tx) => {
      const found = await tx.findOneBy(SsoSettings, { businessId: ctx.businessId });
      const from = found?.tokenSignIn ?? true;
      if (from === dto.token_sign_in) return { token_sign_in: from };
      const row = {
        tokenSignIn: dto.token_sign_in,
        updatedAt: new Date(),
        updatedBy: ctx.actor.label,
      };
      if (found) await tx.update(SsoSettings, { businessId: ctx.businessId }, row);
      else await tx.insert(SsoSettings, { businessId: ctx.businessId, ...row });
      await tx.publish(new SsoSettingsUpdatedEvent(ctx.author, ctx.businessId, dto.token_sign_in));
      return { token_sign_in: dto.token_sign_in };
    });
  }
}
