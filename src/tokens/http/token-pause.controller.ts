import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { uuidPipe } from '../../common/validation/validation.pipe';
import { DisableTokenDto, PausedTokenDto } from '../dto/token-pause.dto';
import { TokenViewDto } from '../dto/token-view.dto';
import { TokenPauseService } from '../lifecycle/token-pause.service';

const tokenId = () => Param('token_id', uuidPipe('token_id'));

/** Pause and resume: a disabled token is refused everywhere until enabled, and not revoked. */
@ApiTags('tokens')
@BusinessScoped()
@Controller('api/v1/tokens')
export class TokenPauseController {
  constructor(private readonly pause: TokenPauseService) {}

  @Post(':token_id/disable')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'disableToken',
    summary: 'Pause a token: refused (401 TOKEN_DISABLED) until enabled, but not revoked',
    description:
      'Every instance refuses it within the revocation bound, and introspection answers ' +
      'active: false. Disabling again answers 200 with code ALREADY_DISABLED and the first pause. ' +
      'The tokens it made keep working unless include_children is true: then every active token ' +
      'that descends from it (made with it, made with those, and their successors) that the ' +
      'caller may pause is paused too, in the same transaction, each with its own audit event; ' +
      'the others are skipped. children says how many were paused, and which. Enabling never ' +
      'reaches the children: each is enabled on its own.',
  })
  @ApiEnvelope(200, PausedTokenDto, { codes: ['ALREADY_DISABLED'] })
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'TOKEN_RETIRING'],
    404: ['TOKEN_NOT_FOUND'],
    409: ['TOKEN_IS_REVOKED', 'TOKEN_FAMILY_TOO_LARGE'],
    422: ['VALIDATION_ERROR'],
  })
  // Optional: no body is checked as an empty one, and the reason is optional.
  @ApiBody({ type: DisableTokenDto, required: false })
  disable(@Ctx() ctx: RequestContext, @tokenId() id: string, @Body() dto: DisableTokenDto) {
    return this.pause.disable(ctx, id, dto.reason ?? null, { children: dto.include_children });
  }

  @Post(':token_id/enable')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'enableToken',
    summary: 'Resume a disabled token',
    description:
      'Resuming runs downward only: an owner any token, an admin (with tokens:admin) a ' +
      "member's or a machine's. Enabling a token that is not disabled answers 200 with code " +
      'ALREADY_ENABLED; a revoked token is 409.',
  })
  @ApiEnvelope(200, TokenViewDto, { codes: ['ALREADY_ENABLED'] })
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'TOKEN_RETIRING'],
    404: ['TOKEN_NOT_FOUND'],
    409: ['TOKEN_IS_REVOKED'],
    422: ['VALIDATION_ERROR'],
  })
  enable(@Ctx() ctx: RequestContext, @tokenId() id: string) {
    return this.pause.enable(ctx, id);
  }
}
