import { Injectable } from '@nestjs/common';

/** A client as the authorization request's checks need it: who it is, and where it may be sent. */
export interface ClientFacts {
  clientId: string;
  /**
   * Whether `uri` is one of its registered redirect URIs, by the client registry's matching rules
   * (exact, but for a loopback redirect's port: RFC 6749 §3.1.2.3, RFC 8252 §7.3).
   */
  acceptsRedirectUri(uri: string): boolean;
}

/** A registered resource as the checks need it: its canonical URI and the scopes it declares. */
export interface ResourceFacts {
  uri: string;
  scopes: readonly string[];
}

/**
 * The client registry, as the authorization request's checks ask it (Client ID Metadata
 * Documents and RFC 7591 registrations): the clients feature answers it. Null for a client it
 * does not know, or cannot resolve.
 */
export abstract class AuthorizationClients {
  abstract findClient(clientId: string): Promise<ClientFacts | null>;
}

/**
 * The business's registered resources, as the authorization server asks them: `resources/`'s
 * `ResourcesService` answers it. `uri` is already canonical; null for one not registered.
 */
export abstract class ResourceCatalog {
  abstract findResource(businessId: string, uri: string): Promise<ResourceFacts | null>;
}

/**
 * The directory until the client registry is bound in its place: it knows no client, so every
 * authorization request ends on the error page, and nothing is ever redirected anywhere.
 */
@Injectable()
export class NoRegisteredClients extends AuthorizationClients {
  findClient(): Promise<ClientFacts | null> {
    return Promise.resolve(null);
  }
}
