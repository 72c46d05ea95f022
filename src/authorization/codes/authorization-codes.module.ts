import { Module } from '@nestjs/common';
import { ResourcesModule } from '../../resources/resources.module';
import { ResourcesService } from '../../resources/resources.service';
import { AuthorizationCodeSweep } from './authorization-code-sweep';
import { AuthorizationCodesService } from './authorization-codes.service';
import { AuthorizationClients, NoRegisteredClients, ResourceCatalog } from './authorization-ports';
import { AuthorizationRequests } from './authorization-requests.service';
import { AuthorizationCodesRepository } from './store/authorization-codes.repository';

/**
 * The authorization request's checks and the authorization codes. The resources a request names
 * are `ResourcesService`'s; clients are none until the client registry is bound in
 * `NoRegisteredClients`' place, so until then every request ends on the error page.
 */
@Module({
  imports: [ResourcesModule],
  providers: [
    AuthorizationCodesRepository,
    AuthorizationCodesService,
    AuthorizationCodeSweep,
    AuthorizationRequests,
    { provide: AuthorizationClients, useClass: NoRegisteredClients },
    {
      provide: ResourceCatalog,
      useFactory: (resources: ResourcesService): ResourceCatalog => resources,
      inject: [ResourcesService],
    },
  ],
  exports: [AuthorizationCodesService, AuthorizationRequests, AuthorizationCodeSweep],
})
export class AuthorizationCodesModule {}
