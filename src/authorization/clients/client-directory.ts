import { Injectable } from '@nestjs/common';
import { Database } from '../../database/connection/read-routing';
import type { Transaction } from '../../database/units/unit-of-work';
import { ClientError } from './client-error';
import { isUrlClientId } from './client-id-url';
import { ClientMetadataDocuments } from './client-metadata-documents';
import type { Client, ClientMetadata } from './client-metadata';
import { acceptsRedirectUri } from './redirect-uris';
import type { RegisteredClient } from './store/registered-client.entity';
import { RegisteredClientsRepository } from './store/registered-clients.repository';

/** The shape of a registered client's id: a prefix and 24 random bytes, base64url. */
export const REGISTERED_CLIENT_ID = /^lkc_[A-Za-z0-9_-]{32}$/;

/** A stored registration as the one client shape. */
export function clientOfRow(row: RegisteredClient): Client {
  return {
    clientId: row.id,
    kind: 'registered',
    clientName: row.clientName,
    redirectUris: row.redirectUris,
    clientUri: row.clientUri,
    logoUri: row.logoUri,
    tokenEndpointAuthMethod: 'none',
    grantTypes: row.grantTypes as ClientMetadata['grantTypes'],
    responseTypes: row.responseTypes as ClientMetadata['responseTypes'],
  };
}

/**
 * The front door to the authorization server's clients: whichever way a client_id names one (a
 * Client ID Metadata Document's URL, or an id RFC 7591 registration gave), the flow gets one
 * `Client`, or a ClientError saying why there is none.
 */
@Injectable()
export class ClientDirectory {
  constructor(
    private readonly documents: ClientMetadataDocuments,
    private readonly registered: RegisteredClientsRepository,
    private readonly database: Database,
  ) {}

  /** The client a client_id names. */
  async resolve(clientId: string): Promise<Client> {
    if (isUrlClientId(clientId)) return this.documents.resolve(clientId);
    if (!REGISTERED_CLIENT_ID.test(clientId)) throw new ClientError('CLIENT_NOT_FOUND');
    const row = await this.registered.findAnyBusiness(clientId, this.database.primary);
    if (!row) throw new ClientError('CLIENT_NOT_FOUND');
    return clientOfRow(row);
  }

  /**
   * The client as the authorization request's checks ask for it (codes' `AuthorizationClients`
   * port), or null for one that is unknown or cannot be resolved now: the request then ends on
   * the error page, as nothing can be redirected to a client that is not known.
   */
  async findClient(
    clientId: string,
  ): Promise<{ clientId: string; acceptsRedirectUri(uri: string): boolean } | null> {
    try {
      const client = await this.resolve(clientId);
      return { clientId, acceptsRedirectUri: (uri) => this.acceptsRedirectUri(client, uri) };
    } catch (e) {
      if (e instanceof ClientError) return null;
      throw e;
    }
  }

  /** Whether `redirectUri` is one of the client's, by the matching table (redirect-uris.ts). */
  acceptsRedirectUri(client: Client, redirectUri: string): boolean {
    return acceptsRedirectUri(client.redirectUris, redirectUri);
  }

  /** Keeps a registered client from the sweep of unused registrations, in the flow's transaction. */
  async markUsed(client: Client, at: Date, tx: Transaction): Promise<void> {
    if (client.kind === 'registered')
      await this.registered.markUsedAnyBusiness(client.clientId, at, tx);
  }
}
