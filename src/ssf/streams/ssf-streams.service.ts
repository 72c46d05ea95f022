import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../auth/request-context';
import { AppConfig } from '../../config/app-config';
import { publicBaseUrl } from '../../config/sections/features/status-list-config';
import { Database } from '../../database/connection/read-routing';
import { holdKeyLock } from '../../database/units/key-lock';
import type { Reader } from '../../database/units/reader';
import { type Transaction, UnitOfWork } from '../../database/units/unit-of-work';
import { WebhookDispatcher } from '../../webhooks/delivery/webhook-dispatcher';
import { endpointKey } from '../../webhooks/endpoints/webhook-endpoint-access';
import {
  STREAM_SCHEME,
  StreamEndpointsService,
  type WebhookEndpoint,
} from '../../webhooks/endpoints/stream-endpoints.service';
import { endpointRef, WebhooksService } from '../../webhooks/endpoints/webhooks.service';
import { seal } from '../../webhooks/signing/webhook-secret-box';
import {
  ReplaceStreamDto,
  StreamConfigDto,
  StreamConfigInputDto,
  StreamStatusDto,
  UpdateStreamDto,
  UpdateStreamStatusDto,
  VerifyStreamDto,
} from '../dto/ssf-stream.dto';
import { STREAM_EVENT_TYPES, VERIFICATION, verificationClaims } from '../events/caep-events';
import { SsfError } from '../ssf-error';
import {
  StreamCreatedEvent,
  StreamDeletedEvent,
  StreamRef,
  StreamStatusChangedEvent,
  StreamUpdatedEvent,
} from '../ssf.events';
import {
  deliveredOf,
  MIN_VERIFICATION_INTERVAL_SECONDS,
  statusOf,
  streamView,
} from './stream-view';

/** Streams per business: each is a receiver the business's token changes are pushed to. */
export const MAX_STREAMS = 5;

const streamRef = (s: WebhookEndpoint): StreamRef => {
  const { id, chainId, origin } = endpointRef(s);
  return { id, businessId: chainId, origin };
};

/**
 * A business's Shared Signals streams (SSF 1.0 §8.1): create, read, update, replace, delete,
 * status and verification. A stream is a webhook endpoint of the `set` scheme, so it is sent by
 * the webhook outbox and worker, with their retries, fair slots and address guard; its changes
 * are audited with events of its own.
 */
@Injectable()
export class SsfStreamsService {
  readonly issuer: string;

  constructor(
    config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly streams: StreamEndpointsService,
    private readonly webhooks: WebhooksService,
    private readonly dispatcher: WebhookDispatcher,
    private readonly database: Database,
  ) {
    this.issuer = publicBaseUrl(config);
  }

  async list(businessId: string): Promise<StreamConfigDto[]> {
    // At most MAX_STREAMS: one page holds them all.
    const rows = await this.streams.list(businessId, MAX_STREAMS, this.database.primary);
    return rows.map((s) => streamView(s, this.issuer));
  }

  async get(businessId: string, id: string): Promise<StreamConfigDto> {
    return streamView(await this.streamOrFail(businessId, id, this.database.primary), this.issuer);
  }

  async create(ctx: RequestContext, dto: StreamConfigInputDto): Promise<StreamConfigDto> {
    const key = this.webhooks.sealingKey();
    await this.webhooks.checkUrl(dto.delivery.endpoint_url, ['body', 'delivery', 'endpoint_url']);
    const businessId = ctx.businessId;
    return this.uow.run(async (tx) => {
      // The count and the insert are one step, so two racing creates cannot pass the cap.
      await holdKeyLock(`webhook-endpoints:${businessId}`, 'exclusive', tx);
      const count = await this.streams.count(businessId, tx);
      if (count >= MAX_STREAMS) {
        throw new SsfError('STREAM_LIMIT_REACHED', `At most ${MAX_STREAMS} streams`);
      }
      const now = new Date();
      const id = randomUUID();
      const requested = dto.events_requested ?? [];
      const stream: WebhookEndpoint = {
        id,
        chainId: businessId,
        url: dto.delivery.endpoint_url,
        description: dto.description ?? '',
        eventTypes: deliveredOf(requested).map((uri) => STREAM_EVENT_TYPES[uri]),
        eventsRequested: requested,
        // A SET names the token and its holder by id: no one's name, address or user agent.
        personalData: false,
        signatureScheme: STREAM_SCHEME,
        secretSealed: seal(key, id, dto.delivery.authorization_header ?? ''),
        previousSecretSealed: null,
        previousSecretUntil: null,
        disabledAt: null,
        disabledReason: null,
        failingSince: null,
        pausedAt: null,
        statusReason: null,
        createdAt: now,
        updatedAt: now,
      };
      await this.streams.insert(stream, tx);
      await tx.publish(
        new StreamCreatedEvent(ctx.author, streamRef(stream), deliveredOf(requested)),
      );
      return streamView(stream, this.issuer);
    });
  }

