import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { SharedLimitBook } from '../../auth/ports';
import { Invalidations } from '../../common/invalidations';
import { Database } from '../../database/connection/read-routing';
import type { BusinessLimits, SharedLimitRule } from '../../throttle/shared-limits';
import { BusinessBook } from '../business-book';
import { BusinessLimitsRepository } from '../store/business-limits.repository';

/** How long a business's limits are served from memory before they are read again. */
export const LIMITS_TTL_MS = 5_000;

/** Each business's shared limits for the request path (`BusinessBook`): empty for most. */
@Injectable()
export class LimitBook extends SharedLimitBook implements OnModuleDestroy {
  private readonly book: BusinessBook<BusinessLimits>;

  constructor(
    private readonly limits: BusinessLimitsRepository,
    private readonly database: Database,
    invalidations: Invalidations,
  ) {
    super();
    this.book = new BusinessBook(
      (businessId) => this.read(businessId),
      invalidations,
      LIMITS_TTL_MS,
    );
  }

  limitsOf(businessId: string): BusinessLimits | Promise<BusinessLimits> {
    return this.book.get(businessId);
  }

  onModuleDestroy(): void {
    this.book.close();
  }

  private async read(businessId: string): Promise<BusinessLimits> {
    const db = this.database.primary;
    const [rows, overrides] = await Promise.all([
      this.limits.limitsOf(businessId, db),
      this.limits.overridesOf(businessId, db),
    ]);
    const book = new Map<string, SharedLimitRule>();
    for (const row of rows) {
      const own = overrides.filter((o) => o.name === row.name);
      book.set(row.name, {
        name: row.name,
        window: row.window,
        perBusiness: row.perBusiness,
        perIdentity: row.perIdentity,
        overrides: new Map(own.map((o) => [o.identityId, o.perIdentity])),
      });
    }
    return book;
  }
}
