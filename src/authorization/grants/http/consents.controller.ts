import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx } from '../../../auth/decorators';
import { RequestContext } from '../../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../../common/http/envelope';
import { PageQueryDto } from '../../../common/validation/pagination';
import { uuidPipe } from '../../../common/validation/validation.pipe';
import { ConsentsService } from '../consents.service';
import {
  AuthorizationRequestQueryDto,
  AuthorizationRequestViewDto,
  ConnectedAppDto,
  ConsentDecisionDto,
  ConsentRedirectDto,
  WithdrawnAppDto,
} from '../dto/consent.dto';

/**
 * The console's consent screen: the authorization request a person is asked about, and their
 * decision. A person's own, in the business of the request, with no scope needed to consent for
 * themselves; what they allow must be within what their session could grant.
 */
@ApiTags('connected apps')
@BusinessScoped()
@Controller('api/v1/authorization-requests')
export class ConsentsController {
  constructor(private readonly consents: ConsentsService) {}

  @Get()
  @ApiOperation({
    operationId: 'getAuthorizationRequest',
    summary: 'What an app asks of you: the client, the resource, the business and each scope',
    description:
      "A person's own session. The client's name is what its metadata says, checked by nobody. " +
      '`remembered`: you allowed this client these scopes here before.',
  })
  @ApiEnvelope(200, AuthorizationRequestViewDto)
  @ApiErrors({
    403: ['CONSENT_BY_PERSON_ONLY'],
    404: ['AUTHORIZATION_REQUEST_NOT_FOUND'],
    422: ['VALIDATION_ERROR'],
  })
  describe(@Ctx() ctx: RequestContext, @Query() query: AuthorizationRequestQueryDto) {
    return this.consents.describe(ctx, query.request);
  }

  @Post('decision')
  @ApiOperation({
    operationId: 'createAuthorizationDecision',
    summary: 'Allow or deny an app; answers where to send the browser',
    description:
      'Allow: your consent is remembered (a connected app) and a code goes to the app, for ' +
      'scopes your session could grant (403 SCOPE_ESCALATION otherwise) and that the business ' +
      'does not send to an approver (403 APPROVAL_REQUIRED). Deny: the app hears ' +
      'access_denied. Audited as oauth_consent.given or .denied.',
  })
  @ApiEnvelope(201, ConsentRedirectDto)
  @ApiErrors({
    403: ['CONSENT_BY_PERSON_ONLY', 'SCOPE_ESCALATION', 'APPROVAL_REQUIRED'],
    404: ['AUTHORIZATION_REQUEST_NOT_FOUND'],
    422: ['VALIDATION_ERROR'],
  })
  decide(@Ctx() ctx: RequestContext, @Body() dto: ConsentDecisionDto) {
    return this.consents.decide(ctx, dto.request, dto.decision);
  }
}

/** The apps a person has allowed to act for them in this business, which they may withdraw. */
@ApiTags('connected apps')
@BusinessScoped()
@Controller('api/v1/connected-apps')
export class ConnectedAppsController {
  constructor(private readonly consents: ConsentsService) {}

  @Get()
  @ApiOperation({
    operationId: 'listConnectedApps',
    summary: 'Your connected apps: the clients you allowed, each for a resource and its scopes',
  })
  @ApiEnvelope(200, ConnectedAppDto, { paginated: true })
  @ApiErrors({ 403: ['CONSENT_BY_PERSON_ONLY'], 422: ['VALIDATION_ERROR'] })
  list(@Ctx() ctx: RequestContext, @Query() query: PageQueryDto) {
    return this.consents.list(ctx, query);
  }

  @Delete(':consent_id')
  @ApiOperation({
    operationId: 'withdrawConnectedApp',
    summary: 'Withdraw a connected app: its tokens are revoked at once',
    description:
      'Every access token the app holds under this consent is revoked, and its refresh tokens ' +
      'end. Audited as oauth_consent.withdrawn, oauth_grant.ended and token.revoked.',
  })
  @ApiEnvelope(200, WithdrawnAppDto)
  @ApiErrors({ 403: ['CONSENT_BY_PERSON_ONLY'], 404: ['CONNECTED_APP_NOT_FOUND'] })
  withdraw(@Ctx() ctx: RequestContext, @Param('consent_id', uuidPipe('consent_id')) id: string) {
    return this.consents.withdraw(ctx, id);
  }
}
