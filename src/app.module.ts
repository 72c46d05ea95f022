import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { EnvelopeInterceptor } from './common/envelope.interceptor';
import { loggerModule } from './common/logging';
import { RequestValidationPipe } from './common/validation.pipe';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { BusModule } from './bus/bus.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { OAuth2Module } from './oauth2/oauth2.module';
import { TenancyModule } from './tenancy/tenancy.module';
import { TokensModule } from './tokens/tokens.module';

@Module({})
export class AppModule {
  /** The whole app for one validated config, so tests can boot several side by side. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        loggerModule(config),
        EventEmitterModule.forRoot({ wildcard: false }),
        DatabaseModule,
        BusModule,
        AuthModule,
        TokensModule,
        TenancyModule,
        OAuth2Module,
        HealthModule,
        AuditModule,
      ],
      providers: [
        { provide: APP_PIPE, useClass: RequestValidationPipe },
        { provide: APP_INTERCEPTOR, useClass: EnvelopeInterceptor },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
