import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TokensModule } from '../tokens/tokens.module';
import { BusinessesController } from './http/businesses.controller';
import { CustomRolesController } from './http/custom-roles.controller';
import { IdentityNamesController } from './http/identity-names.controller';
import { FormerHoldersController } from './http/former-holders.controller';
import { FormerHoldersService } from './former-holders.service';
import { MachineIdentitiesController } from './http/machine-identities.controller';
import { MeController } from './http/me.controller';
import { MembersController } from './http/members.controller';
import { PlatformAdminsController } from './http/platform-admins.controller';
import { WhoamiController } from './http/whoami.controller';
import { WorkflowsModule } from './workflows.module';

/**
 * The routes of businesses, members, machines, platform admins, `/me` and `/whoami`, over
 * `WorkflowsModule`'s and tenancy's services: the HTTP app's, never the CLI's.
 */
@Module({
  imports: [TenancyModule, TokensModule, WorkflowsModule],
  controllers: [
    BusinessesController,
    PlatformAdminsController,
    MembersController,
    CustomRolesController,
    MachineIdentitiesController,
    MeController,
    WhoamiController,
    IdentityNamesController,
    FormerHoldersController,
  ],
  providers: [FormerHoldersService],
})
export class WorkflowsRoutesModule {}
