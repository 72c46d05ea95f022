import { Injectable } from '@nestjs/common';
import { CLI_AUTHOR } from '../../database/units/domain-event';
import { AddPlatformAdminDto, CreateBusinessDto } from '../../workflows/dto/workflows.dto';
import { CLI_CALLER } from '../../tokens/policy/policy-decision';
import { printJson, printLine } from '../cli-io';
import { CliCommand, CliRunner } from '../nest/cli-command';
import { runGroup } from '../cli-front';
import { BOOTSTRAP, BUSINESSES, BUSINESSES_CREATE, CREATE_BUSINESS } from '../grammar/cli-grammar';
import { CoreContext } from '../nest/core-context';
import { validateDto } from '../grammar/validate-dto';

/**
 * Commands print only their answer on stdout, so scripts can capture it; everything else
 * (errors, notes) goes to stderr. They reach the core through `CoreContext`, which opens the
 * database on first use; each loads the service it calls only then.
 */
@CliCommand(BOOTSTRAP)
export class BootstrapCommand extends CliRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(params: string[], options: { email?: string }): Promise<void> {
    BOOTSTRAP.argv(params);
    const { email } = validateDto(AddPlatformAdminDto, { email: options.email });
    const { OnboardingService } = await import('../../workflows/onboarding.service');
    const onboarding = await this.core.get(OnboardingService);
    printLine(await onboarding.issuePlatformToken(CLI_AUTHOR, email));
  }
}

/** A business with its owner: printed as JSON, with the owner's first token. */
@Injectable()
abstract class CreateBusinessRunner extends CliRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(params: string[], options: { name?: string; ownerEmail?: string }): Promise<void> {
    BUSINESSES_CREATE.argv(params);
    const dto = validateDto(CreateBusinessDto, {
      name: options.name,
      owner_email: options.ownerEmail,
    });
    const { OnboardingService } = await import('../../workflows/onboarding.service');
    const onboarding = await this.core.get(OnboardingService);
    printJson(await onboarding.createBusiness(CLI_CALLER, CLI_AUTHOR, dto));
  }
}

@CliCommand(BUSINESSES_CREATE)
export class BusinessesCreateCommand extends CreateBusinessRunner {}

@CliCommand(CREATE_BUSINESS)
export class CreateBusinessCommand extends CreateBusinessRunner {}

@CliCommand(BUSINESSES)
export class BusinessesCommand extends CliRunner {
  run(params: string[]): Promise<void> {
    runGroup(this.command, params);
  }
}

export const BUSINESS_COMMANDS = [BootstrapCommand, BusinessesCommand, BusinessesCreateCommand];
