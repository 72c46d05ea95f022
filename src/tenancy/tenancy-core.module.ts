import { Global, Module } from '@nestjs/common';
import { BusinessDirectory } from '../auth/ports';
import { BusinessesRepository } from './businesses.repository';
import { IdentitiesRepository } from './identities.repository';
import { MembershipsRepository } from './memberships.repository';
import { TenancyDirectory } from './tenancy-directory';

/**
 * Tenancy's tables and their read side. It depends on nothing, so the tokens module can ask it
 * who a caller is. Global, so that auth's guards get their `BusinessDirectory` without
 * importing tenancy.
 */
@Global()
@Module({
  providers: [
    BusinessesRepository,
    IdentitiesRepository,
    MembershipsRepository,
    TenancyDirectory,
    { provide: BusinessDirectory, useExisting: TenancyDirectory },
  ],
  exports: [
    BusinessesRepository,
    IdentitiesRepository,
    MembershipsRepository,
    TenancyDirectory,
    BusinessDirectory,
  ],
})
export class TenancyCoreModule {}
