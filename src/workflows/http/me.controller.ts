import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope } from '../../common/http/envelope';
import { MeViewDto } from '../dto/workflows.dto';
import { MeService } from '../me.service';

@ApiTags('me')
@BusinessScoped()
@Controller('api/v1/me')
export class MeController {
  constructor(private readonly me: MeService) {}

  @Get()
  @ApiOperation({
    operationId: 'getMe',
    summary: 'The caller: identity, current token and role in the business',
  })
  @ApiEnvelope(200, MeViewDto)
  get(@Ctx() ctx: RequestContext) {
    return this.me.describe(ctx);
  }
}
