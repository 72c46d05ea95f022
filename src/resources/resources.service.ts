import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { RequestContext } from '../auth/request-context';
import { createdKey, Page, PageQueryDto, paginate } from '../common/validation/pagination';
import { Database } from '../database/connection/read-routing';
import { UnitOfWork } from '../database/units/unit-of-work';
import {
  CreateResourceDto,
  ResourceScopeDto,
  ResourceViewDto,
  UpdateResourceDto,
} from './dto/resource.dto';
import { ResourceError, resourceNotFound } from './resource-error';
import {
  ResourceDeletedEvent,
  ResourceRef,
  ResourceRegisteredEvent,
  ResourceUpdatedEvent,
} from './resources.events';
import { Resource, ResourceScope } from './store/resource.entity';
import { isUriConflict, ResourcesRepository } from './store/resources.repository';

/** The most resources a business registers. */
export const MAX_RESOURCES = 200;

const refOf = (r: Resource): ResourceRef => ({
  id: r.id,
  businessId: r.businessId,
  uri: r.uri,
  name: r.name,
  scopes: r.scopes.map((s) => s.name),
});

const scopesOf = (dto: readonly ResourceScopeDto[]): ResourceScope[] =>
  dto.map((s) => ({ name: s.name, description: s.description }));

/**
 * The resources a business registers (MCP servers, APIs): the audiences its tokens will be
 * issued for, and the scopes a person will consent to. Owners and admins manage them; every
 * member reads them. The rules of the route (role, scope) are the guards'; what is left here is
 * the business's own: one URI once, and a bounded count.
 */
@Injectable()
export class ResourcesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly database: Database,
    private readonly resources: ResourcesRepository,
  ) {}

  register(ctx: RequestContext, dto: CreateResourceDto): Promise<ResourceViewDto> {
    const now = new Date();
    const resource = Object.assign(new Resource(), {
      id: randomUUID(),
      businessId: ctx.businessId,
      uri: dto.uri,
      name: dto.name,
      scopes: scopesOf(dto.scopes),
      createdAt: now,
      updatedAt: now,
      updatedBy: ctx.actor.label,
    } satisfies Resource);
    return this.uow.run(async (tx) => {
      await this.resources.lockForRegistration(ctx.businessId, tx);
      if (await this.resources.findByUri(ctx.businessId, resource.uri, tx)) {
        throw new ResourceError('RESOURCE_URI_TAKEN');
      }
      if ((await this.resources.count(ctx.businessId, tx)) >= MAX_RESOURCES) {
        throw new ResourceError('RESOURCE_LIMIT_REACHED', `At most ${MAX_RESOURCES}`);
      }
      try {
        await this.resources.insert(resource, tx);
      } catch (e) {
        // The lock above serializes registrations; the unique index is the last word.
        if (isUriConflict(e)) throw new ResourceError('RESOURCE_URI_TAKEN');
        throw e;
      }
      await tx.publish(new ResourceRegisteredEvent(ctx.author, refOf(resource)));
      return ResourceViewDto.of(resource);
    });
  }

  list(ctx: RequestContext, query: PageQueryDto): Promise<Page<ResourceViewDto>> {
    return paginate(
      query,
      (limit, after) => this.resources.list(ctx.businessId, limit, after, this.database.primary),
      createdKey,
      (r) => ResourceViewDto.of(r),
    );
  }

  async get(ctx: RequestContext, id: string): Promise<ResourceViewDto> {
    const found = await this.resources.find(ctx.businessId, id, this.database.primary);
    if (!found) throw resourceNotFound();
    return ResourceViewDto.of(found);
  }

  /**
   * The resource registered at `uri` (canonical) and the names of its scopes, or null: what the
   * authorization server checks a request's `resource` and `scope` against.
   */
  async findResource(
    businessId: string,
    uri: string,
  ): Promise<{ uri: string; scopes: string[] } | null> {
    const found = await this.resources.findByUri(businessId, uri, this.database.primary);
    return found && { uri: found.uri, scopes: found.scopes.map((s) => s.name) };
  }

  /** The resource registered at `uri` (canonical) as the consent screen shows it, or null. */
  async describeResource(
    businessId: string,
    uri: string,
  ): Promise<{ id: string; uri: string; name: string; scopes: ResourceScope[] } | null> {
    const found = await this.resources.findByUri(businessId, uri, this.database.primary);
    return found && { id: found.id, uri: found.uri, name: found.name, scopes: found.scopes };
  }

  /** A new name or scope list; nothing changed is neither written nor audited. */
  update(ctx: RequestContext, id: string, dto: UpdateResourceDto): Promise<ResourceViewDto> {
    return this.uow.run(async (tx) => {
      const found = await this.resources.find(ctx.businessId, id, tx);
      if (!found) throw resourceNotFound();
      const name = dto.name ?? found.name;
      const scopes = dto.scopes ? scopesOf(dto.scopes) : found.scopes;
      if (name === found.name && JSON.stringify(scopes) === JSON.stringify(found.scopes)) {
        return ResourceViewDto.of(found);
      }
      const fields = { name, scopes, updatedAt: new Date(), updatedBy: ctx.actor.label };
      if (!(await this.resources.update(ctx.businessId, id, fields, tx))) {
        throw resourceNotFound();
      }
      const updated = Object.assign(new Resource(), found, fields);
      await tx.publish(new ResourceUpdatedEvent(ctx.author, refOf(updated), refOf(found)));
      return ResourceViewDto.of(updated);
    });
  }

  remove(ctx: RequestContext, id: string): Promise<ResourceViewDto> {
    return this.uow.run(async (tx) => {
      const found = await this.resources.find(ctx.businessId, id, tx);
      if (!found || !(await this.resources.delete(ctx.businessId, id, tx))) {
        throw resourceNotFound();
      }
      await tx.publish(new ResourceDeletedEvent(ctx.author, refOf(found)));
      return ResourceViewDto.of(found);
    });
  }
}
