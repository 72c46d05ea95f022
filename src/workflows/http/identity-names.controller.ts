import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { PlatformOnly } from '../../auth/decorators';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { TenancyDirectory } from '../../tenancy/tenancy-directory';
import {
  IdentityNameDto,
  IdentityNamesDto,
  IdentityNamesQueryDto,
} from '../dto/identity-names.dto';

/**
 * Names for identity ids across businesses, for a platform admin: the console's list of every
 * token shows each holder by email or machine name, not by id. Read only; under the
 * platform token list's tag, which it serves.
 */
@ApiTags('platform: tokens')
@PlatformOnly()
@Controller('platform/v1/identities')
export class IdentityNamesController {
  constructor(private readonly directory: TenancyDirectory) {}

  @Get()
  @ApiOperation({
    operationId: 'getIdentityNames',
    summary: 'Who these identities are: an email or a machine name for each id that names one',
  })
  @ApiEnvelope(200, IdentityNamesDto)
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  async names(@Query() query: IdentityNamesQueryDto): Promise<IdentityNamesDto> {
    const found = await this.directory.identitiesAnyBusiness(query.id);
    return { items: found.map((i) => IdentityNameDto.of(i)) };
  }
}
