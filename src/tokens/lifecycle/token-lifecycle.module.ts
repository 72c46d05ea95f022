import { Module } from '@nestjs/common';
import { GovernanceModule } from '../../governance/governance.module';
import { TenancyModule } from '../../tenancy/tenancy.module';
import { TokenStoreModule } from '../token-store.module';
import { TokenVerificationModule } from '../verify/token-verification.module';
import { BatchRevocationService } from './revocation/batch-revocation.service';
import { HandedTokenIssuance } from './issuance/handed-token-issuance.service';
import { NewTokenTerms } from './issuance/new-token-terms';
import { RevocationMetrics } from './revocation/revocation-metrics';
import { TokenFamilyCheck } from './token-family-check';
import { TokenFamilyPause } from './token-family-pause';
import { TokenImportService } from './issuance/token-import.service';
import { TokenIssuanceService } from './issuance/token-issuance.service';
import { TokenPauseService } from './token-pause.service';
import { TokenQueriesService } from './token-queries.service';
import { TokenRevocationService } from './revocation/token-revocation.service';
import { TokenRotationService } from './issuance/token-rotation.service';
import { TokenSummaryService } from './token-summary.service';
import { TokenUpdateService } from './token-update.service';

const services = [
  TokenIssuanceService,
  HandedTokenIssuance,
  TokenImportService,
  TokenRevocationService,
  BatchRevocationService,
  TokenRotationService,
  TokenQueriesService,
  TokenSummaryService,
  TokenPauseService,
  TokenUpdateService,
];

/** A token's life: issue, import, read, rename, pause, rotate and revoke, under the policy. */
@Module({
  imports: [TokenStoreModule, TokenVerificationModule, TenancyModule, GovernanceModule],
  providers: [...services, NewTokenTerms, TokenFamilyPause, TokenFamilyCheck, RevocationMetrics],
  exports: services,
})
export class TokenLifecycleModule {}
