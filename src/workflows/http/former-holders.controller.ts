import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { IdentityNamesDto } from '../dto/identity-names.dto';
import { FormerHoldersService, HOLDERS_READ } from '../former-holders.service';

/** Names for the holders of a business's tokens who are members no more. */
@ApiTags('members')
@BusinessScoped()
@RequireRole('admin')
@Controller('api/v1/former-holders')
export class FormerHoldersController {
  constructor(private readonly former: FormerHoldersService) {}

  @Get()
  @RequireScope('members:read')
  @ApiOperation({
    operationId: 'listFormerHolders',
    summary: 'Who held tokens of the business and is no member now (owners and admins)',
    description:
      'Each with an email or a machine name (`deleted` for a deleted machine), so that the ' +
      `holders of old tokens are named. Read from at most ${HOLDERS_READ} holders.`,
  })
  @ApiEnvelope(200, IdentityNamesDto)
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'] })
  list(@Ctx() ctx: RequestContext) {
    return this.former.list(ctx);
  }
}
