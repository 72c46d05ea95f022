import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { issuerOf } from '../issuer';
import type { AuthorizationRequestParams } from './dto/authorization-code.dto';
import { AuthorizationClients, ResourceCatalog } from './authorization-ports';
import { readParams, resourceOf, single } from './authorization-request-checks';
import { AuthorizationRequestAnswer, checkAuthorizationRequest } from './authorization-request';

/**
 * The authorization request in a business: the client and the resource looked up in their
 * registries, then every check of `AUTHORIZATION_REQUEST_CHECKS` over the parameters and what
 * was found. The registries are asked only for what the checks will read: no resource is looked
 * up for a client that is not known.
 */
@Injectable()
export class AuthorizationRequests {
  constructor(
    private readonly clients: AuthorizationClients,
    private readonly resources: ResourceCatalog,
    private readonly config: AppConfig,
  ) {}

  async check(
    businessId: string,
    params: AuthorizationRequestParams,
  ): Promise<AuthorizationRequestAnswer> {
    const p = readParams(params);
    const clientId = single(p, 'client_id');
    const client = clientId === undefined ? null : await this.clients.findClient(clientId);
    const uri = resourceOf(p);
    const resource =
      client !== null && uri !== null ? await this.resources.findResource(businessId, uri) : null;
    const issuer = issuerOf(this.config, businessId);
    return checkAuthorizationRequest(params, { issuer, client, resource });
  }
}
