import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TokensModule } from '../tokens/tokens.module';
import { BusinessesController } from './businesses.controller';
import { MachineIdentitiesController } from './machine-identities.controller';
import { MeController } from './me.controller';
import { MeService } from './me.service';
import { MembersController } from './members.controller';
import { OffboardingService } from './offboarding.service';
import { OnboardingService } from './onboarding.service';
import { PlatformAdminsController } from './platform-admins.controller';
import { WhoamiController } from './whoami.controller';

/**
 * What spans tenancy and tokens: making a standing with its first token (`OnboardingService`),
 * ending one with its tokens (`OffboardingService`), and the routes of businesses, members,
 * machines, platform admins, `/me` and `/whoami`, most of which do one or the other.
 */
@Module({
  imports: [TenancyModule, TokensModule],
  controllers: [
    BusinessesController,
    PlatformAdminsController,
    MembersController,
    MachineIdentitiesController,
    MeController,
    WhoamiController,
  ],
  providers: [OnboardingService, OffboardingService, MeService],
  exports: [OnboardingService],
})
export class WorkflowsModule {}
