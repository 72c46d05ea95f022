import { Module } from '@nestjs/common';
import { BusinessesController } from './businesses.controller';
import { BusinessesService } from './businesses.service';
import { IdentitiesService } from './identities.service';
import { MachineIdentitiesController } from './machine-identities.controller';
import { MachineIdentitiesService } from './machine-identities.service';
import { MeController } from './me.controller';
import { MeService } from './me.service';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';
import { PlatformAdminsController } from './platform-admins.controller';
import { PlatformAdminsService } from './platform-admins.service';
import { TenancyCoreModule } from './tenancy-core.module';

/** Tenancy's routes and services; its token needs come through `TenancyTokens` (tokens, global). */
@Module({
  imports: [TenancyCoreModule],
  controllers: [
    BusinessesController,
    PlatformAdminsController,
    MembersController,
    MachineIdentitiesController,
    MeController,
  ],
  providers: [
    BusinessesService,
    IdentitiesService,
    MembersService,
    MachineIdentitiesService,
    PlatformAdminsService,
    MeService,
  ],
  exports: [PlatformAdminsService, BusinessesService],
})
export class TenancyModule {}
