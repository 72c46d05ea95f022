import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TokensModule } from '../tokens/tokens.module';
import { ExchangeLimits } from './exchange/exchange-limits';
import { FederationCoreModule } from './federation-core.module';
import { JwksKeys } from './exchange/jwks-keys';
import { TokenExchangeController } from './http/token-exchange.controller';
import { TokenExchangeService } from './exchange/token-exchange.service';
import { TrustRulesController } from './http/trust-rules.controller';
import { TrustRulesService } from './rules/trust-rules.service';
import { TrustRuleBook } from './exchange/trust-rule-book';

/**
 * OIDC federation: machine identities' trust rules, and the RFC 8693 exchange of a
 * workload's JWT for a token of one. It sits above tokens (it issues through them) and the audit
 * log (its events' records are `FederationCoreModule`'s, which every process loads); its routes
 * are the HTTP app's alone.
 */
@Module({
  imports: [TokensModule, TenancyModule, AuditModule, FederationCoreModule],
  controllers: [TrustRulesController, TokenExchangeController],
  providers: [TrustRulesService, JwksKeys, ExchangeLimits, TrustRuleBook, TokenExchangeService],
  exports: [JwksKeys, TokenExchangeService],
})
export class FederationModule {}
