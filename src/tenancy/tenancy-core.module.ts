import { Module } from '@nestjs/common';
import { BusinessesRepository } from './businesses.repository';
import { IdentitiesRepository } from './identities.repository';
import { MembershipsRepository } from './memberships.repository';
import { TenancyDirectory } from './tenancy-directory';

/**
 * Tenancy's tables and their read side. It depends on nothing, so the tokens module can ask it
 * who a caller is, and the tenancy module (which issues first tokens) can depend on tokens.
 */
@Module({
  providers: [BusinessesRepository, IdentitiesRepository, MembershipsRepository, TenancyDirectory],
  exports: [BusinessesRepository, IdentitiesRepository, MembershipsRepository, TenancyDirectory],
})
export class TenancyCoreModule {}
