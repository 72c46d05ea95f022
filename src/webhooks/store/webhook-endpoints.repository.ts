import { Injectable } from '@nestjs/common';
import { Equal, type FindOperator, In, IsNull, Not } from 'typeorm';
import type { Keyset } from '../../common/validation/pagination';
import { assertBusinessId } from '../../common/tenant-scope';
import { keysetPage } from '../../database/keyset';
import {
  type EndpointKind,
  type EndpointScheme,
  STREAM_SCHEME,
  WebhookEndpoint,
} from './webhook-endpoint.entity';
import { WebhookMessage } from './webhook-message.entity';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';

/** The condition on `signature_scheme` that picks one kind of endpoint. */
const schemeOf = (kind: EndpointKind): FindOperator<EndpointScheme> =>
  kind === 'stream' ? Equal(STREAM_SCHEME) : Not(Equal(STREAM_SCHEME));

/**
 * Webhook endpoints, and the Shared Signals streams that ride on them (`signature_scheme` `set`).
 * Every read of one chain's rows takes its id first (a business id, or the platform chain's) and
 * the kind it wants, so a webhook route never meets a stream, nor the other way round; the
 * workers' read of an endpoint by id alone reads across chains and kinds.
 */
@Injectable()
export class WebhookEndpointsRepository {
  listEndpoints(
    chainId: string,
    kind: EndpointKind,
    limit: number,
    after: Keyset | null,
    db: Reader,
  ) {
    assertBusinessId(chainId);
    const qb = db
      .createQueryBuilder(WebhookEndpoint, 'e')
      .where('e.chainId = :chainId', { chainId })
      .andWhere(`e.signatureScheme ${kind === 'stream' ? '=' : '<>'} :stream`, {
        stream: STREAM_SCHEME,
      });
    return keysetPage(qb, 'e.createdAt', 'e.id', limit, after).getMany();
  }

  findEndpoint(chainId: string, kind: EndpointKind, id: string, db: Reader) {
    assertBusinessId(chainId);
    return db.findOneBy(WebhookEndpoint, { chainId, id, signatureScheme: schemeOf(kind) });
  }

  /** An endpoint by id alone, for the workers, which read across chains. */
  findEndpointAnyChain(id: string, db: Reader) {
    return db.findOneBy(WebhookEndpoint, { id });
  }

  countEndpoints(chainId: string, kind: EndpointKind, db: Reader) {
    assertBusinessId(chainId);
    return db.countBy(WebhookEndpoint, { chainId, signatureScheme: schemeOf(kind) });
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
    await tx.update(
      WebhookMessage,
      { endpointId: id, status: In(['pending', 'held']) },
      { status: 'dead' },
    );
    await tx.delete(WebhookEndpoint, { chainId, id });
  }
}
