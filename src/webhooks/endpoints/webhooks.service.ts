import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../auth/request-context';
import { RequestValidationError } from '../../common/errors/domain-error';
import { createdKey, Page, PageQueryDto, paginate } from '../../common/validation/pagination';
import { AppConfig } from '../../config/app-config';
import { holdKeyLock } from '../../database/units/key-lock';
import { UnitOfWork } from '../../database/units/unit-of-work';
import {
  CreatedWebhookDto,
  CreateWebhookDto,
  RotatedWebhookSecretDto,
  UpdateWebhookDto,
  WebhookViewDto,
} from '../dto/webhook.dto';
import { WebhookEndpoint } from '../store/webhook-endpoint.entity';
import { WebhookError } from '../webhook-error';
import { AUDIT_EVENT_TYPE, receivesAudit } from './webhook-policy';
import { seal, secretsKeyOf } from '../signing/webhook-secret-box';
import { generateSecret } from '../signing/webhook-signature';
import { WebhookSigningKeys } from '../signing/webhook-signing-keys';
import { endpointOrFail, lockedEndpointOrFail, mayTouchAudit } from './webhook-endpoint-access';
import { holdsAuditData, readsAuditLog } from './webhook-personal-data';
import {
  resolveTarget,
  TargetPolicy,
  TargetRefused,
  UNRESOLVED,
  urlProblem,
} from '../../common/address-guard';
import {
  EndpointRef,
  WebhookCreatedEvent,
  WebhookDeletedEvent,
  WebhookSecretRotatedEvent,
  WebhookUpdatedEvent,
} from '../webhooks.events';
import { WebhookEndpointsRepository } from '../store/webhook-endpoints.repository';
import { WebhookMessagesRepository } from '../store/webhook-messages.repository';
import { Database, ReadRouting } from '../../database/connection/read-routing';

/** Endpoints per business (and for the platform). */
export const MAX_ENDPOINTS = 20;
/** How long a rotated-out secret keeps signing beside the new one. */
const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

export function endpointRef(e: Pick<WebhookEndpoint, 'id' | 'chainId' | 'url'>): EndpointRef {
  let origin = '';
  try {
    origin = new URL(e.url).origin;
  } catch {
    // a stored URL always parses; an empty origin is only ever a defect's
  }
  return { id: e.id, chainId: e.chainId, origin };
}

