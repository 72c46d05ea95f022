import { CLI_AUTHOR } from '../../database/units/domain-event';
import { AddMemberDto } from '../../workflows/dto/workflows.dto';
import { CliCommand, CliRunner } from '../nest/cli-command';
import { runGroup } from '../cli-front';
import { MEMBERS, MEMBERS_ADD } from '../grammar/cli-grammar';
import { printJson } from '../cli-io';
import { CoreContext } from '../nest/core-context';
import { validateDto } from '../grammar/validate-dto';

@CliCommand(MEMBERS_ADD)
export class MembersAddCommand extends CliRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(
    params: string[],
    options: {
      business?: string;
      email?: string;
      role?: string;
      expiresInDays?: number;
      dpopJkt?: string;
    },
  ): Promise<void> {
    const businessId = MEMBERS_ADD.argv(params, options);
    // Any role the API knows passes here; which of them the operator may give is the token
    // policy's to say (add_member: only an owner adds an owner), and its refusal is printed.
    const dto = validateDto(AddMemberDto, {
      email: options.email,
      role: options.role ?? 'member',
      expires_in_days: options.expiresInDays,
      dpop_jkt: options.dpopJkt,
    });
    const { OnboardingService } = await import('../../workflows/onboarding.service');
    const onboarding = await this.core.get(OnboardingService);
    printJson(await onboarding.addMemberAsOperator(CLI_AUTHOR, businessId, dto));
  }
}

@CliCommand(MEMBERS)
export class MembersCommand extends CliRunner {
  run(params: string[]): Promise<void> {
    runGroup(this.command, params);
  }
}

export const MEMBER_COMMANDS = [MembersCommand, MembersAddCommand];
