import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import type { Keyset } from '../../common/validation/pagination';
import { assertBusinessId } from '../../common/tenant-scope';
import { keysetPage } from '../../database/keyset';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookMessage } from './webhook-message.entity';
import type { ReadSource } from '../../database/connection/read-routing';

/**
 * Webhook endpoints. Every read of one chain's rows takes its id first (a business id, or the
 * platform chain's); the workers' read of an endpoint by id alone reads across chains.
 */
@Injectable()
export class WebhookEndpointsRepository {
  constructor(private readonly dataSource: DataSource) {}

  listEndpoints(chainId: string, limit: number, after: Keyset | null, from: ReadSource) {
    assertBusinessId(chainId);
    const qb = from.manager
      .createQueryBuilder(WebhookEndpoint, 'e')
      .where('e.chainId = :chainId', { chainId });
    return keysetPage(qb, 'e.createdAt', 'e.id', limit, after).getMany();
  }

  findEndpoint(em: EntityManager | null, chainId: string, id: string) {
    assertBusinessId(chainId);
    return (em ?? this.dataSource.manager).findOneBy(WebhookEndpoint, { chainId, id });
  }

  /** An endpoint by id alone, for the workers, which read across chains. */
  findEndpointAnyChain(id: string) {
    return this.dataSource.manager.findOneBy(WebhookEndpoint, { id });
  }

  countEndpoints(em: EntityManager, chainId: string) {
    assertBusinessId(chainId);
    return em.countBy(WebhookEndpoint, { chainId });
  }

  insertEndpoint(em: EntityManager, endpoint: WebhookEndpoint) {
    return em.insert(WebhookEndpoint, endpoint);
  }

  updateEndpoint(
    em: EntityManager,
    chainId: string,
    id: string,
    patch: Partial<Omit<WebhookEndpoint, 'id' | 'chainId'>>,
  ) {
    assertBusinessId(chainId);
    return em.update(WebhookEndpoint, { chainId, id }, patch);
  }

  /**
   * Disables an endpoint unless it is disabled already: true for the one caller that did it, so
   * of two workers (or two attempts of one batch) that both find it gone, one tells of it.
   */
  async disableIfEnabled(
    em: EntityManager,
    chainId: string,
    id: string,
    reason: string,
    at: Date,
  ): Promise<boolean> {
    assertBusinessId(chainId);
    const result = await em.update(
      WebhookEndpoint,
      { chainId, id, disabledAt: IsNull() },
      { disabledAt: at, disabledReason: reason, updatedAt: at },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Deletes an endpoint; its undelivered messages die with it, its history stays listed. */
  async deleteEndpoint(em: EntityManager, chainId: string, id: string): Promise<void> {
    assertBusinessId(chainId);
    await em.update(WebhookMessage, { endpointId: id, status: 'pending' }, { status: 'dead' });
    await em.delete(WebhookEndpoint, { chainId, id });
  }
}
