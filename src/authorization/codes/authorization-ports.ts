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

/** A registered resource as a person is shown it when asked to consent. */
export interface ResourceDescription {
  id: string;
  uri: string;
  name: string;
  scopes: readonly { name: string; description: string }[];
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
  abstract describeResource(businessId: string, uri: string): Promise<ResourceDescription | null>;
}
