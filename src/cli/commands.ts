import { Injectable } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { CLI_AUTHOR } from '../database/domain-event';
import { OnboardingService } from '../workflows/onboarding.service';
import { AddPlatformAdminDto, CreateBusinessDto } from '../workflows/dto/workflows.dto';
import { CLI_CALLER } from '../tokens/policy-decision';
import { noExtraArguments, printJson, printLine } from './cli-io';
import { runGroup } from './command-group';
import { CoreContext } from './core-context';
import { validateDto } from './validate-dto';

/**
 * Commands print only their answer on stdout, so scripts can capture it; everything else
 * (errors, notes) goes to stderr. They reach the core through `CoreContext`, which opens the
 * database on first use.
 */
@Command({
  name: 'bootstrap',
  description: 'Print a new platform admin token for EMAIL, making EMAIL a platform admin first',
})
export class BootstrapCommand extends CommandRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(params: string[], options: { email?: string }): Promise<void> {
    noExtraArguments(params, 0);
    const { email } = validateDto(AddPlatformAdminDto, { email: options.email });
    const onboarding = await this.core.get(OnboardingService);
    printLine(await onboarding.issuePlatformToken(CLI_AUTHOR, email));
  }

  @Option({ flags: '--email <email>', description: 'the platform admin email', required: true })
  parseEmail(value: string): string {
    return value;
  }
}

/** A business with its owner: printed as JSON, with the owner's first token. */
@Injectable()
export abstract class CreateBusinessRunner extends CommandRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(params: string[], options: { name?: string; ownerEmail?: string }): Promise<void> {
    noExtraArguments(params, 0);
    const dto = validateDto(CreateBusinessDto, {
      name: options.name,
      owner_email: options.ownerEmail,
    });
    const onboarding = await this.core.get(OnboardingService);
    printJson(await onboarding.createBusiness(CLI_CALLER, CLI_AUTHOR, dto));
  }

  @Option({ flags: '--name <name>', description: 'the business name', required: true })
  parseName(value: string): string {
    return value;
  }

  @Option({ flags: '--owner-email <email>', description: "the owner's email", required: true })
  parseOwnerEmail(value: string): string {
    return value;
  }
}

@SubCommand({
  name: 'create',
  description: "Create a business and print it as JSON, with its owner's first token (shown once)",
})
export class BusinessesCreateCommand extends CreateBusinessRunner {}

@Command({ name: 'create-business', description: 'Old name of `businesses create`' })
export class CreateBusinessCommand extends CreateBusinessRunner {}

@Command({
  name: 'businesses',
  description: 'Create businesses',
  subCommands: [BusinessesCreateCommand],
})
export class BusinessesCommand extends CommandRunner {
  run(params: string[]): Promise<void> {
    runGroup(this.command, params);
  }
}

export const BUSINESS_COMMANDS = [BootstrapCommand, BusinessesCommand, BusinessesCreateCommand];
