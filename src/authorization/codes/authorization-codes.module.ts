import { Module } from '@nestjs/common';
import { ResourcesModule } from '../../resources/resources.module';
import { ResourcesService } from '../../resources/resources.service';
import { AuthorizationCodeSweep } from './authorization-code-sweep';
import { AuthorizationCodesService } from './authorization-codes.service';
import { ClientDirectory } from '../clients/client-directory';
import { ClientsModule } from '../clients/clients.module';
import { AuthorizationClients, ResourceCatalog } from './authorization-ports';
import { AuthorizationRequests } from './authorization-requests.service';
import { AuthorizationCodesRepository } from './store/authorization-codes.repository';

/**
 * The authorization request's checks and the authorization codes. The clients a request names
 * are the client registry's (`ClientDirectory`), and the resources `ResourcesService`'s.
 */
@Module({
  imports: [ResourcesModule, ClientsModule],
  providers: [
    AuthorizationCodesRepository,
    AuthorizationCodesService,
    AuthorizationCodeSweep,
    AuthorizationRequests,
    {
      provide: AuthorizationClients,
      useFactory: (clients: ClientDirectory): AuthorizationClients => clients,
      inject: [ClientDirectory],
    },
    {
      provide: ResourceCatalog,
      useFactory: (resources: ResourcesService): ResourceCatalog => resources,
      inject: [ResourcesService],
    },
  ],
  exports: [
    AuthorizationCodesService,
    AuthorizationRequests,
    AuthorizationCodeSweep,
    ResourceCatalog,
  ],
})
export class AuthorizationCodesModule {}
