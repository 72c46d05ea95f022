import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import type { Keyset } from '../../common/validation/pagination';
import { assertBusinessId } from '../../common/tenant-scope';
import { keysetPage } from '../../database/keyset';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookMessage } from './webhook-message.entity';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';

/**
 * Webhook endpoints. Every read of one chain's rows takes its id first (a business id, or the
 * platform chain's); the workers' read of an endpoint by id alone reads across chains.
 */
@Injectable()
export class WebhookEndpointsRepository {
  listEndpoints(chainId: string, limit: number, after: Keyset | null, db: Reader) {
    assertBusinessId(chainId);
    const qb = db
      .createQueryBuilder(WebhookEndpoint, 'e')
      .where('e.chainId = :chainId', { chainId });
    return keysetPage(qb, 'e.createdAt', 'e.id', limit, after).getMany();
  }

  findEndpoint(chainId: string, id: string, db: Reader) {
    assertBusinessId(chainId);
    return db.findOneBy(WebhookEndpoint, { chainId, id });
  }

  /** An endpoint by id alone, for the workers, which read across chains. */
  findEndpointAnyChain(id: string, db: Reader) {
    return db.findOneBy(WebhookEndpoint, { id });
  }

  countEndpoints(chainId: string, db: Reader) {
    assertBusinessId(chainId);
    return db.countBy(WebhookEndpoint, { chainId });
  }

  insertEndpoint(endpoint: WebhookEndpoint, tx: Transaction) {
    return tx.insert(WebhookEndpoint, endpoint);
  }

  updateEndpoint(
    chainId: string,
    id: string,
    patch: Partial<Omit<WebhookEndpoint, 'id' | 'chainId'>>,
    tx: Transaction,
  ) {
    assertBusinessId(chainId);
    return tx.update(WebhookEndpoint, { chainId, id }, patch);
  }

  /**
   * Disables an endpoint unless it is disabled already: true for the one caller that did it, so
   * of two workers (or two attempts of one batch) that both find it gone, one tells of it.
   */
  async disableIfEnabled(
    chainId: string,
    id: string,
    reason: string,
    at: Date,
    tx: Transaction,
  ): Promise<boolean> {
    assertBusinessId(chainId);
    const result = await tx.update(
      WebhookEndpoint,
      { chainId, id, disabledAt: IsNull() },
      { disabledAt: at, disabledReason: reason, updatedAt: at },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Deletes an endpoint; its undelivered messages die with it, its history stays listed. */
  async deleteEndpoint(chainId: string, id: string, tx: Transaction): Promise<void> {
    assertBusinessId(chainId);
    await tx.update(WebhookMessage, { endpointId: id, status: 'pending' }, { status: 'dead' });
    await tx.delete(WebhookEndpoint, { chainId, id });
  }
}