/**
 * A business's webhook endpoints (or the platform's, with the platform chain's id): register,
 * change, rotate a secret, delete. Every change is audited; their messages are
 * `WebhookDeliveriesService`'s.
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);
  readonly policy: TargetPolicy;

  constructor(
    private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly messages: WebhookMessagesRepository,
    /** Each business's v1a keys, for the worker that signs with them. */
    readonly signingKeys: WebhookSigningKeys,
    private readonly reads: ReadRouting,
    private readonly database: Database,
  ) {
    this.policy = {
      allowHttp: config.WEBHOOK_ALLOW_HTTP,
      allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
    };
    const key = secretsKeyOf(config);
    if (key.kind === 'off' && key.reason === 'disabled') {
      this.logger.warn('Webhooks are off (WEBHOOKS_ENABLED=false): no endpoint can be registered');
    }
  }

  /** The chain's endpoints; `readerId` is the identity asking, who sees its own changes. */
  list(chainId: string, readerId: string, query: PageQueryDto): Promise<Page<WebhookViewDto>> {
    return this.reads.read(readerId, (from) =>
      paginate(
        query,
        (limit, after) => this.endpoints.listEndpoints(chainId, 'webhook', limit, after, from),
        createdKey,
        (e) => WebhookViewDto.of(e),
      ),
    );
  }

  async get(chainId: string, id: string): Promise<WebhookViewDto> {
    return WebhookViewDto.of(
      await endpointOrFail(this.endpoints, chainId, id, this.database.primary),
    );
  }

  async create(
    ctx: RequestContext,
    chainId: string,
    dto: CreateWebhookDto,
  ): Promise<CreatedWebhookDto> {
    const key = this.sealingKey();
    await this.checkUrl(dto.url, ['body', 'url']);
    mayTouchAudit(ctx, 'create', receivesAudit(dto.event_types));
    return this.uow.run(async (tx) => {
      // The count and the insert are one step, so two racing creates cannot pass the cap.
      await holdKeyLock(`webhook-endpoints:${chainId}`, 'exclusive', tx);
      const count = await this.endpoints.countEndpoints(chainId, 'webhook', tx);
      if (count >= MAX_ENDPOINTS) {
        throw new WebhookError('WEBHOOK_LIMIT_REACHED', `At most ${MAX_ENDPOINTS} endpoints`);
      }
      const now = new Date();
      const id = randomUUID();
      const secret = generateSecret();
      const endpoint: WebhookEndpoint = {
        id,
        chainId,
        url: dto.url,
        description: dto.description ?? '',
        eventTypes: dto.event_types,
        // Who acted and from where, in its typed events: only if its maker reads them in the log.
        personalData: readsAuditLog(ctx),
        signatureScheme: dto.signature_scheme ?? 'v1',
        secretSealed: seal(key, id, secret),
        previousSecretSealed: null,
        previousSecretUntil: null,
        disabledAt: null,
        disabledReason: null,
        failingSince: null,
        pausedAt: null,
        statusReason: null,
        eventsRequested: null,
        createdAt: now,
        updatedAt: now,
      };
      await this.endpoints.insertEndpoint(endpoint, tx);
      await tx.publish(new WebhookCreatedEvent(ctx.author, endpointRef(endpoint), dto.event_types));
      return {
        ...WebhookViewDto.of(endpoint, now),
        secret: endpoint.signatureScheme === 'v1' ? secret : null,
      };
    });
  }

  async update(
    ctx: RequestContext,
    chainId: string,
    id: string,
    dto: UpdateWebhookDto,
  ): Promise<WebhookViewDto> {
    if (dto.url !== undefined) await this.checkUrl(dto.url, ['body', 'url']);
    return this.uow.run(async (tx) => {
      const endpoint = await lockedEndpointOrFail(this.endpoints, chainId, id, tx);
      // A new URL would also be sent what waits for the old one: audit events included, that an
      // earlier change of types left queued.
      const touchesAudit =
        holdsAuditData(endpoint) ||
        receivesAudit(dto.event_types ?? []) ||
        (dto.url !== undefined &&
          dto.url !== endpoint.url &&
          (await this.messages.holdsMessage(chainId, id, AUDIT_EVENT_TYPE, 'pending', null, tx)));
      mayTouchAudit(ctx, 'update', touchesAudit);
      const now = new Date();
      const patch: Partial<WebhookEndpoint> = {};
      if (dto.url !== undefined && dto.url !== endpoint.url) patch.url = dto.url;
      if (dto.description !== undefined && dto.description !== endpoint.description) {
        patch.description = dto.description;
      }
      if (dto.event_types !== undefined) patch.eventTypes = dto.event_types;
      // Whoever sets where it sends, or subscribes it to the whole log, and reads the log, has its
      // typed events carry who acted and from where; it never goes back (a new endpoint does).
      if (
        !endpoint.personalData &&
        (dto.url !== undefined || receivesAudit(dto.event_types ?? [])) &&
        readsAuditLog(ctx)
      ) {
        patch.personalData = true;
      }
      if (dto.enabled === false && endpoint.disabledAt === null) {
        Object.assign(patch, { disabledAt: now, disabledReason: 'requested' });
        await this.messages.killPending(endpoint.id, tx);
      }
      if (dto.enabled === true && endpoint.disabledAt !== null) {
        Object.assign(patch, { disabledAt: null, disabledReason: null, failingSince: null });
      }
      const changed = changedFields(patch);
      if (changed.length === 0) return WebhookViewDto.of(endpoint, now);
      patch.updatedAt = now;
      await this.endpoints.updateEndpoint(chainId, id, patch, tx);
      const updated = { ...endpoint, ...patch };
      await tx.publish(new WebhookUpdatedEvent(ctx.author, endpointRef(updated), changed));
      return WebhookViewDto.of(updated, now);
    });
  }

  delete(ctx: RequestContext, chainId: string, id: string): Promise<WebhookViewDto> {
    return this.uow.run(async (tx) => {
      const endpoint = await lockedEndpointOrFail(this.endpoints, chainId, id, tx);
      mayTouchAudit(ctx, 'delete', holdsAuditData(endpoint));
      await this.endpoints.deleteEndpoint(chainId, id, tx);
      await tx.publish(new WebhookDeletedEvent(ctx.author, endpointRef(endpoint)));
      return WebhookViewDto.of(endpoint);
    });
  }

  /** A new secret, shown once; the old one keeps signing beside it for 24 hours. */
  rotateSecret(ctx: RequestContext, chainId: string, id: string): Promise<RotatedWebhookSecretDto> {
    const key = this.sealingKey();
    return this.uow.run(async (tx) => {
      const endpoint = await lockedEndpointOrFail(this.endpoints, chainId, id, tx);
      mayTouchAudit(ctx, 'rotate_secret', holdsAuditData(endpoint));
      if (endpoint.signatureScheme === 'v1a') throw new WebhookError('WEBHOOK_KEY_SIGNED');
      const now = new Date();
      const secret = generateSecret();
      const until = new Date(now.getTime() + ROTATION_OVERLAP_MS);
      const patch = {
        secretSealed: seal(key, id, secret),
        previousSecretSealed: endpoint.secretSealed,
        previousSecretUntil: until,
        updatedAt: now,
      };
      await this.endpoints.updateEndpoint(chainId, id, patch, tx);
      await tx.publish(
        new WebhookSecretRotatedEvent(ctx.author, endpointRef(endpoint), until.toISOString()),
      );
      return { ...WebhookViewDto.of({ ...endpoint, ...patch }, now), secret };
    });
  }

  /** The installation's webhook key, which seals secrets; 503 WEBHOOKS_OFF without one. */
  sealingKey(): Buffer {
    const key = secretsKeyOf(this.config);
    if (key.kind === 'off') throw new WebhookError('WEBHOOKS_OFF');
    return key.key;
  }

  /**
   * 422 at `loc` for a URL that may not be used: judged as text, then by the addresses its host
   * resolves to now. A host that does not resolve yet is taken: it reaches nothing private today,
   * and each delivery judges the address it connects to. A stream's push URL is judged the same.
   */
  async checkUrl(url: string, loc: readonly string[]): Promise<void> {
    let problem = urlProblem(url, this.policy);
    if (!problem && !this.policy.allowPrivate) {
      try {
        await resolveTarget(url, this.policy);
      } catch (e) {
        if (!(e instanceof TargetRefused)) throw e;
        if (e.message !== UNRESOLVED) problem = e.message;
      }
    }
    if (problem) {
      throw new RequestValidationError([{ loc: [...loc], msg: problem, type: 'value_error' }]);
    }
  }
}

const FIELD_NAMES: Record<string, string> = {
  url: 'url',
  description: 'description',
  eventTypes: 'event_types',
  personalData: 'personal_data',
  disabledAt: 'enabled',
};

function changedFields(patch: Partial<WebhookEndpoint>): string[] {
  return Object.keys(patch).flatMap((k) => (FIELD_NAMES[k] ? [FIELD_NAMES[k]] : []));
}
