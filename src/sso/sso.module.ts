import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TokensModule } from '../tokens/tokens.module';
import { ConsoleSignInSettingService } from './console-sign-in-setting.service';
import { IdentityProvider } from './identity-provider';
import { SsoGroupRolesController } from './http/sso-group-roles.controller';
import { SsoGroupRolesService } from './sso-group-roles.service';
import { SsoRefusalAudit } from './sso-refusal-audit';
import { SsoSettingsController } from './http/sso-settings.controller';
import { SsoSignInController } from './http/sso-sign-in.controller';
import { SsoSessionService } from './sso-session.service';
import { SsoSignInService } from './sso-sign-in.service';
import { SsoGroupRolesRepository } from './store/sso-group-roles.repository';
import { SsoLoginsRepository } from './store/sso-logins.repository';

/**
 * Console sign-in through the installation's identity provider (OpenID Connect). Above
 * workflows: a sign-in makes or moves a membership and issues a session token, as adding a
 * member does.
 */
@Module({
  imports: [TenancyModule, TokensModule],
  controllers: [SsoSignInController, SsoGroupRolesController, SsoSettingsController],
  providers: [
    IdentityProvider,
    SsoSignInService,
    SsoSessionService,
    SsoRefusalAudit,
    ConsoleSignInSettingService,
    SsoGroupRolesService,
    SsoLoginsRepository,
    SsoGroupRolesRepository,
  ],
})
export class SsoModule {}