  /** PATCH (`whole` false: the fields given) or PUT (`whole`: the configuration again). */
  async update(
    ctx: RequestContext,
    dto: UpdateStreamDto | ReplaceStreamDto,
    whole: boolean,
  ): Promise<StreamConfigDto> {
    const key = this.webhooks.sealingKey();
    if (dto.delivery) {
      await this.webhooks.checkUrl(dto.delivery.endpoint_url, ['body', 'delivery', 'endpoint_url']);
    }
    const businessId = ctx.businessId;
    return this.uow.run(async (tx) => {
      const stream = await this.lockedStreamOrFail(businessId, dto.stream_id, tx);
      const patch: Partial<WebhookEndpoint> = {};
      const changed: string[] = [];
      if (dto.delivery) {
        const sealed = seal(key, stream.id, dto.delivery.authorization_header ?? '');
        Object.assign(patch, { url: dto.delivery.endpoint_url, secretSealed: sealed });
        changed.push('delivery');
      }
      const requested = dto.events_requested ?? (whole ? [] : undefined);
      if (requested !== undefined) {
        patch.eventsRequested = requested;
        patch.eventTypes = deliveredOf(requested).map((uri) => STREAM_EVENT_TYPES[uri]);
        changed.push('events_requested');
      }
      const description = dto.description ?? (whole ? '' : undefined);
      if (description !== undefined && description !== stream.description) {
        patch.description = description;
        changed.push('description');
      }
      if (changed.length === 0) return streamView(stream, this.issuer);
      const now = new Date();
      patch.updatedAt = now;
      await this.streams.update(businessId, stream.id, patch, tx);
      const updated = { ...stream, ...patch };
      await tx.publish(new StreamUpdatedEvent(ctx.author, streamRef(updated), changed));
      return streamView(updated, this.issuer);
    });
  }

  delete(ctx: RequestContext, id: string): Promise<void> {
    const businessId = ctx.businessId;
    return this.uow.run(async (tx) => {
      const stream = await this.lockedStreamOrFail(businessId, id, tx);
      await this.streams.delete(businessId, id, tx);
      await tx.publish(new StreamDeletedEvent(ctx.author, streamRef(stream)));
    });
  }

  async status(businessId: string, id: string): Promise<StreamStatusDto> {
    return statusOf(await this.streamOrFail(businessId, id, this.database.primary));
  }

  /**
   * Enables, pauses or disables a stream (SSF 1.0 §8.1.2). Paused: its events are held, and sent
   * when it is enabled again. Disabled: its events are dropped, as its held ones are.
   */
  async setStatus(ctx: RequestContext, dto: UpdateStreamStatusDto): Promise<StreamStatusDto> {
    const businessId = ctx.businessId;
    const released = await this.uow.run(async (tx) => {
      const stream = await this.lockedStreamOrFail(businessId, dto.stream_id, tx);
      const previous = statusOf(stream).status;
      const now = new Date();
      const reason = dto.reason ?? null;
      const patch: Partial<WebhookEndpoint> = { statusReason: reason, updatedAt: now };
      if (dto.status === 'enabled') {
        Object.assign(patch, { disabledAt: null, disabledReason: null, pausedAt: null });
        if (previous === 'disabled') patch.failingSince = null;
        if (previous === 'paused') await this.streams.releaseHeld(businessId, stream.id, now, tx);
      } else if (dto.status === 'paused') {
        if (previous === 'disabled') throw new SsfError('STREAM_DISABLED');
        patch.pausedAt = stream.pausedAt ?? now;
      } else {
        Object.assign(patch, { disabledAt: stream.disabledAt ?? now, pausedAt: null });
        patch.disabledReason = stream.disabledReason ?? 'requested';
        await this.streams.dropPending(stream.id, tx);
      }
      const updated = { ...stream, ...patch };
      if (previous !== dto.status || reason !== stream.statusReason) {
        await this.streams.update(businessId, stream.id, patch, tx);
        await tx.publish(
          new StreamStatusChangedEvent(
            ctx.author,
            streamRef(updated),
            dto.status,
            previous,
            reason,
          ),
        );
      }
      return { view: statusOf(updated), wake: previous === 'paused' && dto.status === 'enabled' };
    });
    if (released.wake) this.dispatcher.kick();
    return released.view;
  }

  /**
   * Queues the verification event to the stream (SSF 1.0 §8.1.4): 409 while it is disabled, 429
   * within MIN_VERIFICATION_INTERVAL_SECONDS of the last one.
   */
  async verify(ctx: RequestContext, dto: VerifyStreamDto): Promise<void> {
    const businessId = ctx.businessId;
    await this.uow.run(async (tx) => {
      const stream = await this.lockedStreamOrFail(businessId, dto.stream_id, tx);
      if (stream.disabledAt) throw new SsfError('STREAM_DISABLED');
      const now = new Date();
      const type = STREAM_EVENT_TYPES[VERIFICATION];
      const since = new Date(now.getTime() - MIN_VERIFICATION_INTERVAL_SECONDS * 1000);
      if (await this.streams.queuedSince(businessId, stream.id, type, since, tx)) {
        throw new SsfError('VERIFICATION_TOO_SOON', undefined, {
          'retry-after': String(MIN_VERIFICATION_INTERVAL_SECONDS),
        });
      }
      const claims = verificationClaims(stream.id, now, dto.state);
      await this.streams.queueTo(stream, { type, payload: JSON.stringify(claims) }, now, tx);
    });
    this.dispatcher.kick();
  }

  private async streamOrFail(businessId: string, id: string, db: Reader) {
    const found = await this.streams.find(businessId, id, db);
    if (!found) throw new SsfError('STREAM_NOT_FOUND');
    return found;
  }

  private async lockedStreamOrFail(businessId: string, id: string, tx: Transaction) {
    await holdKeyLock(endpointKey(id), 'exclusive', tx);
    return this.streamOrFail(businessId, id, tx);
  }
}
