import { Injectable } from '@nestjs/common';
import { assertBusinessId } from '../../common/tenant-scope';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { WebhookKeyGeneration } from './webhook-key-generation.entity';

/** The generation each chain's v1a key is at (no row: 0). Every read takes the chain's id first. */
@Injectable()
export class WebhookKeyGenerations {
  find(chainId: string, db: Reader): Promise<WebhookKeyGeneration | null> {
    assertBusinessId(chainId);
    return db.findOneBy(WebhookKeyGeneration, { chainId });
  }

  async save(row: WebhookKeyGeneration, tx: Transaction): Promise<void> {
    assertBusinessId(row.chainId);
    await tx.upsert(WebhookKeyGeneration, row, ['chainId']);
  }
}
