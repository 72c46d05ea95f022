import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Author } from '../database/units/domain-event';
import { Transaction } from '../database/units/unit-of-work';
import { identityLabel } from './identity-label';
import { Identity } from './store/identity.entity';
import { IdentitiesRepository } from './store/identities.repository';
import { IdentityCreatedEvent, IdentityRef } from './tenancy.events';

export function identityRef(identity: Identity): IdentityRef {
  return { id: identity.id, kind: identity.kind, label: identityLabel(identity) };
}

@Injectable()
export class IdentitiesService {
  constructor(private readonly identities: IdentitiesRepository) {}

  /** The user with this (lowercased) email, created if new. Users belong to no one business. */
  async findOrCreateUser(author: Author, email: string, tx: Transaction): Promise<Identity> {
    const existing = await this.identities.findUserByEmail(email, tx);
    if (existing) return existing;
    const identity = Object.assign(new Identity(), {
      id: randomUUID(),
      kind: 'user',
      email,
      name: null,
      businessId: null,
      isPlatformAdmin: false,
      createdAt: new Date(),
      deletedAt: null,
    } satisfies Identity);
    await this.identities.insert(identity, tx);
    await tx.publish(new IdentityCreatedEvent(author, null, identityRef(identity)));
    return identity;
  }
}
