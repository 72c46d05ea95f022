import { Module } from '@nestjs/common';
import { ClientDirectory } from './client-directory';
import { ClientMetadataDocuments } from './client-metadata-documents';
import { ClientRegistrationService } from './client-registration.service';
import { ClientRegistrationController } from './http/client-registration.controller';
import { RegisteredClientsRepository } from './store/registered-clients.repository';

/**
 * The authorization server's clients: Client ID Metadata Documents, RFC 7591 registration at
 * `POST /oauth2/register`, and `ClientDirectory`, the one way the flow finds a client.
 */
@Module({
  controllers: [ClientRegistrationController],
  providers: [
    ClientDirectory,
    ClientMetadataDocuments,
    ClientRegistrationService,
    RegisteredClientsRepository,
  ],
  exports: [ClientDirectory],
})
export class ClientsModule {}
