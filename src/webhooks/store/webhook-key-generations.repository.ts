import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { assertBusinessId } from '../../common/tenant-scope';
import { WebhookKeyGeneration } from './webhook-key-generation.entity';

/** The generation each chain's v1a key is at (no row: 0). Every read takes the chain's id first. */
@Injectable()
export class WebhookKeyGenerations {
  constructor(private readonly dataSource: DataSource) {}

  find(em: EntityManager | null, chainId: string): Promise<WebhookKeyGeneration | null> {
    assertBusinessId(chainId);
    return (em ?? this.dataSource.manager).findOneBy(WebhookKeyGeneration, { chainId });
  }

  async save(em: EntityManager, row: WebhookKeyGeneration): Promise<void> {
    assertBusinessId(row.chainId);
    await em.upsert(WebhookKeyGeneration, row, ['chainId']);
  }
}
