import { Injectable } from '@nestjs/common';
import { assertBusinessId } from '../../common/tenant-scope';
import type { Keyset } from '../../common/validation/pagination';
import { keysetPage } from '../../database/keyset';
import { holdKeyLock } from '../../database/units/key-lock';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { Resource } from './resource.entity';

/** A business's registered resources; every method takes the business first. */
@Injectable()
export class ResourcesRepository {
  /**
   * Registrations in one business run one at a time (a PostgreSQL advisory lock; SQLite's units
   * already do), so the count and the URI's check see every registration committed before.
   */
  async lockForRegistration(businessId: string, tx: Transaction): Promise<void> {
    assertBusinessId(businessId);
    await holdKeyLock(`resources:${businessId}`, 'exclusive', tx);
  }

  find(businessId: string, id: string, db: Reader): Promise<Resource | null> {
    assertBusinessId(businessId);
    return db.findOneBy(Resource, { businessId, id });
  }

  findByUri(businessId: string, uri: string, db: Reader): Promise<Resource | null> {
    assertBusinessId(businessId);
    return db.findOneBy(Resource, { businessId, uri });
  }

  count(businessId: string, db: Reader): Promise<number> {
    assertBusinessId(businessId);
    return db.countBy(Resource, { businessId });
  }

  /** One keyset page, oldest first. */
  list(businessId: string, limit: number, after: Keyset | null, db: Reader) {
    assertBusinessId(businessId);
    const qb = db
      .createQueryBuilder(Resource, 'r')
      .where('r.business_id = :businessId', { businessId });
    return keysetPage(qb, 'r.created_at', 'r.id', limit, after).getMany();
  }

  async insert(resource: Resource, tx: Transaction): Promise<void> {
    assertBusinessId(resource.businessId);
    await tx.insert(Resource, resource);
  }

  /** Answers whether the resource was there to change. */
  async update(
    businessId: string,
    id: string,
    fields: Pick<Resource, 'name' | 'scopes' | 'updatedAt' | 'updatedBy'>,
    tx: Transaction,
  ): Promise<boolean> {
    assertBusinessId(businessId);
    const result = await tx.update(Resource, { businessId, id }, fields);
    return (result.affected ?? 0) > 0;
  }

  /** Answers whether this call removed it: of two deletes, one wins. */
  async delete(businessId: string, id: string, tx: Transaction): Promise<boolean> {
    assertBusinessId(businessId);
    const result = await tx.delete(Resource, { businessId, id });
    return (result.affected ?? 0) > 0;
  }
}

/** The unique index on (business_id, uri) refused an insert (PostgreSQL, or SQLite). */
export function isUriConflict(e: unknown): boolean {
  const driver = (e as { driverError?: { code?: unknown; constraint?: unknown } }).driverError;
  if (driver?.code === '23505') return driver.constraint === 'ux_resources_business_uri';
  const message = (e as { message?: unknown }).message;
  return typeof message === 'string' && message.includes('resources.business_id, resources.uri');
}
