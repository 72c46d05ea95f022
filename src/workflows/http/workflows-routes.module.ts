import { Module } from '@nestjs/common';
import { TenancyModule } from '../../tenancy/tenancy.module';
import { TokensModule } from '../../tokens/tokens.module';
import { BusinessesController } from './businesses.controller';
import { CustomRolesController } from './custom-roles.controller';
import { IdentityNamesController } from './identity-names.controller';
import { FormerHoldersController } from './former-holders.controller';
import { FormerHoldersService } from '../former-holders.service';
import { MachineIdentitiesController } from './machine-identities.controller';
import { MeController } from './me.controller';
import { MembersController } from './members.controller';
import { PlatformAdminsController } from './platform-admins.controller';
import { WhoamiController } from './whoami.controller';
import { WorkflowsModule } from '../workflows.module';

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
