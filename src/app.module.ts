import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AuthModule } from './auth/auth.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { loggerModule } from './common/secrets/logging';
import { RequestValidationPipe } from './common/validation/validation.pipe';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { CORE_MODULES } from './wiring/core.modules';
import { MetricsModule } from './metrics/metrics.module';
import { HealthModule } from './health/health.module';
import { TenancyDirectory } from './tenancy/tenancy-directory';
import { TenancyModule } from './tenancy/tenancy.module';
import { TokenVerifier } from './tokens/verify/token-verifier';
import { TokensModule } from './tokens/tokens.module';
import { MetricsEndpointModule } from './health/metrics-endpoint.module';
import { OAuth2Module } from './oauth2/oauth2.module';
import { GatewayModule } from './gateway/gateway.module';
import { SigningRoutesModule } from './signing/http/signing-routes.module';
import { SigningModule } from './signing/signing.module';
import { JwtDerivedKeys } from './signing/jwt-derived-keys';
import { AuditRoutesModule } from './audit/http/audit-routes.module';
import { TokensRoutesModule } from './tokens/http/tokens-routes.module';
import { WebhooksRoutesModule } from './webhooks/http/webhooks-routes.module';
import { SsfRoutesModule } from './ssf/http/ssf-routes.module';
import { WorkflowsRoutesModule } from './workflows/http/workflows-routes.module';
import { InvitationsModule } from './invitations/invitations.module';
import { ApprovalsModule } from './approvals/approvals.module';
import { ResourcesModule } from './resources/resources.module';
import { ClientsModule } from './authorization/clients/clients.module';
import { AuthorizationCodesModule } from './authorization/codes/authorization-codes.module';
import { GrantsModule } from './authorization/grants/grants.module';
import { SsoModule } from './sso/sso.module';
import { LeaksModule } from './leaks/leaks.module';
import { FederationModule } from './federation/federation.module';
import { AnalyticsModule } from './analytics/analytics.module';
import { GovernanceModule, GovernanceRoutesModule } from './governance/governance.module';
import { LimitBook } from './governance/limits/limit-book';
import { CreditMeter } from './governance/credits/credit-meter';

@Module({})
export class AppModule {
  /** The whole app for one validated config, so tests can boot several side by side. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        loggerModule({ level: config.LOG_LEVEL }),
        MetricsModule.forRoot(),
        ...CORE_MODULES,
        // The core's routes, apart from the core so that the CLI loads none of them; in the
        // order the core lists the features, which is the order of the OpenAPI document.
        TokensRoutesModule,
        GovernanceRoutesModule,
        WorkflowsRoutesModule,
        InvitationsModule,
        ApprovalsModule,
        ResourcesModule,
        SsoModule,
        AuditRoutesModule,
        WebhooksRoutesModule,
        SsfRoutesModule,
        AuthModule.register({
          imports: [TokensModule, TenancyModule, SigningModule, GovernanceModule],
          verifier: TokenVerifier,
          directory: TenancyDirectory,
          keys: JwtDerivedKeys,
          limits: LimitBook,
          credits: CreditMeter,
        }),
        OAuth2Module,
        ClientsModule,
        AuthorizationCodesModule,
        GrantsModule,
        FederationModule,
        GatewayModule,
        AnalyticsModule,
        SigningRoutesModule,
        LeaksModule,
        HealthModule,
        // Off, /metrics is 404 rather than an empty answer.
        ...(config.METRICS_ENABLED ? [MetricsEndpointModule] : []),
      ],
      providers: [
        { provide: APP_PIPE, useClass: RequestValidationPipe },
        // By class too, so that a route's fast path (src/gateway/verify-fast-path.ts) answers alike.
        AllExceptionsFilter,
        { provide: APP_FILTER, useExisting: AllExceptionsFilter },
      ],
    };
  }
}
