import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { RequestContext } from '../../auth/request-context';
import { AppConfig } from '../../config/app-config';
import { Database } from '../../database/connection/read-routing';
import { holdKeyLock } from '../../database/units/key-lock';
import { UnitOfWork } from '../../database/units/unit-of-work';
import type { WebhookKeysDto } from '../dto/webhook.dto';
import type { WebhookSigningKeysDto } from '../dto/webhook-signing-key.dto';
import { WebhookError } from '../webhook-error';
import type { WebhookKeyGeneration } from '../store/webhook-key-generation.entity';
import { WebhookKeyGenerations } from '../store/webhook-key-generations.repository';
import { secretsKeyOf } from './webhook-secret-box';
import { kidOf, parseKid, WebhookSigningKey } from './webhook-signing-key';
import { WebhookKeyRotatedEvent } from '../webhooks.events';

/** How long a rotated-out key keeps signing beside the new one, as a rotated-out secret does. */
const KEY_OVERLAP_MS = 24 * 3600 * 1000;
/** Derived keys the worker keeps: deriving one is an HKDF and an Ed25519 key made from a seed. */
const KEPT_KEYS = 1024;

interface KeyInUse {
  key: WebhookSigningKey;
  /** Null for the key that signs now; else when the replaced key stops signing. */
  until: Date | null;
}

/**
 * Each business's own Ed25519 key for `v1a` signatures (and the platform chain's), derived from
 * the installation's webhook key, the chain's id and the chain's generation. A message for one
 * business therefore never verifies under another's key: a receiver that pins its business's key
 * refuses a genuine message replayed to it from another business's receiver.
 */
@Injectable()
export class WebhookSigningKeys {
  private readonly kept = new LRUCache<string, WebhookSigningKey>({ max: KEPT_KEYS });

  constructor(
    private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly generations: WebhookKeyGenerations,
    private readonly database: Database,
  ) {}

  /**
   * The keys that sign a chain's v1a messages at `at`: the current one, then (for 24 hours after
   * a rotation) the one it replaced, so a receiver that pinned either verifies.
   */
  async signers(chainId: string, at: Date): Promise<WebhookSigningKey[]> {
    const row = await this.generations.find(chainId, this.database.primary);
    return this.inUse(chainId, row, at).map((k) => k.key);
  }

  /** The chain's keys in use, for its owners and admins to pin. */
  async view(chainId: string): Promise<WebhookSigningKeysDto> {
    this.secretsKey();
    const row = await this.generations.find(chainId, this.database.primary);
    return viewOf(this.inUse(chainId, row, new Date()));
  }

  /** A new key signs from now on; the one it replaces signs beside it for 24 hours. */
  rotate(ctx: RequestContext, chainId: string): Promise<WebhookSigningKeysDto> {
    this.secretsKey();
    return this.uow.run(async (tx) => {
      // Two rotations at once would both read generation n: one after the other, they make n+2.
      await holdKeyLock(`webhook-key:${chainId}`, 'exclusive', tx);
      const before = await this.generations.find(chainId, tx);
      const now = new Date();
      const row = { chainId, generation: (before?.generation ?? 0) + 1, rotatedAt: now };
      await this.generations.save(row, tx);
      const keys = this.inUse(chainId, row, now);
      await tx.publish(
        new WebhookKeyRotatedEvent(
          ctx.author,
          chainId,
          keys[0].key.kid,
          kidOf(chainId, row.generation - 1),
          keys[1].until!.toISOString(),
        ),
      );
      return viewOf(keys);
    });
  }

  /**
   * The public key a key id names, for `/.well-known/latchkey-webhook-keys`. It is computed, and
   * the database is never read, so every well-formed id gets the same kind of answer in the same
   * time whether or not its business exists or has reached that generation: the public route
   * confirms no tenant. It derives afresh each time, apart from the worker's cache, whose hits
   * would tell which keys sign now.
   */
  published(kid: string): WebhookKeysDto {
    const named = parseKid(kid);
    if (!named) throw new Error('the query pipe lets only a key id through');
    const key = new WebhookSigningKey(this.secretsKey(), named.chainId, named.generation);
    return { keys: [{ kid: key.kid, alg: 'Ed25519', public_key: key.publicKeyText }] };
  }

  private inUse(chainId: string, row: WebhookKeyGeneration | null, at: Date): KeyInUse[] {
    const generation = row?.generation ?? 0;
    const keys: KeyInUse[] = [{ key: this.key(chainId, generation), until: null }];
    if (row && generation > 0) {
      const until = new Date(row.rotatedAt.getTime() + KEY_OVERLAP_MS);
      if (until > at) keys.push({ key: this.key(chainId, generation - 1), until });
    }
    return keys;
  }

  private key(chainId: string, generation: number): WebhookSigningKey {
    const kid = kidOf(chainId, generation);
    let key = this.kept.get(kid);
    if (!key) {
      key = new WebhookSigningKey(this.secretsKey(), chainId, generation);
      this.kept.set(kid, key);
    }
    return key;
  }

  /** The installation's webhook key, or 503 WEBHOOKS_OFF. */
  private secretsKey(): Buffer {
    const key = secretsKeyOf(this.config);
    if (key.kind === 'off') throw new WebhookError('WEBHOOKS_OFF');
    return key.key;
  }
}

function viewOf(keys: KeyInUse[]): WebhookSigningKeysDto {
  return {
    keys: keys.map(({ key, until }) => ({
      kid: key.kid,
      alg: 'Ed25519',
      public_key: key.publicKeyText,
      signs_until: until ? until.toISOString() : null,
    })),
  };
}
