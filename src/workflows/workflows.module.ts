import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TokensModule } from '../tokens/tokens.module';
import { MeService } from './me.service';
import { OffboardingService } from './offboarding.service';
import { OnboardingService } from './onboarding.service';

/**
 * What spans tenancy and tokens: making a standing with its first token (`OnboardingService`),
 * ending one with its tokens (`OffboardingService`), and what `/me` answers. Their routes are
 * `WorkflowsRoutesModule`'s.
 */
@Module({
  imports: [TenancyModule, TokensModule],
  providers: [OnboardingService, OffboardingService, MeService],
  exports: [OnboardingService, OffboardingService, MeService],
})
export class WorkflowsModule {}
