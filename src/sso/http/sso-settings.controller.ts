import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { SsoSettingsDto } from '../../tenancy/dto/sso-settings.dto';
import { ConsoleSignInSettingService } from '../console-sign-in-setting.service';

/** Whether a business's people may sign in to the console with a token, or only with SSO. */
@ApiTags('sso')
@BusinessScoped()
@Controller('api/v1/sso/settings')
export class SsoSettingsController {
  constructor(private readonly settings: ConsoleSignInSettingService) {}

  @Get()
  @RequireRole('admin')
  @RequireScope('members:read')
  @ApiOperation({
    operationId: 'getSsoSettings',
    summary: "The business's console sign-in setting",
  })
  @ApiEnvelope(200, SsoSettingsDto)
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'] })
  read(@Ctx() ctx: RequestContext) {
    return this.settings.read(ctx);
  }

  @Put()
  @RequireRole('owner')
  @RequireScope('members:write')
  @ApiOperation({
    operationId: 'setSsoSettings',
    summary: "Turn token sign-in to the console on or off for the business's people",
    description:
      "Owners. Off, the console takes only SSO sessions from the business's people: their other " +
      'tokens, presented by the console, are 403 SSO_REQUIRED, from the next request on every ' +
      'instance. The setting governs the console, not the API, which still takes those tokens; ' +
      'machines are unaffected. A person turns it off only from an SSO session (409 SSO_LOCKOUT ' +
      'from a token the console would then refuse), and only where the installation has an ' +
      'identity provider (409 SSO_NOT_CONFIGURED). Audited.',
  })
  @ApiEnvelope(200, SsoSettingsDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    409: ['SSO_LOCKOUT', 'SSO_NOT_CONFIGURED'],
    422: ['VALIDATION_ERROR'],
  })
  set(@Ctx() ctx: RequestContext, @Body() dto: SsoSettingsDto) {
    return this.settings.set(ctx, dto);
  }
}
