import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../auth/decorators';
import { originOf } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { NoStore } from '../../common/http/no-store';
import { OAuthRateLimit } from '../../throttle/rate-limit.decorators';
import { AddedMemberDto } from '../../workflows/dto/workflows.dto';
import { AcceptInvitationDto, InvitationPreviewDto } from '../dto/invitation.dto';
import { InvitationAcceptanceService } from '../invitation-acceptance.service';

@ApiTags('invitations')
@Controller('invitations')
export class InvitationAcceptanceController {
  constructor(private readonly acceptance: InvitationAcceptanceService) {}

  @Post('preview')
  @Public()
  @OAuthRateLimit()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'getInvitationPreview',
    summary: "What an invitation's link invites to, before it is accepted",
    description:
      'Public: possession of the link is the proof. Names the business, who invited, the role ' +
      'and the address, so the invitee knows what they accept; changes nothing. Refused as an ' +
      'accept would be, with the same codes. The token goes in the body, never in a URL, so no ' +
      'access log holds it. Counted per client IP with the /oauth2 routes.',
  })
  @ApiEnvelope(200, InvitationPreviewDto)
  @ApiErrors({
    404: ['INVALID_INVITATION'],
    409: ['INVITATION_ALREADY_ACCEPTED', 'INVITATION_EXPIRED', 'INVITATION_REVOKED'],
    422: ['VALIDATION_ERROR'],
  })
  preview(@Body() dto: AcceptInvitationDto) {
    return this.acceptance.preview(dto.token);
  }

  @Post('accept')
  @Public()
  @OAuthRateLimit()
  @NoStore()
  @ApiOperation({
    operationId: 'addMemberByInvitation',
    summary: "Accept an invitation with its link's token; answers the invitee's first token, once",
    description:
      'Public: possession of the link is the proof. Counted per client IP with the /oauth2 ' +
      'routes (RATE_LIMIT_OAUTH_PER_MINUTE). Makes the person (if new) and the membership, and ' +
      'a first token (7 days) capped by the inviting token, in one transaction. A link works ' +
      'once: an unknown or replaced link is 404 INVALID_INVITATION; expired, revoked (or its ' +
      'inviter may no longer invite at that role) and accepted each have their own code.',
  })
  @ApiEnvelope(201, AddedMemberDto)
  @ApiErrors({
    403: ['PLATFORM_ADMIN_REQUIRED'],
    404: ['INVALID_INVITATION'],
    409: [
      'INVITATION_ALREADY_ACCEPTED',
      'INVITATION_EXPIRED',
      'INVITATION_REVOKED',
      'MEMBER_EXISTS',
    ],
    422: ['VALIDATION_ERROR'],
  })
  accept(@Body() dto: AcceptInvitationDto, @Req() request: FastifyRequest) {
    return this.acceptance.accept(originOf(request), dto.token);
  }
}
