import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TokensModule } from '../tokens/tokens.module';
import { TokenRequestsRepository } from './store/token-requests.repository';
import { TokenDecisionsService } from './token-decisions.service';
import { TokenRequestsController } from './http/token-requests.controller';
import { TokenRequestsService } from './token-requests.service';

/**
 * Token requests and approvals: a token the business's policy marks is asked for, decided by an
 * owner or admin, and collected by its requester. Above tokens: it issues through their path.
 */
@Module({
  imports: [TenancyModule, TokensModule],
  controllers: [TokenRequestsController],
  providers: [TokenRequestsService, TokenDecisionsService, TokenRequestsRepository],
})
export class ApprovalsModule {}
