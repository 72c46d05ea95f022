import { Injectable } from '@nestjs/common';
import { IsNull, LessThan } from 'typeorm';
import type { Reader } from '../../../database/units/reader';
import type { Transaction } from '../../../database/units/unit-of-work';
import { RegisteredClient } from './registered-client.entity';

/**
 * Registered clients. They belong to no business, so every method reads or writes across
 * tenants, and says so in its name (DESIGN, "Reads that cross tenants").
 */
@Injectable()
export class RegisteredClientsRepository {
  findAnyBusiness(id: string, db: Reader): Promise<RegisteredClient | null> {
    return db.findOneBy(RegisteredClient, { id });
  }

  async insertAnyBusiness(client: RegisteredClient, tx: Transaction): Promise<void> {
    await tx.insert(RegisteredClient, client);
  }

  /** Marks the client used, once: the first flow that uses it keeps it from the sweep. */
  async markUsedAnyBusiness(id: string, at: Date, tx: Transaction): Promise<void> {
    await tx.update(RegisteredClient, { id, usedAt: IsNull() }, { usedAt: at });
  }

  /** Deletes the registrations made before `before` that no flow has used; answers how many. */
  async sweepUnusedAnyBusiness(before: Date, tx: Transaction): Promise<number> {
    const result = await tx.delete(RegisteredClient, {
      usedAt: IsNull(),
      createdAt: LessThan(before),
    });
    return result.affected ?? 0;
  }
}
