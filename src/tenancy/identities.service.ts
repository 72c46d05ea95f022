import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Author } from '../database/domain-event';
import { Transaction } from '../database/unit-of-work';
import { Identity, identityLabel } from './identity.entity';
import { IdentitiesRepository } from './identities.repository';
import { IdentityCreatedEvent, IdentityRef } from './tenancy.events';

export function identityRef(identity: Identity): IdentityRef {
  return { id: identity.id, kind: identity.kind, label: identityLabel(identity) };
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The expiry of a token that lives `days` days from now, or null for no expiry. */
export function expiryInDays(days: number | null | undefined): Date | null {
  return days ? new Date(Date.now() + days * DAY_MS) : null;
}

/** The first token of a member or business owner expires in 7 days unless told otherwise. */
export const FIRST_TOKEN_DAYS = 7;

@Injectable()
export class IdentitiesService {
  constructor(private readonly identities: IdentitiesRepository) {}

  /** The user with this (lowercased) email, created if new. Users belong to no one business. */
  async findOrCreateUser(tx: Transaction, author: Author, email: string): Promise<Identity> {
    const existing = await this.identities.findUserByEmail(email, tx.manager);
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
    await this.identities.insert(tx.manager, identity);
    await tx.emit(
      new IdentityCreatedEvent(author.actor, author.origin, null, identityRef(identity)),
    );
    return identity;
  }
}
