import { Module } from '@nestjs/common';
import { GovernanceModule } from '../../governance/governance.module';
import { ResourcesModule } from '../../resources/resources.module';
import { SigningModule } from '../../signing/signing.module';
import { TenancyModule } from '../../tenancy/tenancy.module';
import { TokensModule } from '../../tokens/tokens.module';
import { AuthorizationCodesModule } from '../codes/authorization-codes.module';
import { ClientsModule } from '../clients/clients.module';
import { AuthorizationEndpoint } from './authorization-endpoint.service';
import { AuthorizationRequestHandles } from './authorization-request-handle';
import { ConsentApprovalsService } from './consent-approvals.service';
import { ConsentsService } from './consents.service';
import { GrantEnds } from './grant-ends.service';
import { GrantsService } from './grants.service';
import { GrantsSweep } from './grants-sweep';
import { AuthorizationServerMetadataController } from './http/authorization-server-metadata.controller';
import { AuthorizeController } from './http/authorize.controller';
import { ConsentRequestsController } from './http/consent-requests.controller';
import { ConnectedAppsController, ConsentsController } from './http/consents.controller';
import { GrantTokenController } from './http/token.controller';
import { ConsentRequestsRepository } from './store/consent-requests.repository';
import { ConsentsRepository } from './store/consents.repository';
import { GrantsRepository } from './store/grants.repository';

/**
 * The authorization server's flow for a business's connected apps: the authorization endpoint,
 * the person's consent in the console, the token endpoint's code and refresh grants, and the
 * RFC 8414 metadata that advertises them. Codes and clients are their own modules below it.
 */
@Module({
  imports: [
    AuthorizationCodesModule,
    ClientsModule,
    GovernanceModule,
    ResourcesModule,
    SigningModule,
    TenancyModule,
    TokensModule,
  ],
  controllers: [
    AuthorizationServerMetadataController,
    AuthorizeController,
    GrantTokenController,
    ConsentsController,
    ConsentRequestsController,
    ConnectedAppsController,
  ],
  providers: [
    AuthorizationEndpoint,
    AuthorizationRequestHandles,
    ConsentApprovalsService,
    ConsentRequestsRepository,
    ConsentsService,
    ConsentsRepository,
    GrantsRepository,
    GrantEnds,
    GrantsService,
    GrantsSweep,
  ],
  exports: [GrantEnds, GrantsService, GrantsSweep],
})
export class GrantsModule {}
