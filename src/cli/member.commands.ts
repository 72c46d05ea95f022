import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { CLI_AUTHOR } from '../database/domain-event';
import { AddMemberDto } from '../workflows/dto/workflows.dto';
import { OnboardingService } from '../workflows/onboarding.service';
import { businessIdOption, noExtraArguments, printJson } from './cli-io';
import { runGroup } from './command-group';
import { CoreContext } from './core-context';
import { validateDto } from './validate-dto';

@SubCommand({
  name: 'add',
  description:
    'Add a person to a business (created if new) and print the membership as JSON, with the ' +
    "member's first token (shown once)",
})
export class MembersAddCommand extends CommandRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(
    params: string[],
    options: { business?: string; email?: string; role?: string; expiresInDays?: number },
  ): Promise<void> {
    noExtraArguments(params, 0);
    const businessId = businessIdOption(options.business);
    // Any role the API knows passes here; which of them the operator may give is the token
    // policy's to say (add_member: only an owner adds an owner), and its refusal is printed.
    const dto = validateDto(AddMemberDto, {
      email: options.email,
      role: options.role ?? 'member',
      expires_in_days: options.expiresInDays,
    });
    const onboarding = await this.core.get(OnboardingService);
    printJson(await onboarding.addMemberAsOperator(CLI_AUTHOR, businessId, dto));
  }

  @Option({ flags: '--business <id>', description: 'the business id', required: true })
  parseBusiness(value: string): string {
    return value;
  }

  @Option({ flags: '--email <email>', description: "the person's email", required: true })
  parseEmail(value: string): string {
    return value;
  }

  @Option({
    flags: '--role <role>',
    description: 'member (the default) or admin; owner is refused, as only an owner adds an owner',
  })
  parseRole(value: string): string {
    return value;
  }

  @Option({
    flags: '--expires-in-days <n>',
    description: 'lifetime of the first token in days (default 7)',
  })
  parseExpiresInDays(value: string): number {
    return Number(value);
  }
}

@Command({
  name: 'members',
  description: 'Add members to a business',
  subCommands: [MembersAddCommand],
})
export class MembersCommand extends CommandRunner {
  run(params: string[]): Promise<void> {
    runGroup(this.command, params);
  }
}

export const MEMBER_COMMANDS = [MembersCommand, MembersAddCommand];
