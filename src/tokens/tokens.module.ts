import { Module } from '@nestjs/common';
import { TenancyCoreModule } from '../tenancy/tenancy-core.module';
import { TokenVerifier } from './token-verifier';
import { TokensRepository } from './tokens.repository';
import { TokensService } from './tokens.service';

@Module({
  imports: [TenancyCoreModule],
  providers: [TokensRepository, TokensService, TokenVerifier],
  exports: [TokensService, TokenVerifier],
})
export class TokensModule {}
