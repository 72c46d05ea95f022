import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { isRefusal, readClientMetadata } from './client-metadata';
import type { ClientRegistrationDto } from './dto/client-metadata.dto';
import { RegisteredClient } from './store/registered-client.entity';
import { RegisteredClientsRepository } from './store/registered-clients.repository';

/** A registration nobody has used is deleted after this. */
export const UNUSED_REGISTRATION_MS = 24 * 3_600_000;

/** RFC 7591 §3.2.2's error codes that registration answers with. */
export type RegistrationErrorCode = 'invalid_redirect_uri' | 'invalid_client_metadata';

/** A refused registration, answered 400 as `{error, error_description}` (RFC 7591 §3.2.2). */
export class RegistrationError extends Error {
  constructor(
    readonly error: RegistrationErrorCode,
    readonly description: string,
  ) {
    super(description);
  }
}

/**
 * RFC 7591 dynamic client registration, the fallback for a client that has no metadata document:
 * public clients only (`token_endpoint_auth_method: none`), installation-wide. Each registration
 * first sweeps the ones never used within UNUSED_REGISTRATION_MS, as a sign-in sweeps the old
 * ones, so what strangers may make Latchkey store is bounded by the per-address rate limit
 * (RATE_LIMIT_CLIENT_REGISTRATIONS_PER_HOUR) times a day.
 */
@Injectable()
export class ClientRegistrationService {
  /** The clock registrations and the sweep read; a test moves it past a day. */
  clock: () => Date = () => new Date();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly clients: RegisteredClientsRepository,
  ) {}

  /** Registers the client the body describes, and answers its id and metadata (RFC 7591 §3.2.1). */
  async register(body: unknown): Promise<ClientRegistrationDto> {
    const read = readClientMetadata(body);
    if (isRefusal(read)) {
      throw new RegistrationError(
        read.field === 'redirect_uris' ? 'invalid_redirect_uri' : 'invalid_client_metadata',
        read.message,
      );
    }
    const now = this.clock();
    const client = Object.assign(new RegisteredClient(), {
      id: `lkc_${randomBytes(24).toString('base64url')}`,
      clientName: read.clientName,
      redirectUris: read.redirectUris,
      clientUri: read.clientUri,
      logoUri: read.logoUri,
      grantTypes: read.grantTypes,
      responseTypes: read.responseTypes,
      tokenEndpointAuthMethod: read.tokenEndpointAuthMethod,
      createdAt: now,
      usedAt: null,
    } satisfies RegisteredClient);
    await this.uow.run(async (tx) => {
      await this.clients.sweepUnusedAnyBusiness(
        new Date(now.getTime() - UNUSED_REGISTRATION_MS),
        tx,
      );
      await this.clients.insertAnyBusiness(client, tx);
    });
    return {
      client_id: client.id,
      client_id_issued_at: Math.floor(now.getTime() / 1000),
      redirect_uris: client.redirectUris,
      ...(client.clientName !== null && { client_name: client.clientName }),
      ...(client.clientUri !== null && { client_uri: client.clientUri }),
      ...(client.logoUri !== null && { logo_uri: client.logoUri }),
      token_endpoint_auth_method: client.tokenEndpointAuthMethod,
      grant_types: client.grantTypes,
      response_types: client.responseTypes,
    };
  }
}
