import { Module } from '@nestjs/common';
import { CustomRolesService } from './custom-roles.service';
import { CustomRolesRepository } from './store/custom-roles.repository';
import { BusinessesRepository } from './store/businesses.repository';
import { BusinessesService } from './businesses.service';
import { IdentitiesRepository } from './store/identities.repository';
import { IdentitiesService } from './identities.service';
import { MachineIdentitiesService } from './machine-identities.service';
import { MembersService } from './members.service';
import { MembershipsRepository } from './store/memberships.repository';
import { PlatformAdminsService } from './platform-admins.service';
import { TenancyDirectory } from './tenancy-directory';
import { SsoSettingsService } from './sso-settings.service';
import { SsoSettingsRepository } from './store/sso-settings.repository';

/**
 * Businesses, identities and memberships: their tables, their rules, and `TenancyDirectory`,
 * which tells tokens and auth who a caller is. It knows nothing of tokens and has no routes:
 * its routes are in workflows, because most of them also issue or revoke tokens.
 */
@Module({
  providers: [
    BusinessesRepository,
    IdentitiesRepository,
    MembershipsRepository,
    TenancyDirectory,
    BusinessesService,
    IdentitiesService,
    MembersService,
    MachineIdentitiesService,
    PlatformAdminsService,
    CustomRolesRepository,
    CustomRolesService,
    SsoSettingsRepository,
    SsoSettingsService,
  ],
  // Services and the directory, never a repository: other features meet tenancy at these.
  exports: [
    TenancyDirectory,
    BusinessesService,
    IdentitiesService,
    MembersService,
    MachineIdentitiesService,
    PlatformAdminsService,
    CustomRolesService,
    SsoSettingsService,
  ],
})
export class TenancyModule {}
