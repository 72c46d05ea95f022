import { randomUUID } from 'node:crypto';
import { ApiToken } from '../../src/tokens/store/entities/api-token.entity';
import { mintSecret, newJti } from '../../src/tokens/token-secret';
import { usesColumns } from '../../src/tokens/usage/uses/token-uses';
import type { TestApp } from '../harness/app/test-app';

/**
 * `count` unexpiring tokens of an identity in a business, inserted as rows 500 at a time, with no
 * events: for suites that measure what happens to many tokens (a cascade, a burst on the bus),
 * not how they were made. Their secrets are not kept.
 */
export async function seedTokenRows(
  t: TestApp,
  businessId: string,
  identityId: string,
  count: number,
): Promise<void> {
  const createdAt = new Date();
  for (let done = 0; done < count; done += 500) {
    const rows = Array.from({ length: Math.min(500, count - done) }, (_, k) => {
      const minted = mintSecret('lk');
      return Object.assign(new ApiToken(), {
        id: randomUUID(),
        jti: newJti(),
        businessId,
        identityId,
        name: `seed-${done + k}`,
        scopes: null,
        tokenHash: minted.hash,
        preview: minted.preview,
        createdAt,
        createdBy: 'seed',
        createdById: null,
        expiresAt: null,
        lastUsedAt: null,
        revokedAt: null,
        revokedBy: null,
        revokedById: null,
        revocationReason: null,
        rotatedFromId: null,
        parentTokenId: null,
        rotatedToId: null,
        dpopJkt: null,
        allowedCidrs: null,
        audiences: null,
        rateLimitPerMinute: null,
        sharedLimitId: null,
        sharedLimitPerMinute: null,
        leakReportedAt: null,
        disabledAt: null,
        disabledBy: null,
        disabledById: null,
        disabledReason: null,
        meta: null,
        origin: null,
        statusListId: null,
        statusIndex: null,
        ...usesColumns(null),
      } satisfies ApiToken);
    });
    await t.dataSource.createQueryBuilder().insert().into(ApiToken).values(rows).execute();
  }
}
