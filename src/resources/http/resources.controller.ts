import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { PageQueryDto } from '../../common/validation/pagination';
import { uuidPipe } from '../../common/validation/validation.pipe';
import { CreateResourceDto, ResourceViewDto, UpdateResourceDto } from '../dto/resource.dto';
import { ResourcesService } from '../resources.service';

const READ = 'resources:read';
const WRITE = 'resources:write';

const resourceId = () => Param('resource_id', uuidPipe('resource_id'));

/**
 * The resources of a business: the MCP servers and APIs its tokens will be issued for. Owners
 * and admins manage them (`resources:write`); every member reads them (`resources:read`, which
 * `resources:write` covers), as members are the people who will consent to their scopes.
 */
@ApiTags('resources')
@BusinessScoped()
@Controller('api/v1/resources')
export class ResourcesController {
  constructor(private readonly resources: ResourcesService) {}

  @Post()
  @RequireRole('admin')
  @RequireScope(WRITE)
  @ApiOperation({
    operationId: 'createResource',
    summary: 'Register a resource (an MCP server, an API) and the scopes it understands',
    description:
      'Owner or admin, with a token that allows resources:write. The URI is kept in its ' +
      'canonical spelling (lower-case scheme and host, no default port, no lone trailing /), ' +
      'which is the one the business may register once (409 RESOURCE_URI_TAKEN). A business ' +
      'registers at most 200. Audited as resource.registered.',
  })
  @ApiEnvelope(201, ResourceViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    409: ['RESOURCE_URI_TAKEN', 'RESOURCE_LIMIT_REACHED'],
    422: ['VALIDATION_ERROR', 'SECRET_IN_TEXT'],
  })
  register(@Ctx() ctx: RequestContext, @Body() dto: CreateResourceDto) {
    return this.resources.register(ctx, dto);
  }

  @Get()
  @RequireScope(READ)
  @ApiOperation({
    operationId: 'listResources',
    summary: "List the business's resources, oldest first (any member; resources:read)",
  })
  @ApiEnvelope(200, ResourceViewDto, { paginated: true })
  @ApiErrors({ 403: ['INSUFFICIENT_SCOPE'], 422: ['VALIDATION_ERROR'] })
  list(@Ctx() ctx: RequestContext, @Query() query: PageQueryDto) {
    return this.resources.list(ctx, query);
  }

  @Get(':resource_id')
  @RequireScope(READ)
  @ApiOperation({
    operationId: 'getResource',
    summary: 'One resource (any member; resources:read)',
  })
  @ApiEnvelope(200, ResourceViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_SCOPE'],
    404: ['RESOURCE_NOT_FOUND'],
    422: ['VALIDATION_ERROR'],
  })
  get(@Ctx() ctx: RequestContext, @resourceId() id: string) {
    return this.resources.get(ctx, id);
  }

  @Patch(':resource_id')
  @RequireRole('admin')
  @RequireScope(WRITE)
  @ApiOperation({
    operationId: 'updateResource',
    summary: 'Rename a resource, or replace its scopes; its URI stays',
    description:
      'Owner or admin, with resources:write. A change is audited as resource.updated, with the ' +
      'name and scope names before and after; a body that changes nothing changes and audits ' +
      'nothing.',
  })
  @ApiEnvelope(200, ResourceViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    404: ['RESOURCE_NOT_FOUND'],
    422: ['VALIDATION_ERROR', 'SECRET_IN_TEXT'],
  })
  update(@Ctx() ctx: RequestContext, @resourceId() id: string, @Body() dto: UpdateResourceDto) {
    return this.resources.update(ctx, id, dto);
  }

  @Delete(':resource_id')
  @RequireRole('admin')
  @RequireScope(WRITE)
  @ApiOperation({
    operationId: 'deleteResource',
    summary: 'Delete a resource; answers it as it was',
    description: 'Owner or admin, with resources:write. Audited as resource.deleted.',
  })
  @ApiEnvelope(200, ResourceViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    404: ['RESOURCE_NOT_FOUND'],
    422: ['VALIDATION_ERROR'],
  })
  remove(@Ctx() ctx: RequestContext, @resourceId() id: string) {
    return this.resources.remove(ctx, id);
  }
}
