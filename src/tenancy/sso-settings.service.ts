import { Injectable } from '@nestjs/common';
import { RequestContext } from '../auth/request-context';
import { Database } from '../database/connection/read-routing';
import { UnitOfWork } from '../database/units/unit-of-work';
import { SsoSettingsDto } from './dto/sso-settings.dto';
import { SsoSettingsUpdatedEvent } from './tenancy.events';
import { SsoSettingsRepository } from './store/sso-settings.repository';

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
    private readonly settings: SsoSettingsRepository,
  ) {}

  async read(ctx: RequestContext): Promise<SsoSettingsDto> {
    const row = await this.settings.find(ctx.businessId, this.database.primary);
    return { token_sign_in: row?.tokenSignIn ?? true };
  }

  set(ctx: RequestContext, dto: SsoSettingsDto): Promise<SsoSettingsDto> {
    return this.uow.run(async (tx) => {
      await this.settings.lockForChange(ctx.businessId, tx);
      const found = await this.settings.find(ctx.businessId, tx);
      const from = found?.tokenSignIn ?? true;
      if (from === dto.token_sign_in) return { token_sign_in: from };
      const row = {
        tokenSignIn: dto.token_sign_in,
        updatedAt: new Date(),
        updatedBy: ctx.actor.label,
      };
      await this.settings.save(ctx.businessId, row, found !== null, tx);
      await tx.publish(new SsoSettingsUpdatedEvent(ctx.author, ctx.businessId, dto.token_sign_in));
      return { token_sign_in: dto.token_sign_in };
    });
  }
}
