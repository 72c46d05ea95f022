import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TokenAccess } from './policy/token-access';
import { GovernedTokensRepository } from './store/repositories/governed-tokens.repository';
import { TokenCountsRepository } from './store/repositories/token-counts.repository';
import { TokenExpiryNoticesRepository } from './store/repositories/token-expiry-notices.repository';
import { TokenFamilyRepository } from './store/repositories/token-family.repository';
import { TokenListsRepository } from './store/repositories/token-lists.repository';
import { TokenUsageRepository } from './store/repositories/token-usage.repository';
import { TokenUsesRepository } from './store/repositories/token-uses.repository';
import { TokenWritesRepository } from './store/repositories/token-writes.repository';
import { TokensRepository } from './store/repositories/tokens.repository';

const repositories = [
  TokensRepository,
  TokenWritesRepository,
  TokenListsRepository,
  TokenCountsRepository,
  TokenExpiryNoticesRepository,
  GovernedTokensRepository,
  TokenUsageRepository,
  TokenUsesRepository,
  TokenFamilyRepository,
];

/**
 * The tokens' tables and the policy that decides who may act on a token: what verification,
 * the lifecycle and usage all stand on. Exported to those three alone; `TokensModule` does not
 * pass it on, so another feature reaches tokens through their services.
 */
@Module({
  imports: [TenancyModule],
  providers: [...repositories, TokenAccess],
  exports: [...repositories, TokenAccess],
})
export class TokenStoreModule {}
