import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TokensModule } from '../tokens/tokens.module';
import { InvitationAcceptanceController } from './http/invitation-acceptance.controller';
import { InvitationAcceptanceService } from './invitation-acceptance.service';
import { InvitationMailer } from './invitation-mailer';
import { InvitationsController } from './http/invitations.controller';
import { InvitationsService } from './invitations.service';
import { InvitationsRepository } from './store/invitations.repository';

/**
 * Invitations by email: an owner or admin invites a person, who joins by the emailed link. Above
 * workflows: it makes a membership and a first token, as adding a member does, under its rule.
 */
@Module({
  imports: [TenancyModule, TokensModule],
  controllers: [InvitationsController, InvitationAcceptanceController],
  providers: [
    InvitationsService,
    InvitationAcceptanceService,
    InvitationMailer,
    InvitationsRepository,
  ],
})
export class InvitationsModule {}
