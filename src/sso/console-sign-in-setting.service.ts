import { Injectable } from '@nestjs/common';
import { heldToConsoleSignInSetting } from '../auth/guards/console-sign-in';
import { RequestContext } from '../auth/request-context';
import { SsoSettingsDto } from '../tenancy/dto/sso-settings.dto';
import { SsoSettingsService } from '../tenancy/sso-settings.service';
import { IdentityProvider } from './identity-provider';
import { SsoError } from './sso-error';

/**
 * A business's console sign-in setting, as its owners change it: never to a value that shuts
 * the caller out of the console. Off needs a way in through the provider, so an installation
 * without one refuses it; and a person must turn it off from an SSO session, the proof that
 * the provider and the business's group rules let them in, not from a token it would refuse.
 */
@Injectable()
export class ConsoleSignInSettingService {
  constructor(
    private readonly provider: IdentityProvider,
    private readonly settings: SsoSettingsService,
  ) {}

  read(ctx: RequestContext): Promise<SsoSettingsDto> {
    return this.settings.read(ctx);
  }

  set(ctx: RequestContext, dto: SsoSettingsDto): Promise<SsoSettingsDto> {
    if (!dto.token_sign_in) {
      if (!this.provider.configured) {
        throw new SsoError(
          'SSO_NOT_CONFIGURED',
          "With no identity provider, token sign-in off would shut every one of the business's people out of the console",
        );
      }
      if (heldToConsoleSignInSetting(ctx.actor, ctx.token)) throw new SsoError('SSO_LOCKOUT');
    }
    return this.settings.set(ctx, dto);
  }
}
